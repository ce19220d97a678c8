%% Distribution workloads between nodes, for the boot tests of the carrier
%% (tests/boot/test_dist.py) and bench/msgchan, which runs the same calls on
%% HydrOS and on two Linux nodes over TCP. Every function runs on the
%% calling node and spawns its helpers on the others (spawn/4), so the nodes
%% need this module and nothing else.
-module(msgchan_bench).
-export([report/1, ring/2, ping_pong/2, throughput/3, send_binary/2, nodedown_latency/3,
         nodedown_latency_async/3, nodedown_result/0, nodedown_probe/3]).
-export([ring_member/0, echo/0, sink/2, binary_sink/1, nodedown_watcher/2]).

%% bench/msgchan's run on this node: waits for Peer to answer, warms the
%% connection up, prints a line a figure ("msgchan_bench: rtt_us 123.45":
%% the mean of 10000 round trips; mibs_1k, mibs_64k: MiB/s of 1 KiB and
%% 64 KiB messages) and halts.
report(Peer) ->
    wait_for(Peer, 600),
    _ = ping_pong(Peer, 200),
    _ = throughput(Peer, 65536, 20),
    Figures = [{rtt_us, ping_pong(Peer, 10000)},
               {mibs_1k, throughput(Peer, 1024, 40000)},
               {mibs_64k, throughput(Peer, 65536, 1600)}],
    [io:format("msgchan_bench: ~s ~.2f~n", [Name, float(V)]) || {Name, V} <- Figures],
    erlang:halt().

wait_for(Peer, 0) -> exit({no_answer_from, Peer});
wait_for(Peer, Tries) ->
    case net_adm:ping(Peer) of
        pong -> ok;
        pang -> timer:sleep(100), wait_for(Peer, Tries - 1)
    end.

%% A process on each of Nodes, in a ring, and a token passed Hops times
%% around it: {Hops, Microseconds}.
ring(Nodes, Hops) when Nodes =/= [], Hops > 0 ->
    Pids = [spawn(N, ?MODULE, ring_member, []) || N <- Nodes],
    [P ! {next, Next} || {P, Next} <- lists:zip(Pids, tl(Pids) ++ [hd(Pids)])],
    T0 = now_us(),
    hd(Pids) ! {token, Hops, self(), Hops},
    receive
        {token_home, Hops} -> ok
    end,
    T = now_us() - T0,
    [P ! stop || P <- Pids],
    {Hops, T}.

ring_member() ->
    receive {next, Next} -> ring_loop(Next) end.

ring_loop(Next) ->
    receive
        {token, 0, Owner, Passes} -> Owner ! {token_home, Passes}, ring_loop(Next);
        {token, Left, Owner, Passes} -> Next ! {token, Left - 1, Owner, Passes}, ring_loop(Next);
        stop -> ok
    end.

%% Round trips of a small message to a process on Node: microseconds per
%% round trip (the mean over N).
ping_pong(Node, N) when N > 0 ->
    Echo = spawn(Node, ?MODULE, echo, []),
    Echo ! {self(), warm_up},
    receive warm_up -> ok end,
    T0 = now_us(),
    ping(Echo, N),
    T = now_us() - T0,
    Echo ! stop,
    T / N.

ping(_Echo, 0) -> ok;
ping(Echo, N) ->
    Echo ! {self(), N},
    receive N -> ping(Echo, N - 1) end.

echo() ->
    receive
        {From, Msg} -> From ! Msg, echo();
        stop -> ok
    end.

%% Count binaries of Size bytes to a process on Node: MiB/s, from the first
%% send to the sink's acknowledgement of the last byte.
throughput(Node, Size, Count) when Size > 0, Count > 0 ->
    Sink = spawn(Node, ?MODULE, sink, [self(), Size * Count]),
    Bin = binary:copy(<<"hydros!!">>, Size div 8 + 1),
    Msg = binary:part(Bin, 0, Size),
    T0 = now_us(),
    [Sink ! Msg || _ <- lists:seq(1, Count)],
    receive {sink_done, Sink} -> ok end,
    (Size * Count / 1048576) / ((now_us() - T0) / 1.0e6).

sink(From, 0) -> From ! {sink_done, self()};
sink(From, Left) -> receive Bin -> sink(From, Left - byte_size(Bin)) end.

%% A binary of Size bytes (64 KiB blocks, each random and numbered, so a lost,
%% doubled or reordered block changes the checksum) sent from this node to
%% a process on To, which checks it: {Size received, true when its MD5 is the
%% sender's}.
send_binary(To, Size) ->
    Blocks = [[<<I:32>>, rand:bytes(65532)] || I <- lists:seq(1, Size div 65536)],
    Bin = iolist_to_binary([Blocks, rand:bytes(Size rem 65536)]),
    Sink = spawn(To, ?MODULE, binary_sink, [self()]),
    Sink ! Bin,
    receive
        {got, Sink, Got, Md5} -> {Got, Md5 =:= erlang:md5(Bin)}
    after 120000 -> timeout
    end.

binary_sink(From) ->
    receive Bin -> From ! {got, self(), byte_size(Bin), erlang:md5(Bin)} end.

%% Ends Victim while a process on each of Observers monitors it: for each
%% observer, {Node, milliseconds from its go (sent just before the end) to
%% its nodedown} or {Node, timeout}. How: halt (erlang:halt/0), fault (a
%% store to the kernel's text from user mode, which the kernel answers by
%% killing the node: it needs debug_poke on the kernel command line), or
%% {inject, Fault}: hydros:inject/2 on the victim's core, from this node.
nodedown_latency(Observers, Victim, How) ->
    Ws = [spawn(O, ?MODULE, nodedown_watcher, [self(), Victim]) || O <- Observers],
    [receive {watching, W} -> ok end || W <- Ws],
    [W ! go || W <- Ws],
    case How of
        halt -> rpc:cast(Victim, erlang, halt, []);
        fault -> rpc:cast(Victim, hydros, poke, [kernel]);
        {inject, Fault} -> ok = hydros:inject(msgchan_dist:core_of(Victim), Fault)
    end,
    [receive
         {nodedown_after, W, Us} -> {node(W), Us / 1000}
     after 10000 -> {node(W), timeout}
     end || W <- Ws].

%% nodedown_latency/3 in a process of this node's, for when the asking node
%% is the victim (the console node, say): returns at once; the result waits
%% for nodedown_result/0, asked on this node.
nodedown_latency_async(Observers, Victim, How) ->
    Parent = self(),
    spawn(fun() ->
                  register(nodedown_result, self()),
                  Parent ! {registered, self()},
                  Result = nodedown_latency(Observers, Victim, How),
                  receive {get, From} -> From ! {nodedown_result, Result} end
          end),
    receive {registered, _} -> ok end.

%% For make faults: nodedown_latency/3 from a process of this node's, then
%% whether every observer still answers rpc:call, printed on this node's
%% output as one line "nodedown probe: Latencies Answers" (the console core
%% prints it even when no connection to the asking node survived).
nodedown_probe(Observers, Victim, How) ->
    spawn(fun() ->
                  Result = nodedown_latency(Observers, Victim, How),
                  Answers = [rpc:call(N, hydros, core, [], 5000) || N <- Observers],
                  io:format(user, "nodedown probe: ~w ~w~n", [Result, Answers])
          end),
    ok.

nodedown_result() ->
    nodedown_result ! {get, self()},
    receive {nodedown_result, Result} -> Result after 30000 -> timeout end.

nodedown_watcher(Parent, Victim) ->
    true = monitor_node(Victim, true),
    Parent ! {watching, self()},
    receive go -> ok end,
    T0 = now_us(),
    receive {nodedown, Victim} -> Parent ! {nodedown_after, self(), now_us() - T0} end.

now_us() ->
    erlang:monotonic_time(microsecond).
