%% The local APIC timer's registers and its measurement against the PIT
%% (pure). A sample is {C1, P, C2, T}: the APIC timer's current count, PIT
%% channel 0's count, the APIC's count again, and the node's clock (us) in
%% the middle; (C1 + C2) / 2 is taken as the APIC's count when the PIT's
%% was read. A window is two ends a few ms apart, each the narrowest
%% (C1 - C2) of a few samples, as the kernel calibrates: a stall widens a
%% sample.
-module(lapic_math).
-export([divide/1, lvt/1, window/2, median/1, kernel_hz/1]).

-define(PIT_HZ, 1193182).

%% The divide configuration register (0x3E0): bits 3 and 1:0 make 0-7.
divide(Reg) ->
    element((Reg bsr 1) band 4 bor (Reg band 3) + 1, {2, 4, 8, 16, 32, 64, 128, 1}).

%% The LVT timer register (0x320).
lvt(Reg) ->
    #{mode => element((Reg bsr 17) band 3 + 1, {one_shot, periodic, tsc_deadline, reserved}),
      masked => Reg band (1 bsl 16) =/= 0, vector => Reg band 16#FF}.

%% The APIC timer's counts per second from the samples taken at a window's
%% start and at its end, or why the window is no good. The kernel re-arms
%% the timer at every tick and kernel timer, so a window counts only if the
%% APIC's count never went up (re-armed) nor reached 0 (stopped there).
window(Starts, Ends) ->
    case {best(Starts), best(Ends)} of
        {{C1, P1, C2, T1}, {C3, P2, C4, T2}} when C2 >= C3 ->
            Pit = (P1 - P2) band 16#FFFF,
            case agrees(Pit, T2 - T1) of
                true -> {ok, ((C1 + C2 - C3 - C4) * ?PIT_HZ + Pit) div (2 * Pit)};
                false -> {error, pit_vs_clock}
            end;
        _ ->
            {error, rearmed}
    end.

%% Whether the PIT counted what the node's clock says, within a quarter:
%% not if it wrapped more than once or stood still, nor if channel 0 does
%% not count down from 65536 one count a tick, as the BIOS left it (mode 2;
%% mode 3 counts by two, and pit:periodic/1 sets a shorter count).
agrees(Pit, Us) ->
    Pit > 0 andalso abs(Pit * 1000000 - Us * ?PIT_HZ) =< Us * ?PIT_HZ div 4.

best(Samples) ->
    case lists:sort([{C1 - C2, S} || {C1, _, C2, _} = S <- Samples, C1 >= C2, C2 > 0]) of
        [{_, Narrowest} | _] -> Narrowest;
        [] -> none
    end.

median(Values) ->
    Sorted = lists:sort(Values),
    N = length(Sorted),
    case N rem 2 of
        1 -> lists:nth(N div 2 + 1, Sorted);
        0 -> (lists:nth(N div 2, Sorted) + lists:nth(N div 2 + 1, Sorted)) div 2
    end.

%% The kernel's own figure from /dev/hydros/kernel's text: the line
%% `apic_timer_hz N'.
kernel_hz(Text) ->
    case [V || Line <- binary:split(Text, <<"\n">>, [global]),
               [<<"apic_timer_hz">>, V] <- [binary:split(Line, <<" ">>, [global, trim_all])]] of
        [V | _] ->
            case string:to_integer(V) of
                {Hz, <<>>} when Hz > 0 -> {ok, Hz};
                _ -> {error, {bad_apic_timer_hz, V}}
            end;
        [] ->
            {error, no_apic_timer_hz}
    end.
