%% Erlang distribution over the inter-core channels: the -proto_dist msgchan
%% carrier (nodes boot with -proto_dist msgchan -no_epmd -sname cN@hydros).
%% Modelled on OTP 25's inet_tcp_dist: net_kernel calls listen/2, accept/1,
%% accept_connection/5 and setup/5, and dist_util does the handshake over
%% the msgchan port of the peer's core (bifs/msgchan_drv.c). Once the
%% handshake is done, that port is the connection's distribution
%% controller: ERTS writes dist data to the ring and reads it back without
%% a process in between.
%%
%% Names: cN@hydros is the node on core N; nothing is looked up, there is
%% no epmd. One ring pair carries one connection, so two nodes must never
%% start handshakes to each other at once: the node whose name is greater
%% always connects, and the other knocks (asks it to). That is the rule
%% net_kernel itself applies to a simultaneous connect (the greater name's
%% attempt wins), so a knocking setup that is still pending when the other
%% node's connection arrives is replaced by it, and whoever waited for the
%% connection gets it. At boot every node connects to, or knocks on, every
%% node that is up (connect_all/0): a full mesh, so that nodes() is complete
%% and a node's failure is seen everywhere at once.
-module(msgchan_dist).

-export([childspecs/0, select/1, address/0, listen/2, accept/1,
         accept_connection/5, setup/5, close/1]).
-export([connect_all/0, mend/0, stats/0, node_of/1, core_of/1, control/2]).
-export([accept_loop/2, do_accept/5, do_setup/4]).

-include_lib("kernel/include/net_address.hrl").
-include_lib("kernel/include/dist_util.hrl").
-include_lib("kernel/include/dist.hrl").

-define(CONNECT_MS, 10000). % how long connect_all keeps trying a running peer
-define(RETRY_MS, 200).

%% --- net_kernel's interface ------------------------------------------------

childspecs() ->
    {ok, [#{id => msgchan_listener,
            start => {msgchan_listener, start_link, []},
            restart => permanent, shutdown => 2000, type => worker,
            modules => [msgchan_listener]}]}.

select(Node) ->
    core_of(Node) =/= error.

address() ->
    {Me, _} = msgchan_listener:cores(),
    address(Me).

listen(_Name, _Host) ->
    case msgchan_listener:cores() of
        undefined ->
            {error, no_channels};
        {Me, _} ->
            %% A new creation on every start, so a restarted node's old
            %% pids and references are told apart from its new ones.
            {ok, {msgchan_listener, address(Me), rand:uniform(16#fffffff0) + 3}}
    end.

accept(Listener) ->
    spawn_opt(?MODULE, accept_loop, [self(), Listener], [link, {priority, max}]).

accept_connection(AcceptPid, Port, MyNode, Allowed, SetupTime) ->
    spawn_opt(?MODULE, do_accept, [AcceptPid, Port, MyNode, Allowed, SetupTime],
              dist_util:net_ticker_spawn_options()).

setup(Node, Type, MyNode, _LongOrShortNames, SetupTime) ->
    spawn_opt(?MODULE, do_setup, [Node, Type, MyNode, SetupTime],
              dist_util:net_ticker_spawn_options()).

close(_Listener) ->
    ok.

%% --- helpers for others ----------------------------------------------------

%% Connects this node to every other node that is up (knocking on those
%% whose names are greater), without waiting for the connections.
connect_all() ->
    case msgchan_listener:cores() of
        undefined ->
            ok;
        {Me, _} ->
            Deadline = erlang:monotonic_time(millisecond) + ?CONNECT_MS,
            [spawn(fun() -> connect(C, Deadline) end)
             || #{core := C, state := running} <- hydros:status(), C =/= Me],
            ok
    end.

%% Connects to every running node this node has no connection to, without
%% waiting; the node monitor (hydros_policy_server) calls it every second,
%% so that a connection that did not form (at boot, after a fault) is tried
%% again though nobody asks for it: the mesh stays full. The nodes tried.
-spec mend() -> [node()].
mend() ->
    case msgchan_listener:cores() of
        undefined ->
            [];
        {Me, _} ->
            Connected = nodes(),
            Missing = [N || #{core := C, state := running} <- hydros:status(), C =/= Me,
                            N <- [node_of(C)], not lists:member(N, Connected)],
            [spawn(net_kernel, connect_node, [N]) || N <- Missing],
            Missing
    end.

%% A node that was restarted boots while its peers' ends of the rings are
%% still being reopened: a first attempt may find nobody reading. Tried
%% again while the peer's node runs, until ?CONNECT_MS after the boot.
connect(Core, Deadline) ->
    Node = node_of(Core),
    Running = [C || #{core := C, state := running} <- hydros:status(), C =:= Core] =/= [],
    case Running andalso not net_kernel:connect_node(Node) andalso
         erlang:monotonic_time(millisecond) < Deadline of
        true -> timer:sleep(?RETRY_MS), connect(Core, Deadline);
        false -> ok
    end.

%% The counters of every msgchan port of this node, idle or carrying a
%% connection: [{Core, #{frames_in, frames_out, bad_frames, queued}}].
%% bad_frames counts frames dropped as corrupt; queued is bytes waiting for
%% room in the ring.
stats() ->
    lists:sort([{list_to_integer(Core), port_stats(P)}
                || P <- erlang:ports(), {name, "msgchan " ++ Core} <- [erlang:port_info(P, name)]]).

port_stats(Port) ->
    try erlang:port_control(Port, $s, []) of
        Text ->
            [In, Out, Bad, Queued] = [binary_to_integer(N) || N <- binary:split(Text, <<" ">>, [global])],
            #{frames_in => In, frames_out => Out, bad_frames => Bad, queued => Queued}
    catch
        error:badarg -> closed
    end.

node_of(Core) ->
    list_to_atom("c" ++ integer_to_list(Core) ++ "@hydros").

%% The core of a node name cN@hydros, or error.
core_of(Node) when is_atom(Node) ->
    case {msgchan_listener:cores(), string:split(atom_to_list(Node), "@")} of
        {{Me, N}, ["c" ++ Digits, "hydros"]} ->
            case string:to_integer(Digits) of
                {C, []} when C >= 0, C < N, C =/= Me -> C;
                _ -> error
            end;
        _ ->
            error
    end;
core_of(_) ->
    error.

%% A driver command: ok or {error, Reason}.
control(Port, Cmd) ->
    try erlang:port_control(Port, Cmd, []) of
        <<"ok">> -> ok;
        Other -> {error, binary_to_atom(Other)}
    catch
        error:badarg -> {error, closed}
    end.

%% --- incoming connections --------------------------------------------------

accept_loop(Kernel, Listener) ->
    ok = msgchan_listener:set_acceptor(self()),
    accept_next(Kernel, Listener).

accept_next(Kernel, Listener) ->
    receive
        {incoming, _Core, Port, Frame} ->
            Kernel ! {accept, self(), Port, msgchan, msgchan},
            receive
                {Kernel, controller, Pid} ->
                    true = erlang:port_connect(Port, Pid),
                    unlink(Port),
                    Pid ! {self(), controller, Frame};
                {Kernel, unsupported_protocol} ->
                    exit(unsupported_protocol)
            end,
            accept_next(Kernel, Listener)
    end.

do_accept(AcceptPid, Port, MyNode, Allowed, SetupTime) ->
    receive
        {AcceptPid, controller, Frame} ->
            self() ! {Port, {data, Frame}}, % the first handshake message, already read
            HSData = hs_data(Port, MyNode, dist_util:start_timer(SetupTime)),
            dist_util:handshake_other_started(HSData#hs_data{allowed = Allowed})
    end.

%% --- outgoing connections --------------------------------------------------

do_setup(Node, Type, MyNode, SetupTime) ->
    Core = case core_of(Node) of
               error -> ?shutdown(Node);
               C -> C
           end,
    Timer = dist_util:start_timer(SetupTime),
    if
        Node > MyNode ->
            %% The other node connects; this process waits for that (its
            %% connection replaces this one in net_kernel) or for the timer.
            case msgchan_listener:knock(Core) of
                ok -> receive after infinity -> ok end;
                {error, _} -> ?shutdown(Node)
            end;
        true ->
            case msgchan_listener:lend(Core, self()) of
                {ok, Port} ->
                    HSData = hs_data(Port, MyNode, Timer),
                    dist_util:handshake_we_started(
                      HSData#hs_data{other_node = Node, request_type = Type,
                                     other_version = ?ERL_DIST_VER_HIGH});
                {error, _} ->
                    ?shutdown(Node)
            end
    end.

%% --- the handshake over a port ---------------------------------------------

hs_data(Port, MyNode, Timer) ->
    #hs_data{kernel_pid = whereis(net_kernel),
             this_node = MyNode,
             socket = Port,
             timer = Timer,
             this_flags = 0,
             f_send = fun send/2,
             f_recv = fun recv/3,
             f_setopts_pre_nodeup = fun(_) -> ok end,     % it reads nothing until told
             f_setopts_post_nodeup = fun(P) -> control(P, $a) end,
             f_getll = fun(P) -> {ok, P} end,
             f_address = fun(_, Node) -> address(core_of(Node)) end,
             mf_tick = fun tick/1,
             mf_getstat = undefined}. % erlang:dist_get_stat/1 then

send(Port, Data) ->
    try erlang:port_command(Port, Data) of
        true -> ok
    catch
        error:badarg -> {error, closed}
    end.

%% One handshake message, as a list (dist_util matches on lists). Knocks and
%% byes belong to no handshake: they are skipped.
recv(Port, _Len, Timeout) ->
    receive
        {Port, {data, Bin}} -> {ok, binary_to_list(Bin)}
    after 0 ->
        case control(Port, $o) of
            ok ->
                receive
                    {Port, {data, Bin}} -> {ok, binary_to_list(Bin)};
                    {msgchan, Port, _KnockOrBye} -> recv(Port, 0, Timeout)
                after Timeout ->
                    {error, timeout}
                end;
            Error ->
                Error
        end
    end.

tick(Port) ->
    try erlang:port_command(Port, <<>>, [force]) of
        _ -> ok
    catch
        error:_ -> self() ! {tcp_closed, Port}, {error, closed}
    end.

address(Core) ->
    #net_address{address = Core, host = "hydros", protocol = msgchan, family = msgchan}.
