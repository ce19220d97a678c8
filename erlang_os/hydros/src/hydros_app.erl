%% The hydros application, started by every node's boot script
%% (tools/mkrelease.py) after kernel and stdlib: says on the console which
%% core and partition the node has, then starts hydros_sup, whose init
%% starts the node's services (hydros_init), and returns once they are all
%% up, failed or blocked, so that the boot script ends, and the console's
%% shell prompts, when the node is up. A service still starting after
%% ?WAIT_MS is said and left to finish. Off HydrOS (no /dev/hydros: the
%% Linux comparison in bench/) there are no services to start.
-module(hydros_app).
-behaviour(application).
-export([start/2, stop/1]).

-define(WAIT_MS, 60000).

start(_Type, _Args) ->
    case file:read_file_info("/dev/hydros/self") of
        {ok, _} ->
            {Base, End} = hydros:partition(),
            io:format("c~b: ~s on core ~b up, partition 16#~.16b-16#~.16b (~b MiB)~n",
                      [hydros:core(), node(), hydros:core(), Base, End, (End - Base) bsr 20]),
            {ok, Services} = application:get_env(hydros, services),
            case hydros_services:check(Services) of
                {ok, _} ->
                    start_services(Services);
                {error, Why} ->
                    io:format("c~b: init: the services cannot start: ~0tp~n", [hydros:core(), Why]),
                    {error, {bad_services, Why}}
            end;
        {error, _} ->
            hydros_sup:start_link([])
    end.

start_services(Services) ->
    case hydros_sup:start_link(Services) of
        {ok, Sup} ->
            case hydros_init:wait(?WAIT_MS) of
                ok -> ok;
                timeout -> io:format("c~b: init: services still starting after ~b s; boot goes on~n",
                                     [hydros:core(), ?WAIT_MS div 1000])
            end,
            {ok, Sup};
        Error ->
            Error
    end.

stop(_State) ->
    ok.
