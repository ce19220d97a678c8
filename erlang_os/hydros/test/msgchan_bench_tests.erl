%% EUnit, on the host (make unit-test): the distribution workloads of the
%% boot tests and bench/msgchan, run within one ordinary node.
-module(msgchan_bench_tests).
-include_lib("eunit/include/eunit.hrl").

ring_test() ->
    ?assertMatch({1000, T} when is_integer(T), msgchan_bench:ring([node(), node(), node()], 1000)).

ping_pong_test() ->
    ?assert(msgchan_bench:ping_pong(node(), 100) > 0).

throughput_test() ->
    ?assert(msgchan_bench:throughput(node(), 1000, 50) > 0).

send_binary_test() ->
    ?assertEqual({200000, true}, msgchan_bench:send_binary(node(), 200000)),
    ?assertEqual({65536, true}, msgchan_bench:send_binary(node(), 65536)).
