%% A restarted node gets its mnesia copies back by itself: a node started
%% again on its core (not at the machine's boot) that finds mnesia running
%% on the nodes it connects to starts mnesia too, joined to them
%% (extra_db_nodes). Its ram copies, which the schema still lists on it,
%% are then loaded from theirs. At the machine's boot nothing happens:
%% starting mnesia is the application's business.
-module(hydros_mnesia).
-export([rejoin/0]).

-define(WAIT_MS, 10000). % for the mesh to form and show mnesia
-define(POLL_MS, 200).

%% The node's mnesia service (hydros_init); returns at once.
-spec rejoin() -> ok.
rejoin() ->
    [#{starts := Starts}] = [S || S = #{core := C} <- hydros:status(), C =:= hydros:core()],
    case Starts > 1 of
        true -> _ = spawn(fun() -> rejoin(erlang:monotonic_time(millisecond) + ?WAIT_MS) end), ok;
        false -> ok
    end.

rejoin(Deadline) ->
    case [N || N <- nodes(), running(N)] of
        [] ->
            case erlang:monotonic_time(millisecond) < Deadline of
                true -> timer:sleep(?POLL_MS), rejoin(Deadline);
                false -> ok
            end;
        Running ->
            ok = application:set_env(mnesia, extra_db_nodes, Running),
            {ok, _} = application:ensure_all_started(mnesia),
            io:format("c~b: mnesia rejoined ~w~n", [hydros:core(), Running])
    end.

%% Without loading mnesia there: its application list says.
running(Node) ->
    case rpc:call(Node, application, which_applications, [], 1000) of
        Apps when is_list(Apps) -> lists:keymember(mnesia, 1, Apps);
        _ -> false
    end.
