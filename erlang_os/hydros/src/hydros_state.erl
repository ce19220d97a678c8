%% The machine's state as this node sees it, and its changes as messages.
%% Every node runs this server. It reads the kernel's status blocks
%% (/dev/hydros/nodes, /dev/hydros/devices) every ?POLL_MS, and at once
%% when a node goes down or comes up (net_kernel's monitor), and tells its
%% subscribers what changed as {hydros, Event}:
%%   {node_up, Core}                   a node ran for the first time
%%   {node_restarted, Core}            a node ran again after it died
%%   {node_down, Core, Why}            a node died (its core may live on)
%%   {core_dead, Core, Why}            a whole core died
%%   {device_moved, Device, From, To}  a device went to another core's node
-module(hydros_state).
-behaviour(gen_server).
-export([start_link/0, subscribe/0, unsubscribe/0, state/0, events/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(POLL_MS, 250).

-record(st, {cores = [], devices = [], subs = #{}}).

%% A worker service of the node's init (hydros_init), under hydros_sup.
-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% The caller gets {hydros, Event} for every change from now on.
-spec subscribe() -> ok.
subscribe() ->
    gen_server:call(?MODULE, {subscribe, self()}).

-spec unsubscribe() -> ok.
unsubscribe() ->
    gen_server:call(?MODULE, {unsubscribe, self()}).

%% #{cores => hydros:status() as last read, devices => [{Device, Core}]}.
-spec state() -> #{cores := [map()], devices := [{atom(), non_neg_integer()}]}.
state() ->
    gen_server:call(?MODULE, state).

init([]) ->
    ok = net_kernel:monitor_nodes(true),
    erlang:send_after(?POLL_MS, self(), poll),
    {ok, #st{cores = hydros:status(), devices = devices()}}.

handle_call({subscribe, Pid}, _From, St = #st{subs = Subs}) ->
    {reply, ok, St#st{subs = maps:put(Pid, maps:get(Pid, Subs, erlang:monitor(process, Pid)), Subs)}};
handle_call({unsubscribe, Pid}, _From, St = #st{subs = Subs}) ->
    _ = [erlang:demonitor(R, [flush]) || {ok, R} <- [maps:find(Pid, Subs)]],
    {reply, ok, St#st{subs = maps:remove(Pid, Subs)}};
handle_call(state, _From, St = #st{cores = Cores, devices = Devices}) ->
    {reply, #{cores => Cores, devices => Devices}, St}.

handle_cast(_, St) ->
    {noreply, St}.

handle_info(poll, St) ->
    erlang:send_after(?POLL_MS, self(), poll),
    {noreply, poll(St)};
handle_info({Up, _Node}, St) when Up =:= nodeup; Up =:= nodedown ->
    {noreply, poll(St)};
handle_info({'DOWN', _, process, Pid, _}, St = #st{subs = Subs}) ->
    {noreply, St#st{subs = maps:remove(Pid, Subs)}};
handle_info(_, St) ->
    {noreply, St}.

poll(St = #st{cores = Cores0, devices = Devices0, subs = Subs}) ->
    Cores = hydros:status(),
    Devices = devices(),
    Events = events(Cores0, Cores) ++
        [{device_moved, D, From, To} || {D, To} <- Devices, {_, From} <- [lists:keyfind(D, 1, Devices0)],
                                        From =/= To],
    [Pid ! {hydros, E} || E <- Events, Pid <- maps:keys(Subs)],
    St#st{cores = Cores, devices = Devices}.

devices() ->
    [{Name, Core} || #{name := Name, core := Core} <- hydros:device_table()].

%% What changed between two readings of the cores' status (pure).
-spec events([map()], [map()]) -> [tuple()].
events(Old, New) ->
    lists:append([event(maps:get(C, maps:from_list([{K, O} || O = #{core := K} <- Old]), none), N)
                   || N = #{core := C} <- New]).

event(#{state := S, starts := Starts}, #{state := S, starts := Starts}) ->
    [];
event(#{state := running, starts := N0}, #{core := C, state := running, starts := N, fault := Why}) when N > N0 ->
    [{node_down, C, Why}, {node_restarted, C}]; % died and came back between two readings
event(#{state := S0}, #{core := C, state := running, starts := N}) when S0 =/= running ->
    [case N of 1 -> {node_up, C}; _ -> {node_restarted, C} end];
event(#{state := running}, #{core := C, state := node_dead, fault := Why}) ->
    [{node_down, C, Why}];
event(#{state := S0}, #{core := C, state := core_dead, fault := Why}) when S0 =/= core_dead ->
    [{node_down, C, Why} || S0 =:= running orelse S0 =:= suspect] ++ [{core_dead, C, Why}];
event(_, _) ->
    [].
