%% EUnit for hpet_regs: the capabilities and timer registers as QEMU and a
%% typical Intel chipset give them, and ticks to microseconds.
-module(hpet_regs_tests).
-include_lib("eunit/include/eunit.hrl").

-define(QEMU_CAPS, 16#00989680_8086A201). % 10 ns, vendor 8086, 64-bit, legacy capable, 3 timers, rev 1
-define(ICH_CAPS, 16#0429B17F_8086A701).  % 69.841279 ns (14.318180 MHz), 8 timers

capabilities_test_() ->
    [?_assertEqual(#{period_fs => 10000000, hz => 100000000, vendor => 16#8086, revision => 1, timers => 3,
                     counter_bits => 64, legacy_capable => true},
                   hpet_regs:capabilities(?QEMU_CAPS)),
     ?_assertMatch(#{period_fs := 69841279, hz := 14318180, timers := 8}, hpet_regs:capabilities(?ICH_CAPS)),
     ?_assertMatch(#{counter_bits := 32, legacy_capable := false},
                   hpet_regs:capabilities(?QEMU_CAPS band bnot (16#2000 bor 16#8000))),
     ?_assertEqual({error, {bad_capabilities, 0}}, hpet_regs:capabilities(0)),
     ?_assertEqual({error, {bad_capabilities, 16#FFFFFFFFFFFFFFFF}},
                   hpet_regs:capabilities(16#FFFFFFFFFFFFFFFF))].

timers_test_() ->
    Piix = 16#00000004_00000030,  % QEMU -machine pc: input 2 only; periodic and 64-bit capable
    Q35 = 16#00FF0104_00000030,   % QEMU -machine q35: inputs 2, 8 and 16-23
    [?_assertEqual(#{timer => 0, periodic_capable => true, size64 => true, int_route_cap => [2],
                     fsb_capable => false}, hpet_regs:timer(0, Piix)),
     ?_assertEqual([2, 8, 16, 17, 18, 19, 20, 21, 22, 23], maps:get(int_route_cap, hpet_regs:timer(1, Q35))),
     ?_assertMatch(#{periodic_capable := false, size64 := false, fsb_capable := true},
                   hpet_regs:timer(2, 16#8000)),
     ?_assertEqual(23, hpet_regs:route([2, 8, 16, 23])),
     ?_assertEqual(2, hpet_regs:route([2])),
     ?_assertEqual({error, no_route}, hpet_regs:route([]))].

one_shot_config_test_() ->
    [?_assertEqual(16#2E02, hpet_regs:one_shot_config(23)),     % level, route 23, interrupt off
     ?_assertEqual(16#0402, hpet_regs:one_shot_config(2)),
     ?_assertEqual(0, hpet_regs:one_shot_config(23) band 16#14D)]. % not periodic, no 32-bit mode, off

ticks_test_() ->
    [?_assertEqual(100, hpet_regs:us_to_ticks(1, 10000000)),
     ?_assertEqual(1000000000, hpet_regs:us_to_ticks(10000000, 10000000)),
     ?_assertEqual(15, hpet_regs:us_to_ticks(1, 69841279)),     % rounded up: never short
     ?_assertEqual(1000, hpet_regs:ticks_to_us(100000, 10000000)),
     ?_assertEqual(1000, hpet_regs:ticks_to_us(hpet_regs:us_to_ticks(1000, 69841279), 69841279)),
     ?_assertEqual(10, hpet_regs:elapsed(5, 15, 64)),
     ?_assertEqual(16#20, hpet_regs:elapsed(16#FFFFFFF0, 16#10, 32)),
     ?_assertEqual(16#20, hpet_regs:elapsed(16#FFFFFFFFFFFFFFF0, 16#10, 64))].
