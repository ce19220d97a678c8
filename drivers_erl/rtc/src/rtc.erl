%% The CMOS real-time clock (device `cmos', ports 0x70-0x71), driven from
%% Erlang: its date and time, which QEMU and Bochs keep in UTC.
-module(rtc).
-export([now/0, set/1]).

%% The clock's date and time.
-spec now() -> calendar:datetime() | {error, term()}.
now() ->
    gen_server:call(rtc_server, now).

%% Sets the clock; `{error, {out_of_range, DateTime}}' for a date the CMOS
%% clock cannot hold (years 2000-2099) or no valid date at all.
-spec set(calendar:datetime()) -> ok | {error, term()}.
set(DateTime) ->
    gen_server:call(rtc_server, {set, DateTime}).
