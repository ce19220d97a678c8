%% The policy application's supervisor: its one server, restarted if it crashes.
-module(hydros_policy_sup).
-behaviour(supervisor).
-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

init([]) ->
    {ok, {#{strategy => one_for_one, intensity => 5, period => 10},
          [#{id => hydros_policy_server, start => {hydros_policy_server, start_link, []}}]}}.
