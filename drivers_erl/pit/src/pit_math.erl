%% The PIT's command bytes and counts (pure).
-module(pit_math).
-export([latch/1, mode/3, bytes/1, count/2, hz/0]).

-define(HZ, 1193182).

%% The input clock.
hz() -> ?HZ.

%% The command that latches channel Ch's count.
latch(Ch) when Ch >= 0, Ch =< 2 -> Ch bsl 6.

%% The command for channel Ch in mode Mode (0-5), lobyte then hibyte, binary.
mode(Ch, Mode, lohi) when Ch >= 0, Ch =< 2, Mode >= 0, Mode =< 5 -> (Ch bsl 6) bor (3 bsl 4) bor (Mode bsl 1).

%% A count as the two bytes written (65536 is written as 0).
bytes(N) when N >= 1, N =< 16#10000 -> {N band 16#FF, (N bsr 8) band 16#FF}.

%% The count two bytes read make.
count(Lo, Hi) -> Hi bsl 8 bor Lo.
