%% EUnit for rtc_regs: the clock's registers in every format it has.
-module(rtc_regs_tests).
-include_lib("eunit/include/eunit.hrl").

-define(BCD_24, 16#02).
-define(BIN_24, 16#06).
-define(BCD_12, 16#00).
-define(BIN_12, 16#04).

round_trip_test_() ->
    Times = [{{2026, 12, 7}, {0, 0, 0}}, {{2026, 12, 7}, {12, 30, 59}}, {{2099, 12, 31}, {23, 59, 59}},
             {{2000, 1, 1}, {11, 1, 2}}, {{2024, 2, 29}, {13, 45, 0}}],
    [?_assertEqual({ok, T}, begin {ok, R} = rtc_regs:encode(T, B), rtc_regs:decode(R, B) end)
     || T <- Times, B <- [?BCD_24, ?BIN_24, ?BCD_12, ?BIN_12]].

bcd_and_twelve_hours_test_() ->
    Regs = #{sec => 16#59, min => 16#30, hour => 16#12, day => 16#07, month => 16#12, year => 16#26},
    [?_assertEqual({ok, {{2026, 12, 7}, {12, 30, 59}}}, rtc_regs:decode(Regs, ?BCD_24)),
     ?_assertEqual({ok, {{2026, 12, 7}, {0, 30, 59}}}, rtc_regs:decode(Regs, ?BCD_12)),      % 12 AM
     ?_assertEqual({ok, {{2026, 12, 7}, {12, 30, 59}}}, rtc_regs:decode(Regs#{hour => 16#92}, ?BCD_12)), % 12 PM
     ?_assertEqual({ok, {{2026, 12, 7}, {21, 30, 59}}}, rtc_regs:decode(Regs#{hour => 16#89}, ?BCD_12)),
     ?_assertEqual({ok, {{2038, 1, 19}, {3, 14, 7}}},
                   rtc_regs:decode(#{sec => 7, min => 14, hour => 3, day => 19, month => 1, year => 38}, ?BIN_24))].

nonsense_is_an_error_test_() ->
    [?_assertMatch({error, {bad_clock, _}},
                   rtc_regs:decode(#{sec => 16#99, min => 0, hour => 0, day => 1, month => 1, year => 0}, ?BCD_24)),
     ?_assertMatch({error, {bad_clock, _}},
                   rtc_regs:decode(#{sec => 0, min => 0, hour => 0, day => 16#31, month => 16#02, year => 0}, ?BCD_24)),
     ?_assertEqual({error, {out_of_range, {{1999, 12, 31}, {0, 0, 0}}}},
                   rtc_regs:encode({{1999, 12, 31}, {0, 0, 0}}, ?BCD_24)),
     ?_assertEqual({error, {out_of_range, {{2026, 2, 30}, {0, 0, 0}}}},
                   rtc_regs:encode({{2026, 2, 30}, {0, 0, 0}}, ?BCD_24)),
     ?_assertEqual({error, {out_of_range, {{2026, 1, 1}, {24, 0, 0}}}},
                   rtc_regs:encode({{2026, 1, 1}, {24, 0, 0}}, ?BCD_24)),
     ?_assertEqual({error, {out_of_range, now}}, rtc_regs:encode(now, ?BCD_24))].

alarm_test_() ->
    [?_assertEqual({ok, #{sec => 16#05, min => 16#30, hour => 16#23}}, rtc_regs:alarm({23, 30, 5}, ?BCD_24)),
     ?_assertEqual({ok, #{sec => 5, min => 30, hour => 16#8B}}, rtc_regs:alarm({23, 30, 5}, ?BIN_12)),
     ?_assertEqual({ok, #{sec => 0, min => 0, hour => 12}}, rtc_regs:alarm({0, 0, 0}, ?BIN_12)),
     ?_assertEqual({error, {out_of_range, {24, 0, 0}}}, rtc_regs:alarm({24, 0, 0}, ?BCD_24)),
     ?_assertEqual({error, {out_of_range, noon}}, rtc_regs:alarm(noon, ?BCD_24))].

mode_test_() ->
    [?_assertEqual(#{binary => false, h24 => true}, rtc_regs:mode(?BCD_24)),
     ?_assertEqual(#{binary => true, h24 => false}, rtc_regs:mode(?BIN_12 bor 16#20)),
     ?_assertEqual({ok, 16#26}, rtc_regs:mode_bits(#{binary => true, h24 => true}, 16#20)),
     ?_assertEqual({ok, 16#20}, rtc_regs:mode_bits(#{binary => false, h24 => false}, 16#26)),
     ?_assertEqual({error, {bad_mode, #{binary => yes, h24 => true}}},
                   rtc_regs:mode_bits(#{binary => yes, h24 => true}, 0)),
     ?_assertEqual({error, {bad_mode, #{binary => true}}}, rtc_regs:mode_bits(#{binary => true}, 0))].
