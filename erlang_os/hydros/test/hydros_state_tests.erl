-module(hydros_state_tests).
-include_lib("eunit/include/eunit.hrl").

core(C, State, Starts, Fault) -> #{core => C, state => State, starts => Starts, fault => Fault}.

events_test_() ->
    Up = [core(0, running, 1, "-"), core(1, running, 1, "-")],
    [?_assertEqual([], hydros_state:events(Up, Up)),
     ?_assertEqual([{node_up, 1}], hydros_state:events([core(0, running, 1, "-"), core(1, booting, 1, "-")], Up)),
     ?_assertEqual([{node_down, 1, "exit:0"}],
                   hydros_state:events(Up, [core(0, running, 1, "-"), core(1, node_dead, 1, "exit:0")])),
     ?_assertEqual([{node_down, 1, "panic"}, {core_dead, 1, "panic"}],
                   hydros_state:events(Up, [core(0, running, 1, "-"), core(1, core_dead, 1, "panic")])),
     ?_assertEqual([{core_dead, 1, "hung"}],
                   hydros_state:events([core(1, node_dead, 1, "x")], [core(1, core_dead, 1, "hung")])),
     ?_assertEqual([{node_restarted, 1}],
                   hydros_state:events([core(1, node_dead, 1, "x")], [core(1, running, 2, "x")])),
     %% Died and came back between two readings: both said.
     ?_assertEqual([{node_down, 1, "killed"}, {node_restarted, 1}],
                   hydros_state:events([core(1, running, 1, "-")], [core(1, running, 2, "killed")])),
     %% A core not seen before: nothing to compare with.
     ?_assertEqual([], hydros_state:events([], Up))].
