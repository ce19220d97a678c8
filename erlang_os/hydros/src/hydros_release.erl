%% A user's release on the nodes (`make image REL=DIR`, docs/release.md):
%% the node's release service starts its applications, as its .rel says,
%% on every node, or on the cores its sys.config names ({hydros, [{nodes,
%% [C...]}]}); the other nodes have them loaded. tools/mkrelease.py puts
%% the release in the hydros application's `release` key:
%% {Name, Vsn, [{App, permanent | transient | temporary}]}.
-module(hydros_release).
-export([start/0, here/0]).

%% The release service: ok once every application is started here (or
%% there is nothing to start here), else the first that failed.
-spec start() -> ok | {error, {atom(), term()}}.
start() ->
    case {application:get_env(hydros, release), here()} of
        {undefined, _} ->
            ok;
        {{ok, {Name, Vsn, _}}, false} ->
            say("release ~s ~s: loaded, started on cores ~w only", [Name, Vsn, application:get_env(hydros, nodes, all)]);
        {{ok, {Name, Vsn, Apps}}, true} ->
            case start_apps(Apps) of
                ok -> say("release ~s ~s started: ~s", [Name, Vsn, lists:join(", ", [atom_to_list(A) || {A, _} <- Apps])]);
                Error -> Error
            end
    end.

%% Whether this node runs the release: every node, unless nodes says which.
-spec here() -> boolean().
here() ->
    case application:get_env(hydros, nodes, all) of
        all -> true;
        Cores -> lists:member(hydros:core(), Cores)
    end.

start_apps([]) ->
    ok;
start_apps([{App, Type} | Rest]) ->
    case application:ensure_all_started(App, Type) of
        {ok, _} -> start_apps(Rest);
        {error, Why} -> {error, {App, Why}}
    end.

say(Format, Args) ->
    io:format("c~b: " ++ Format ++ "~n", [hydros:core() | Args]).
