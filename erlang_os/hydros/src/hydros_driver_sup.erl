%% A driver's top supervisor, registered as App_sup: its one server,
%% restarted whenever it dies (at most 10 times in 10 s, then the driver
%% application stops).
-module(hydros_driver_sup).
-behaviour(supervisor).
-export([start_link/2, init/1]).

start_link(App, Server) ->
    supervisor:start_link({local, list_to_atom(atom_to_list(App) ++ "_sup")}, ?MODULE, Server).

init(Server) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10},
          [#{id => Server, start => {Server, start_link, []}}]}}.
