%% EUnit for lapic_math: the timer's registers as the kernel sets them, and
%% its frequency from samples, good windows and the ones left out.
-module(lapic_math_tests).
-include_lib("eunit/include/eunit.hrl").

-define(HZ, 62500000). % QEMU's 1 GHz APIC bus, divided by 16

%% A sample at T us after a window's start, the APIC having counted down
%% from Count0 at ?HZ and the PIT from Pit0, the PIT read in the middle
%% of a bracket Width APIC counts wide.
sample(Count0, Pit0, T, Width) ->
    Apic = Count0 - T * ?HZ div 1000000,
    {Apic + Width div 2, (Pit0 - T * 1193182 div 1000000) band 16#FFFF, Apic - Width div 2, T}.

registers_test_() ->
    [?_assertEqual(16, lapic_math:divide(16#3)),          % the kernel's
     ?_assertEqual(1, lapic_math:divide(16#B)),
     ?_assertEqual(2, lapic_math:divide(16#0)),
     ?_assertEqual(128, lapic_math:divide(16#A)),
     ?_assertEqual(#{mode => one_shot, masked => false, vector => 16#20}, lapic_math:lvt(16#20)),
     ?_assertEqual(#{mode => periodic, masked => true, vector => 16#EF}, lapic_math:lvt(16#300EF)),
     ?_assertMatch(#{mode := tsc_deadline}, lapic_math:lvt(16#40000)),
     ?_assertMatch(#{mode := reserved}, lapic_math:lvt(16#60000))].

window_test_() ->
    Start = [sample(600000, 1000, 0, 400), sample(600000, 1000, 0, 40), sample(600000, 1000, 0, 4000)],
    End = [sample(600000, 1000, 3000, 60)],
    {ok, Hz} = lapic_math:window(Start, End),
    [?_assert(abs(Hz - ?HZ) < ?HZ div 1000),
     %% the PIT wrapped once in the window (1000 - 3579 counts)
     ?_assertMatch({ok, _}, lapic_math:window([sample(600000, 1000, 0, 40)], End)),
     %% re-armed: the count went up between the ends, or within a sample
     ?_assertEqual({error, rearmed}, lapic_math:window(Start, [sample(900000, 1000, 3000, 60)])),
     ?_assertEqual({error, rearmed}, lapic_math:window(Start, [{10, 0, 600000, 3000}])),
     %% the count reached 0 and stopped there
     ?_assertEqual({error, rearmed}, lapic_math:window(Start, [{0, 0, 0, 3000}])),
     ?_assertEqual({error, rearmed}, lapic_math:window([], End)),
     %% the PIT against the node's clock: stood still, wrapped twice, counted by two (mode 3)
     ?_assertEqual({error, pit_vs_clock}, lapic_math:window([{600000, 5, 599990, 0}], [{500000, 5, 499990, 3000}])),
     ?_assertEqual({error, pit_vs_clock},
                   lapic_math:window([sample(60000000, 1000, 0, 40)], [sample(60000000, 1000, 58000, 40)])),
     ?_assertEqual({error, pit_vs_clock}, lapic_math:window([{600000, 8000, 599990, 0}], [{412500, 841, 412490, 3000}])),
     ?_assertMatch({ok, _}, lapic_math:window([{600000, 8000, 599990, 0}], [{412500, 4421, 412490, 3000}])),
     ?_assertEqual({error, pit_vs_clock}, lapic_math:window([{600000, 5, 599990, 0}], [{500000, 4, 499990, 0}]))].

median_test_() ->
    [?_assertEqual(3, lapic_math:median([5, 1, 3])),
     ?_assertEqual(62500000, lapic_math:median([62500000, 1, 62400000, 62600000, 99999999])),
     ?_assertEqual(25, lapic_math:median([40, 10, 20, 30]))].

kernel_hz_test_() ->
    Text = <<"pool_free_kib 1024\nheap_kib 64\napic_timer_hz 62500000\nheap_allocs 3\n">>,
    [?_assertEqual({ok, 62500000}, lapic_math:kernel_hz(Text)),
     ?_assertEqual({ok, 100}, lapic_math:kernel_hz(<<"apic_timer_hz 100">>)),
     ?_assertEqual({error, no_apic_timer_hz}, lapic_math:kernel_hz(<<"pool_free_kib 1024\n">>)),
     ?_assertEqual({error, {bad_apic_timer_hz, <<"x1">>}}, lapic_math:kernel_hz(<<"apic_timer_hz x1\n">>))].
