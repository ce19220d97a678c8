%% The application callback every driver of drivers_erl/ names in its
%% .app.src ({mod, {hydros_driver_app, {App, Server}}}): the driver's
%% processes are kept to its device (hydros_drivers:limit/1), then its
%% supervisor (App_sup, hydros_driver_sup) starts its server.
-module(hydros_driver_app).
-behaviour(application).
-export([start/2, stop/1]).

start(_Type, {App, Server}) ->
    ok = hydros_drivers:limit(App),
    hydros_driver_sup:start_link(App, Server).

stop(_State) ->
    ok.
