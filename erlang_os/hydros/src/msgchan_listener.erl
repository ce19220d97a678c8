%% The carrier's end of every channel while no connection uses it: one
%% msgchan port per peer core (bifs/msgchan_drv.c), each reading one frame
%% at a time. What arrives decides what happens:
%%   - the first handshake message of a node connecting to us: the port goes
%%     to net_kernel's acceptor (msgchan_dist:accept/1), with the message;
%%   - a knock ("connect to me"): we connect to that node;
%%   - anything else (a bye, the tail of an old connection): dropped.
%% An outgoing connection borrows the port (lend/2). A port the listener
%% holds is linked to it; one it handed on is only monitored, so that the
%% listener's end would not take live connections with it. Either way it
%% sees each port close and opens a new one for that core: at once after a
%% connection or when the peer's node started again (the ring was reset:
%% peer_restarted), after ?REOPEN_MS when the port closed idle (the peer is
%% dead: its ring says end of file at once, until it is restarted) or could
%% not be opened.
%% Started by net_sup, before net_kernel (msgchan_dist:childspecs/0).
-module(msgchan_listener).
-behaviour(gen_server).
-export([start_link/0, set_acceptor/1, lend/2, knock/1, cores/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(REOPEN_MS, 250). % a dead peer is looked at 4 times a second: a restarted one is found soon

-record(st, {me :: integer(),
             acceptor :: pid() | undefined,
             idle = #{} :: #{integer() => port()},    %% core -> port we hold
             cores = #{} :: #{port() => integer()}}). %% every port we opened

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% The process that hands incoming connections to net_kernel.
set_acceptor(Pid) -> gen_server:call(?MODULE, {acceptor, Pid}).

%% The port to Core, now connected to Pid: {ok, Port} or {error, busy}.
lend(Core, Pid) -> gen_server:call(?MODULE, {lend, Core, Pid}).

%% Asks Core's node to connect to us: ok or {error, Reason}.
knock(Core) -> gen_server:call(?MODULE, {knock, Core}).

%% {This core, number of cores}, or undefined off HydrOS.
cores() -> persistent_term:get({?MODULE, cores}, undefined).

init([]) ->
    process_flag(trap_exit, true),
    case prim_file:read_file_info("/dev/hydros/self") of % net_sup starts before the file server
        {ok, _} ->
            Me = hydros:core(),
            N = length(hydros:status()),
            persistent_term:put({?MODULE, cores}, {Me, N}),
            {ok, lists:foldl(fun open/2, #st{me = Me}, lists:seq(0, N - 1) -- [Me])};
        {error, _} ->
            {ok, #st{me = -1}}
    end.

handle_call({acceptor, Pid}, _From, St) ->
    {reply, ok, St#st{acceptor = Pid}};
handle_call({lend, Core, Pid}, _From, #st{idle = Idle} = St) ->
    case maps:take(Core, Idle) of
        {Port, Idle1} ->
            {reply, hand_on(Port, Pid), St#st{idle = Idle1}};
        error ->
            {reply, {error, busy}, St}
    end;
handle_call({knock, Core}, _From, #st{idle = Idle} = St) ->
    case maps:find(Core, Idle) of
        {ok, Port} -> {reply, msgchan_dist:control(Port, $k), St};
        error -> {reply, {error, busy}, St}
    end;
handle_call(Other, _From, St) -> % a stranger's call must not take net_sup down
    {reply, {error, {unknown_call, Other}}, St}.

handle_cast(_Msg, St) ->
    {noreply, St}.

handle_info({Port, {data, <<H, _/binary>> = Frame}}, #st{acceptor = Acc} = St)
  when (H =:= $N orelse H =:= $n), is_pid(Acc) ->
    case take_idle(Port, St) of
        {Core, St1} ->
            case hand_on(Port, Acc) of
                {ok, Port} -> Acc ! {incoming, Core, Port, Frame};
                {error, _} -> ok % the acceptor is gone: the port closes, and reopens
            end,
            {noreply, St1};
        error ->
            {noreply, St}
    end;
handle_info({msgchan, Port, knock}, St) ->
    case St#st.cores of
        #{Port := Core} ->
            spawn(net_kernel, connect_node, [msgchan_dist:node_of(Core)]);
        _ ->
            ok
    end,
    {noreply, rearm(Port, St)};
handle_info({msgchan, Port, bye}, St) ->
    {noreply, rearm(Port, St)};
handle_info({Port, {data, _Stale}}, St) ->
    {noreply, rearm(Port, St)};
handle_info({'EXIT', Port, Reason}, #st{cores = Cores, idle = Idle} = St) when is_port(Port) ->
    case maps:take(Port, Cores) of
        {Core, Cores1} when Reason =:= peer_restarted -> % a new session on that ring: read it now
            {noreply, open(Core, St#st{cores = Cores1, idle = maps:remove(Core, Idle)})};
        {Core, Cores1} -> % closed while idle: the peer is gone, try again later
            erlang:send_after(?REOPEN_MS, self(), {reopen, Core}),
            {noreply, St#st{cores = Cores1, idle = maps:remove(Core, Idle)}};
        error ->
            {noreply, St}
    end;
handle_info({'DOWN', _Ref, port, Port, _Reason}, #st{cores = Cores} = St) ->
    case maps:take(Port, Cores) of
        {Core, Cores1} -> % a connection or a handshake ended
            {noreply, open(Core, St#st{cores = Cores1})};
        error ->
            {noreply, St}
    end;
handle_info({reopen, Core}, St) ->
    {noreply, open(Core, St)};
handle_info(_Other, St) -> % exits of processes, late replies: nothing to do
    {noreply, St}.

%% A port we held, now Pid's: {ok, Port}, or {error, closed} (then it closes).
hand_on(Port, Pid) ->
    try erlang:port_connect(Port, Pid) of
        true ->
            unlink(Port),
            erlang:monitor(port, Port),
            {ok, Port}
    catch
        error:badarg ->
            catch erlang:port_close(Port),
            {error, closed}
    end.

open(Core, #st{idle = Idle, cores = Cores} = St) ->
    try open_port({spawn_driver, "msgchan " ++ integer_to_list(Core)}, [binary]) of
        Port ->
            _ = msgchan_dist:control(Port, $o),
            St#st{idle = Idle#{Core => Port}, cores = Cores#{Port => Core}}
    catch
        error:Why ->
            logger:warning("msgchan: cannot open the channel to core ~b (~p); trying again", [Core, Why]),
            erlang:send_after(?REOPEN_MS, self(), {reopen, Core}),
            St
    end.

%% The core of Port when it is one we hold idle: {ok, Core} or error.
idle_core(Port, #st{cores = Cores, idle = Idle}) ->
    case Cores of
        #{Port := Core} when map_get(Core, Idle) =:= Port -> {ok, Core};
        _ -> error
    end.

take_idle(Port, #st{idle = Idle} = St) ->
    case idle_core(Port, St) of
        {ok, Core} -> {Core, St#st{idle = maps:remove(Core, Idle)}};
        error -> error
    end.

%% Reads the next frame of a port we still hold.
rearm(Port, St) ->
    case idle_core(Port, St) of
        {ok, _} -> _ = msgchan_dist:control(Port, $o);
        error -> ok
    end,
    St.
