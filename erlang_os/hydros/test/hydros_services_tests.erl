-module(hydros_services_tests).
-include_lib("eunit/include/eunit.hrl").

s(Name, Requires) -> #{name => Name, start => {m, f, []}, requires => Requires}.
s(Name, Requires, After) -> (s(Name, Requires))#{'after' => After}.

checked(Services) ->
    {ok, Norm} = hydros_services:check(Services),
    Norm.

defaults_filled_in_test() ->
    ?assertEqual([#{name => a, start => {m, f, []}, requires => [], 'after' => [], type => task,
                    retries => 2, backoff_ms => 100}],
                 checked([#{name => a, start => {m, f, []}}])).

cycle_refused_with_its_path_test() ->
    ?assertEqual({error, {cycle, [a, b, c, a]}},
                 hydros_services:check([s(a, [b]), s(b, [c]), s(c, [a]), s(d, [])])),
    ?assertEqual({error, {cycle, [a, a]}}, hydros_services:check([s(a, [a])])),
    %% 'after' counts too: a waits for b, which requires a.
    ?assertEqual({error, {cycle, [a, b, a]}}, hydros_services:check([s(a, [], [b]), s(b, [a])])).

diamond_is_no_cycle_test() ->
    ?assertMatch({ok, _}, hydros_services:check([s(a, []), s(b, [a]), s(c, [a]), s(d, [b, c])])).

bad_graphs_refused_test() ->
    ?assertEqual({error, {duplicate, a}}, hydros_services:check([s(a, []), s(a, [])])),
    ?assertEqual({error, {unknown_dependency, b, nosuch}}, hydros_services:check([s(a, []), s(b, [nosuch])])),
    ?assertEqual({error, {unknown_dependency, b, later}}, hydros_services:check([s(b, [], [later])])),
    ?assertEqual({error, {bad_service, #{name => a}}}, hydros_services:check([#{name => a}])),
    ?assertMatch({error, {bad_service, _}}, hydros_services:check([(s(a, []))#{type => daemon}])),
    ?assertMatch({error, {bad_service, _}}, hydros_services:check([(s(a, []))#{retries => -1}])),
    ?assertMatch({error, {bad_service, _}}, hydros_services:check([(s(a, []))#{colour => red}])),
    ?assertMatch({error, {bad_service, _}}, hydros_services:check([(s(a, []))#{backoff_ms => 0}])),
    ?assertEqual({error, {bad_service, nolist}}, hydros_services:check(nolist)).

startable_once_requirements_are_up_test() ->
    G = checked([s(a, []), s(b, [a]), s(c, [a]), s(d, [b, c])]),
    W = #{a => waiting, b => waiting, c => waiting, d => waiting},
    ?assertEqual([a], hydros_services:startable(G, W)),
    ?assertEqual([], hydros_services:startable(G, W#{a := starting})),
    %% b and c together: concurrently, as soon as a is up.
    ?assertEqual([b, c], hydros_services:startable(G, W#{a := up})),
    ?assertEqual([], hydros_services:startable(G, W#{a := up, b := up, c := starting})),
    ?assertEqual([d], hydros_services:startable(G, #{a => up, b => up, c => up, d => waiting})).

a_failed_requirement_blocks_and_says_which_test() ->
    G = checked([s(a, []), s(b, [a]), s(c, [b]), s(d, [])]),
    ?assertEqual([{b, a}], hydros_services:blocked(G, #{a => failed, b => waiting, c => waiting, d => up})),
    %% and blocking spreads: c needs b, which is blocked
    ?assertEqual([{c, b}], hydros_services:blocked(G, #{a => failed, b => blocked, c => waiting, d => up})),
    ?assertEqual([], hydros_services:startable(G, #{a => failed, b => waiting, c => waiting, d => up})).

after_waits_for_settled_either_way_test() ->
    G = checked([s(a, []), s(b, []), s(ready, [a], [b])]),
    ?assertEqual([], hydros_services:startable(G, #{a => up, b => starting, ready => waiting})),
    ?assertEqual([ready], hydros_services:startable(G, #{a => up, b => failed, ready => waiting})),
    ?assertEqual([ready], hydros_services:startable(G, #{a => up, b => up, ready => waiting})),
    ?assertEqual([], hydros_services:blocked(G, #{a => up, b => failed, ready => waiting})).

order_puts_dependencies_first_test() ->
    G = checked([s(d, [b, c]), s(c, [a]), s(b, [a]), s(a, []), s(e, [], [d])]),
    ?assertEqual([a, c, b, d, e], hydros_services:order(G)).

settled_test() ->
    ?assertEqual([false, false, true, true, true],
                 [hydros_services:settled(S) || S <- [waiting, starting, up, failed, blocked]]).
