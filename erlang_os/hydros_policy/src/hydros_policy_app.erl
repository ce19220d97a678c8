%% The restart policy application: started by every node's init (its policy service).
-module(hydros_policy_app).
-behaviour(application).
-export([start/2, stop/1]).

start(_Type, _Args) ->
    hydros_policy_sup:start_link().

stop(_State) ->
    ok.
