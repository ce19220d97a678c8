%% Kill/restart cycles of one node, driven from this node, for the boot
%% tests: each cycle halts the node (hydros:inject/2), waits for nodedown,
%% restarts it (hydros:restart/1) and waits for nodeup. Between death and
%% restart it reads the node's partition (every page must be free again)
%% and, once the node is back, the kernel's memory (it must not grow).
-module(restart_bench).
-export([cycles/2]).

-define(WAIT_MS, 30000).

%% #{cycles, nodeup_ms => {Min, Median, Max}, free_kib_dead => {First, Last},
%%   partition_kib, kernel_first, kernel_last} or {error, {cycle, I, Why}}.
-spec cycles(non_neg_integer(), pos_integer()) -> map() | {error, term()}.
cycles(Core, N) ->
    Node = msgchan_dist:node_of(Core),
    ok = net_kernel:monitor_nodes(true),
    try
        Results = [cycle(Core, Node, I) || I <- lists:seq(1, N)],
        {Times, Free, Kernel} = lists:unzip3(Results),
        Sorted = lists:sort(Times),
        #{cycles => N,
          nodeup_ms => {hd(Sorted), lists:nth((N + 1) div 2, Sorted), lists:last(Sorted)},
          free_kib_dead => {hd(Free), lists:last(Free)},
          partition_kib => partition_kib(Core),
          kernel_first => hd(Kernel), kernel_last => lists:last(Kernel)}
    catch
        throw:Why -> {error, Why}
    after
        net_kernel:monitor_nodes(false)
    end.

cycle(Core, Node, I) ->
    ok = hydros:inject(Core, halt),
    wait({nodedown, Node}, I),
    Free = free_when_gone(Core, I, 100),
    T0 = erlang:monotonic_time(millisecond),
    ok = hydros:restart(Core),
    wait({nodeup, Node}, I),
    {erlang:monotonic_time(millisecond) - T0, Free, hydros:kernel_memory()}.

wait(Msg, I) ->
    receive Msg -> ok after ?WAIT_MS -> throw({cycle, I, {no, Msg}}) end.

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
