-module(hydros_policy_tests).
-include_lib("eunit/include/eunit.hrl").

config_test_() ->
    Def = hydros_policy:default(),
    [?_assertEqual({ok, #{default => Def}}, hydros_policy:from_terms([])),
     ?_assertEqual({ok, #{default => Def#{intensity => 5}, 2 => Def#{intensity => 5, restart => temporary}}},
                   hydros_policy:from_terms([{2, temporary}, {default, #{intensity => 5}}])),
     ?_assertEqual({error, {bad_policy, sometimes}}, hydros_policy:from_terms([{1, sometimes}])),
     ?_assertEqual({error, {bad_policy, #{period => 0}}}, hydros_policy:from_terms([{1, #{period => 0}}])),
     ?_assertEqual({error, {bad_policy, #{colour => red}}}, hydros_policy:from_terms([{1, #{colour => red}}])),
     ?_assertEqual({error, {bad_entry, {-1, temporary}}}, hydros_policy:from_terms([{-1, temporary}])),
     ?_assertEqual({ok, #{default => Def}}, hydros_policy:read_config("/nonexistent/policy.config"))].

decide_test_() ->
    P = #{restart => permanent, intensity => 2, period => 10},
    [?_assertEqual({restart, [100]}, hydros_policy:decide(P, "exit:0", [], 100)),
     ?_assertEqual({leave, killed}, hydros_policy:decide(P, "killed", [], 100)),
     ?_assertEqual({leave, temporary}, hydros_policy:decide(P#{restart => temporary}, "status:139", [], 100)),
     ?_assertEqual({leave, normal}, hydros_policy:decide(P#{restart => transient}, "exit:0", [], 100)),
     ?_assertEqual({restart, [100]}, hydros_policy:decide(P#{restart => transient}, "exit:3", [], 100)),
     %% Two restarts within 10 s are allowed; a third death in that time is one too many.
     ?_assertEqual({restart, [5000, 1000]}, hydros_policy:decide(P, "status:139", [1000], 5000)),
     ?_assertEqual({leave, {intensity, P}}, hydros_policy:decide(P, "status:139", [5000, 1000], 9000)),
     %% Restarts older than the period are forgotten.
     ?_assertEqual({restart, [12000, 5000]}, hydros_policy:decide(P, "status:139", [5000, 1000], 12000)),
     ?_assertEqual({leave, {intensity, P#{intensity => 0}}},
                   hydros_policy:decide(P#{intensity => 0}, "status:139", [], 1))].
