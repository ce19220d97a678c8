%% The operator's commands on the console that look at or act on one core's
%% node (hydros:help/0, ps/1, run/4): a bad core number or a node that does
%% not run is an {error, Reason} that says which, never a crash of the shell.
-module(hydros_shell).
-export([help/0, ps/1, run/4, top/0, top/1, services/0, services/1, node_of/1, processes/0]).

-define(PS_ROWS, 20).
-define(CALL_MS, 10000).

%% One line a command.
-spec help() -> ok.
help() ->
    Lines = [{"hydros:nodes()", "every core: state, heartbeat, memory, partition, why it died"},
             {"hydros:top([Seconds])", "every core: state, CPU, reductions/s, memory, run queue, processes, restarts, "
                                       "refreshed each second until Enter (or for Seconds)"},
             {"hydros:ps(Core)", "the busiest processes of Core's node"},
             {"hydros:run(Core, M, F, A)", "apply(M, F, A) on Core's node"},
             {"hydros:spawn(Fun[, Opts])", "Fun on the least loaded node (#{policy => round_robin | {core, C} | {not_with, Pid}})"},
             {"hydros:placed()", "where hydros:spawn put processes from this node"},
             {"hydros:kill(Core)", "end Core's node; its policy leaves it down"},
             {"hydros:restart(Core)", "start Core's dead node (the whole core if its kernel died)"},
             {"hydros:inject(Core, Fault)", "a fault: halt, node_crash, node_hang, kernel_panic, core_hang, ..."},
             {"hydros:policy(Core[, Policy])", "Core's restart policy: permanent | transient | temporary, intensity, period"},
             {"hydros:devices()", "the devices, their holders, drivers and driver states"},
             {"hydros:services([Core])", "the node's services: what each requires, its state, when it started"},
             {"hydros:subscribe()", "{hydros, Event} messages: node up, down, restarted, core dead, device moved"},
             {"hydros:state()", "cores, devices and placements as this node last saw them, and every node's load now"},
             {"hydros:channels()", "this core's rings to the others: messages, corrupt ones"},
             {"hydros:help()", "this list"}],
    [io:format("~-32s ~s~n", [Cmd, What]) || {Cmd, What} <- Lines],
    ok.

%% A table of every core: its state, its node's CPU use (the schedulers'
%% utilization over the last half second), reductions a second, memory,
%% run queue, processes, and restarts, printed again every second until
%% the operator presses Enter (the console's line discipline gives a key
%% only with its line). top(Seconds) refreshes it for that many seconds
%% instead, reading nothing (a read left waiting would take the next
%% command's line).
-spec top() -> ok.
top() ->
    Shell = self(),
    GL = group_leader(),
    Reader = spawn_link(fun() -> Shell ! {?MODULE, key, io:get_line(GL, "")} end),
    refresh(fun(Wait) -> receive {?MODULE, key, _} -> stop after Wait -> {again, Wait} end end, 1000),
    unlink(Reader),
    ok.

-spec top(non_neg_integer()) -> ok | {error, term()}.
top(Seconds) when is_integer(Seconds), Seconds >= 0 ->
    refresh(fun(0) -> stop;
               (Left) -> timer:sleep(1000), {again, Left - 1}
            end, Seconds);
top(Seconds) ->
    {error, {bad_seconds, Seconds}}.

%% The table, then Next(State) says whether to print it again.
refresh(Next, State0) ->
    table(),
    case Next(State0) of
        stop -> ok;
        {again, State} -> io:format("~n"), refresh(Next, State)
    end.

table() ->
    Status = hydros:status(),
    Nodes = [N || #{core := C, state := running} <- Status, {ok, N} <- [node_of(C)]],
    Figures = hydros_placer:figures(Nodes, ?CALL_MS),
    io:format("~-5s ~-9s ~5s ~9s ~10s ~6s ~9s ~8s~n",
              ["core", "state", "cpu%", "reds/s", "mem KiB", "runq", "processes", "restarts"]),
    [io:format("c~-4b ~-9s ~5s ~9s ~10b ~6s ~9s ~8b~n",
               [C, S, field(F, busy), field(F, reductions_per_s), M, field(F, run_queue), field(F, processes),
                max(0, Starts - 1)])
     || #{core := C, state := S, memory_kib := M, starts := Starts} <- Status,
        F <- [maps:get(list_to_atom("c" ++ integer_to_list(C) ++ "@hydros"), Figures, none)]],
    ok.

field(none, _) -> "-";
field(#{busy := B}, busy) -> integer_to_list(round(B * 100));
field(F, Key) -> integer_to_list(maps:get(Key, F)).

%% The node of Core, if it runs: {ok, Node}, or why not.
-spec node_of(term()) -> {ok, node()} | {error, term()}.
node_of(Core) when is_integer(Core), Core >= 0 ->
    case [S || #{core := C, state := S} <- hydros:status(), C =:= Core] of
        [] -> {error, {no_core, Core}};
        [running] -> {ok, list_to_atom("c" ++ integer_to_list(Core) ++ "@hydros")};
        [State] -> {error, {not_running, Core, State}}
    end;
node_of(Core) ->
    {error, {bad_core, Core}}.

%% Prints the ?PS_ROWS processes of Core's node with the most reductions.
-spec ps(non_neg_integer()) -> ok | {error, term()}.
ps(Core) ->
    case call(Core, ?MODULE, processes, []) of
        {ok, Info} ->
            Top = lists:sublist(lists:reverse(lists:keysort(2, [{P, proplists:get_value(reductions, I), I}
                                                                  || {P, I} <- Info])), ?PS_ROWS),
            io:format("~-16s ~-28s ~-36s ~12s ~10s ~6s~n",
                      ["pid", "name", "current function", "reductions", "memory", "queue"]),
            [io:format("~-16w ~-28w ~-36s ~12b ~10b ~6b~n",
                       [P, name(proplists:get_value(registered_name, I)), mfa(proplists:get_value(current_function, I)),
                        R, proplists:get_value(memory, I), proplists:get_value(message_queue_len, I)])
             || {P, R, I} <- Top],
            io:format("~b processes on c~b~n", [length(Info), Core]);
        Error ->
            Error
    end.

%% The services of this node's init, or of Core's node, dependencies
%% first: state, when each started and how long it took (ms after its
%% node's start), tries, what it requires ('after' ones in brackets), and
%% why it failed.
-spec services() -> ok.
services() ->
    print_services(hydros_init:services()).

-spec services(non_neg_integer()) -> ok | {error, term()}.
services(Core) ->
    case call(Core, hydros_init, services, []) of
        {ok, Services} -> print_services(Services);
        Error -> Error
    end.

print_services(Services) ->
    io:format("~s ~-9s ~-7s ~8s ~6s ~5s  ~s~n",
              [string:pad("service", 12), "state", "type", "start ms", "took", "tries", "requires"]),
    [io:format("~s ~-9s ~-7s ~8s ~6s ~5b  ~s~s~n",
               [string:pad(atom_to_list(N), 12), St, T, opt(started_ms, S), opt(took_ms, S), Tries, deps(R, A), why(S)])
     || S = #{name := N, state := St, type := T, tries := Tries, requires := R, 'after' := A} <- Services],
    ok.

opt(Key, S) ->
    case S of
        #{Key := V} -> integer_to_list(V);
        _ -> "-"
    end.

deps(R, A) ->
    lists:join(" ", [atom_to_list(D) || D <- R] ++ ["(" ++ atom_to_list(D) ++ ")" || D <- A]).

why(#{state := St, error := E}) when St =/= up -> io_lib:format("  ~0tp", [E]);
why(_) -> "".

%% This node's processes with what ps/1 shows (run there by ps/1).
-spec processes() -> [{pid(), [{atom(), term()}]}].
processes() ->
    [{P, I} || P <- erlang:processes(),
               is_list(I = process_info(P, [registered_name, current_function, reductions, memory,
                                            message_queue_len]))].

name([]) -> '-'; % not registered
name(Name) -> Name.

mfa({M, F, A}) -> io_lib:format("~w:~w/~b", [M, F, A]);
mfa(Other) -> io_lib:format("~w", [Other]).

%% apply(M, F, A) on Core's node: {ok, Result}, or why not ({error,
%% {exception, Class, Reason}} when the call raised).
-spec run(non_neg_integer(), module(), atom(), [term()]) -> {ok, term()} | {error, term()}.
run(Core, M, F, A) when is_atom(M), is_atom(F), is_list(A) ->
    call(Core, M, F, A);
run(_, M, F, A) ->
    {error, {badarg, [M, F, A]}}.

call(Core, M, F, A) ->
    case node_of(Core) of
        {ok, Node} ->
            try {ok, erpc:call(Node, M, F, A, ?CALL_MS)}
            catch
                error:{erpc, noconnection} -> {error, {node_down, Core}};
                error:{erpc, timeout} -> {error, {timeout, Core}};
                error:{exception, Reason, _Stack} -> {error, {exception, error, Reason}};
                exit:{exception, Reason} -> {error, {exception, exit, Reason}};
                throw:Value -> {error, {exception, throw, Value}}
            end;
        Error ->
            Error
    end.
