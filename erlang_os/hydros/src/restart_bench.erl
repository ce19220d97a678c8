%% Kill/restart cycles of one node or one whole core, driven from this node,
%% for the boot tests: each cycle makes the core suffer a fault
%% (hydros:inject/2), waits for nodedown, restarts it (hydros:restart/1)
%% and waits for nodeup. After a node's death it reads the node's
%% partition (every page must be free again); a dead core's partition is
%% left as it was until the restart, so for those the last cycle ends with
%% one halt more and that reading. Once the node is back it reads the
%% kernel's memory (it must not grow).
-module(restart_bench).
-export([cycles/2, cycles/3, comes_back/2, answering/1, answered/1, back_probe/1]).

-define(WAIT_MS, 30000).

-spec cycles(non_neg_integer(), pos_integer()) -> map() | {error, term()}.
cycles(Core, N) ->
    cycles(Core, [halt], N).

%% Faults: taken in turn, cycle after cycle. #{cycles, nodeup_ms => {Min,
%% Median, Max} (from the restart), kill_to_nodeup_ms (from the fault, the
%% wait for the core's verdict included; kill_to_nodeup_all: every cycle's), free_kib_dead => {First, Last} (the partition at each
%% death: node faults only), free_kib_end (at a halt after the last cycle),
%% partition_kib, kernel_first, kernel_last} or {error, {cycle, I, Why}}.
-spec cycles(non_neg_integer(), [atom()], pos_integer()) -> map() | {error, term()}.
cycles(Core, Faults, N) ->
    Node = msgchan_dist:node_of(Core),
    ok = net_kernel:monitor_nodes(true),
    try
        Results = [cycle(Core, Node, lists:nth((I - 1) rem length(Faults) + 1, Faults), I)
                   || I <- lists:seq(1, N)],
        {Times, Free, Kernel, Kills} = lists:foldr(fun({T, F, K, Kill}, {Ts, Fs, Ks, Kls}) ->
                                                           {[T | Ts], [F | Fs], [K | Ks], [Kill | Kls]}
                                                   end, {[], [], [], []}, Results),
        Dead = [F || F <- Free, F =/= core],
        ok = hydros:inject(Core, halt),
        wait({nodedown, Node}, N + 1),
        End = free_when_gone(Core, N + 1, 100),
        ok = hydros:restart(Core),
        wait({nodeup, Node}, N + 1),
        #{cycles => N,
          nodeup_ms => spread(Times),
          kill_to_nodeup_ms => spread(Kills), kill_to_nodeup_all => Kills,
          free_kib_dead => case Dead of [] -> none; _ -> {hd(Dead), lists:last(Dead)} end,
          free_kib_end => End,
          partition_kib => partition_kib(Core),
          kernel_first => hd(Kernel), kernel_last => lists:last(Kernel)}
    catch
        throw:Why -> {error, Why}
    after
        net_kernel:monitor_nodes(false)
    end.

spread(Times) ->
    Sorted = lists:sort(Times),
    {hd(Sorted), lists:nth((length(Sorted) + 1) div 2, Sorted), lists:last(Sorted)}.

cycle(Core, Node, Fault, I) ->
    Killed = erlang:monotonic_time(millisecond),
    ok = hydros:inject(Core, Fault),
    wait({nodedown, Node}, I),
    Free = case Fault of
               halt -> free_when_gone(Core, I, 100);
               _ -> core_dead(Core, I, 100)
           end,
    T0 = erlang:monotonic_time(millisecond),
    ok = hydros:restart(Core),
    wait({nodeup, Node}, I),
    Up = erlang:monotonic_time(millisecond),
    {Up - T0, Free, kernel_memory(), Up - Killed}.

%% The kernel's memory without what other nodes hold for a moment (a
%% /dev/hydros text being read by their hydros_state, a thread's stack):
%% the reading with the least heap in use of a few.
kernel_memory() ->
    Readings = [begin timer:sleep(20), hydros:kernel_memory() end || _ <- lists:seq(1, 5)],
    hd(lists:sort(fun(#{heap_in_use := A}, #{heap_in_use := B}) -> A =< B end, Readings)).

%% Injects Fault on Core and waits for its restart policy to bring the node
%% back: {ok, #{nodedown_ms, nodeup_ms}}, both from the injection, or
%% {error, {no, nodedown | nodeup}}.
-spec comes_back(non_neg_integer(), atom()) -> {ok, map()} | {error, term()}.
comes_back(Core, Fault) ->
    Node = msgchan_dist:node_of(Core),
    ok = net_kernel:monitor_nodes(true),
    T0 = erlang:monotonic_time(millisecond),
    Since = fun() -> erlang:monotonic_time(millisecond) - T0 end,
    try
        ok = hydros:inject(Core, Fault),
        wait({nodedown, Node}, 1),
        Down = Since(),
        wait({nodeup, Node}, 1),
        {ok, #{nodedown_ms => Down, nodeup_ms => Since()}}
    catch
        throw:{cycle, _, Why} -> {error, Why}
    after
        net_kernel:monitor_nodes(false)
    end.

%% Waits until Node is connected, then answers rpc:call: ok, or timeout
%% after Ms. Makes no connection itself.
wait_connected(Node, Ms) ->
    Until = erlang:monotonic_time(millisecond) + Ms,
    wait_connected_until(Node, Until).

wait_connected_until(Node, Until) ->
    case lists:member(Node, nodes()) andalso rpc:call(Node, erlang, node, [], 1000) =:= Node of
        true -> ok;
        false ->
            case erlang:monotonic_time(millisecond) < Until of
                true -> timer:sleep(20), wait_connected_until(Node, Until);
                false -> timeout
            end
    end.

%% For make faults, beside msgchan_bench:nodedown_probe/3 (which injects
%% the fault): on this node, the milliseconds from this call until Victim,
%% once down, is connected again and answers rpc:call, printed as "back
%% probe: Ms"; "never" if it is not within 30 s, "-" if it never went down
%% (within 5 s). It only watches: the connection is the system's to make
%% again (the restarted node's connect_all, the node monitors' mend).
-spec back_probe(node()) -> ok.
back_probe(Victim) ->
    spawn(fun() ->
                  T0 = erlang:monotonic_time(millisecond),
                  erlang:monitor_node(Victim, true),
                  Back = receive
                             {nodedown, Victim} ->
                                 case wait_connected(Victim, ?WAIT_MS) of
                                     ok -> erlang:monotonic_time(millisecond) - T0;
                                     timeout -> never
                                 end
                         after 5000 -> '-'
                         end,
                  io:format(user, "back probe: ~w~n", [Back])
          end),
    ok.

%% A process that calls every node of Nodes every 20 ms until answered/1
%% asks it how that went: whether the survivors kept answering. Registered
%% as restart_bench_pinger, so that a shell on another node can ask it.
-spec answering([node()]) -> pid().
answering(Nodes) ->
    spawn(fun() -> register(restart_bench_pinger, self()), ask(Nodes, 0, []) end).

%% {Calls, Failed}: the calls each node did not answer, [{Node, Reason}].
-spec answered(pid() | {atom(), node()}) -> {non_neg_integer(), [{node(), term()}]}.
answered(Pinger) ->
    Ref = make_ref(),
    Pinger ! {self(), Ref, stop},
    receive {Ref, Result} -> Result after ?WAIT_MS -> {0, [{Pinger, no_reply}]} end.

ask(Nodes, Calls, Failed) ->
    receive
        {From, Ref, stop} -> From ! {Ref, {Calls, lists:reverse(Failed)}}
    after 20 ->
        New = [{N, R} || N <- Nodes, R <- [rpc:call(N, erlang, node, [], 5000)], R =/= N],
        ask(Nodes, Calls + length(Nodes), New ++ Failed)
    end.

wait(Msg, I) ->
    receive Msg -> ok after ?WAIT_MS -> throw({cycle, I, {no, Msg}}) end.

%% Nodedown may come before the watchdog's verdict on the core (the node
%% of a core that panics dies first): wait for the verdict.
core_dead(Core, I, 0) ->
    throw({cycle, I, {not_core_dead, Core}});
core_dead(Core, I, Tries) ->
    case [S || #{core := C, state := S} <- hydros:status(), C =:= Core] of
        [core_dead] -> core;
        _ -> timer:sleep(20), core_dead(Core, I, Tries - 1)
    end.

%% The partition's free memory once the node's kernel has freed its pages:
%% nodedown comes as the rings close, before the pages are given back, so
%% wait until the node is dead and the figure holds still.
free_when_gone(Core, I, Tries) ->
    free_when_gone(Core, I, Tries, none).

free_when_gone(Core, I, 0, _) ->
    throw({cycle, I, {not_gone, Core}});
free_when_gone(Core, I, Tries, Last) ->
    [{State, Free}] = [{S, F} || #{core := C, state := S, free_kib := F} <- hydros:status(), C =:= Core],
    case State =:= node_dead andalso Free =:= Last of
        true -> Free;
        false -> timer:sleep(20), free_when_gone(Core, I, Tries - 1, Free)
    end.

partition_kib(Core) ->
    {Base, End} = hydros:partition(Core),
    (End - Base) div 1024.
