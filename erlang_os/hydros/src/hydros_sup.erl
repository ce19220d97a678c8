%% The hydros application's top supervisor: hydros_init first, then every
%% worker service it starts (supervisor:start_child, one_for_one), each
%% restarted on its own when it dies.
-module(hydros_sup).
-behaviour(supervisor).
-export([start_link/1, init/1]).

-spec start_link([hydros_services:service()]) -> {ok, pid()} | {error, term()}.
start_link(Services) ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, Services).

init(Services) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10},
          [#{id => hydros_init, start => {hydros_init, start_link, [Services]}}]}}.
