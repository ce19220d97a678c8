%% EUnit for pit_math: the 8254's command bytes and counts.
-module(pit_math_tests).
-include_lib("eunit/include/eunit.hrl").

commands_test_() ->
    [?_assertEqual(16#00, pit_math:latch(0)),
     ?_assertEqual(16#80, pit_math:latch(2)),
     ?_assertEqual(16#B0, pit_math:mode(2, 0, lohi)),   % what the boot test and the kernel write
     ?_assertEqual(16#34, pit_math:mode(0, 2, lohi)),
     ?_assertError(function_clause, pit_math:mode(3, 0, lohi))].

counts_test_() ->
    [?_assertEqual({16#FF, 16#FF}, pit_math:bytes(16#FFFF)),
     ?_assertEqual({0, 0}, pit_math:bytes(16#10000)),
     ?_assertEqual(16#1234, pit_math:count(16#34, 16#12)),
     ?_assertError(function_clause, pit_math:bytes(0))].
