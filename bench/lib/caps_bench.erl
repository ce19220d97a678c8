%% bench/caps's workload, compiled (erl_eval would be most of the time):
%% spawn N processes that each send their parent one message and exit,
%% and time until every message is in.
-module(caps_bench).
-export([main/1]).

%% Prints "caps-bench Patched NoExclusionsUs ThreeExclusionsUs", best of 3
%% each, then halts. Patched: hydros_cap is the VM's (beam-patches/0002);
%% without it the second figure is the same spawn again.
main([NArg]) ->
    N = list_to_integer(NArg),
    Plain = best(N),
    Patched = try hydros_cap:exclusions() of _ -> true catch error:undef -> false end,
    Patched andalso hydros_cap:exclude([{port_io, all}, node_control, {app, bench}]),
    Excl = best(N),
    io:format("caps-bench ~p ~p ~p~n", [Patched, Plain, Excl]),
    halt().

best(N) -> lists:min([run(N) || _ <- [1, 2, 3]]).

run(N) ->
    Me = self(),
    T0 = erlang:monotonic_time(microsecond),
    spawn_n(Me, N),
    wait(N),
    erlang:monotonic_time(microsecond) - T0.

spawn_n(_, 0) -> ok;
spawn_n(Me, I) ->
    spawn(fun() -> Me ! x end),
    spawn_n(Me, I - 1).

wait(0) -> ok;
wait(I) -> receive x -> wait(I - 1) end.
