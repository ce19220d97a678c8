%% The 8254 programmable interval timer (device `pit': ports 0x40-0x43 and
%% 0x61), driven from Erlang. It counts at 1,193,182 Hz. Channel 0 is the
%% BIOS's 18.2 Hz tick (the kernel uses the local APIC's timer); channel 2,
%% gated through port 0x61, is free for one-shots.
-module(pit).
-export([read/0, one_shot/1, periodic/1, stop/0, hz/0]).

%% Channel 0's counter now (it counts down from 65536, over and over).
-spec read() -> 0..16#FFFF | {error, term()}.
read() ->
    gen_server:call(pit_server, read).

%% Runs channel 2 as a one-shot of Ticks counts (1-65535) and waits for its
%% output to rise: the microseconds that took on the node's clock, which
%% should be Ticks / 1.193182 plus the time to notice.
-spec one_shot(1..16#FFFF) -> {ok, non_neg_integer()} | {error, term()}.
one_shot(Ticks) ->
    gen_server:call(pit_server, {one_shot, Ticks}, 10000).

%% Runs channel 0 as a periodic source of Hz interrupts a second (19 to
%% 2000; the count is rounded, so the rate is 1193182 / round(1193182 /
%% Hz)): the caller gets `{pit, tick}' at each, until stop/0 or until it
%% dies. Another caller takes the ticks over.
-spec periodic(19..2000) -> ok | {error, term()}.
periodic(Hz) ->
    gen_server:call(pit_server, {periodic, Hz, self()}).

%% Channel 0 back to the BIOS's 18.2 Hz, and no more ticks.
-spec stop() -> ok | {error, term()}.
stop() ->
    gen_server:call(pit_server, stop).

%% The PIT's input clock.
-spec hz() -> pos_integer().
hz() ->
    pit_math:hz().
