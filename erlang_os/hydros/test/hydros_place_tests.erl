-module(hydros_place_tests).
-include_lib("eunit/include/eunit.hrl").

loads() ->
    [{c0@hydros, #{busy => 0.10, processes => 40}},
     {c1@hydros, #{busy => 0.00, processes => 45}},
     {c2@hydros, #{busy => 0.95, processes => 10}}, % busy: past any count
     {c3@hydros, #{busy => 0.00, processes => 44}}].

least_loaded_test_() ->
    [?_assertEqual({ok, c0@hydros}, hydros_place:choose(least_loaded, loads(), none)),  % fewest processes of the not busy
     ?_assertEqual({ok, c3@hydros}, hydros_place:choose(least_loaded, tl(loads()), none)),
     ?_assertEqual({ok, c2@hydros}, hydros_place:choose(least_loaded, [{c2@hydros, #{busy => 0.95, processes => 10}}], none)),
     ?_assertEqual({error, no_live_node}, hydros_place:choose(least_loaded, [], none))].

even_spread_test() ->
    %% Placing one at a time, adding each to its node's count: an even spread.
    Place = fun P(0, _, Acc) -> Acc;
                P(K, Ls, Acc) ->
                    {ok, N} = hydros_place:choose(least_loaded, Ls, none),
                    {N, #{processes := C} = L} = lists:keyfind(N, 1, Ls),
                    P(K - 1, lists:keystore(N, 1, Ls, {N, L#{processes := C + 1}}), maps:update_with(N, fun(X) -> X + 1 end, 1, Acc))
            end,
    Idle = [{N, #{busy => 0.0, processes => 30}} || N <- [c0@hydros, c1@hydros, c2@hydros, c3@hydros]],
    ?assertEqual(lists:duplicate(4, 250), maps:values(Place(1000, Idle, #{}))),
    %% A busy node gets none while the others have room.
    Busy = lists:keystore(c2@hydros, 1, Idle, {c2@hydros, #{busy => 0.9, processes => 30}}),
    ?assertEqual(error, maps:find(c2@hydros, Place(300, Busy, #{}))),
    %% Some utilization below busy is noise: it does not unbalance the spread.
    Noisy = lists:keystore(c0@hydros, 1, Idle, {c0@hydros, #{busy => 0.5, processes => 30}}),
    ?assertEqual(lists:duplicate(4, 250), maps:values(Place(1000, Noisy, #{}))).

round_robin_test_() ->
    [?_assertEqual({ok, c1@hydros}, hydros_place:choose(round_robin, loads(), c0@hydros)),
     ?_assertEqual({ok, c0@hydros}, hydros_place:choose(round_robin, loads(), c3@hydros)),
     ?_assertEqual({ok, c0@hydros}, hydros_place:choose(round_robin, loads(), none))].

core_test_() ->
    [?_assertEqual({ok, c2@hydros}, hydros_place:choose({core, 2}, loads(), none)),
     ?_assertEqual({error, {no_live_node_on_core, 7}}, hydros_place:choose({core, 7}, loads(), none))].

not_with_test_() ->
    Here = self(), % a pid of nonode@nohost
    WithMine = [{node(), #{busy => 0.0, processes => 1}} | loads()], % this node: the least loaded
    [?_assertEqual({ok, node()}, hydros_place:choose(least_loaded, WithMine, none)),
     ?_assertEqual({ok, c0@hydros}, hydros_place:choose({not_with, Here}, WithMine, none)),
     ?_assertEqual({error, {no_other_node, node()}},
                   hydros_place:choose({not_with, Here}, [{node(), #{busy => 0.0, processes => 1}}], none))].

bad_policy_test_() ->
    [?_assertEqual({error, {bad_policy, fastest}}, hydros_place:choose(fastest, loads(), none)),
     ?_assertEqual({error, {bad_policy, {core, -1}}}, hydros_place:choose({core, -1}, loads(), none))].
