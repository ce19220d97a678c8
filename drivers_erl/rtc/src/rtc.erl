%% The CMOS real-time clock (device `cmos', ports 0x70-0x71), driven from
%% Erlang: its date and time, which QEMU and Bochs keep in UTC.
-module(rtc).
-export([now/0, set/1, mode/0, set_mode/1, alarm/1, cancel_alarm/0]).

%% The clock's date and time.
-spec now() -> calendar:datetime() | {error, term()}.
now() ->
    gen_server:call(rtc_server, now).

%% Sets the clock; `{error, {out_of_range, DateTime}}' for a date the CMOS
%% clock cannot hold (years 2000-2099) or no valid date at all.
-spec set(calendar:datetime()) -> ok | {error, term()}.
set(DateTime) ->
    gen_server:call(rtc_server, {set, DateTime}).

%% The format the clock keeps its registers in: #{binary => false, h24 =>
%% true} is BCD and 24 hours (what PCs use).
-spec mode() -> {ok, #{binary := boolean(), h24 := boolean()}} | {error, term()}.
mode() ->
    gen_server:call(rtc_server, mode).

%% Changes it, keeping the date and time (rewritten in the new format).
-spec set_mode(#{binary := boolean(), h24 := boolean()}) -> ok | {error, term()}.
set_mode(Mode) ->
    gen_server:call(rtc_server, {set_mode, Mode}).

%% At the clock's next Time of day (UTC), the caller gets `{rtc, alarm}',
%% once: the clock's alarm interrupt (line 8). A new alarm replaces the
%% last.
-spec alarm(calendar:time()) -> ok | {error, term()}.
alarm(Time) ->
    gen_server:call(rtc_server, {alarm, Time, self()}).

%% No alarm.
-spec cancel_alarm() -> ok | {error, term()}.
cancel_alarm() ->
    gen_server:call(rtc_server, cancel_alarm).
