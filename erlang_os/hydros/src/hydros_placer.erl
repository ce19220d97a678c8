%% Spawn placement (hydros:spawn/1,2). Every node runs this server. It
%% keeps its own node's load current (its normal schedulers' utilization
%% over the last half second; its processes beyond those it had when the
%% server started, the node's own, so that nodes with more services are
%% not taken for busier), and places processes for its callers: it
%% asks the live nodes' servers for their loads (again once they are
%% 200 ms old, counting meanwhile what it placed itself) and picks a node
%% by policy (hydros_place). Its decisions are counted (placed/0).
-module(hydros_placer).
-behaviour(gen_server).
-export([start_link/0, place/1, load/0, figures/0, figures/2, placed/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(SAMPLE_MS, 500). % this node's utilization, over that long
-define(FRESH_MS, 200).  % other nodes' loads, trusted that long
-define(ASK_MS, 1000).

-record(st, {wall, busy = 0.0, reds, reds_per_s = 0, base, loads = [], at = never, last = none, placed = #{}}).

%% A worker service of the node's init (hydros_init), under hydros_sup.
-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% A node for a new process, by Policy.
-spec place(hydros_place:policy()) -> {ok, node()} | {error, term()}.
place(Policy) ->
    gen_server:call(?MODULE, {place, Policy}).

%% This node's load, as placement weighs it.
-spec load() -> hydros_place:load().
load() ->
    gen_server:call(?MODULE, load).

%% What top and hydros:state() show of this node: its load, with its run
%% queue, reductions a second (over the last sample) and memory.
-spec figures() -> #{busy := float(), processes := non_neg_integer(), run_queue := non_neg_integer(),
                     reductions_per_s := non_neg_integer(), memory_kib := non_neg_integer()}.
figures() ->
    gen_server:call(?MODULE, figures).

%% figures/0 of each of Nodes that answers within Timeout ms.
-spec figures([node()], timeout()) -> #{node() => map()}.
figures(Nodes, Timeout) ->
    maps:from_list([{N, F} || {N, {ok, F}} <- lists:zip(Nodes, erpc:multicall(Nodes, ?MODULE, figures, [], Timeout))]).

%% How many processes this node's callers placed on each node.
-spec placed() -> #{node() => pos_integer()}.
placed() ->
    gen_server:call(?MODULE, placed).

init([]) ->
    _ = erlang:system_flag(scheduler_wall_time, true),
    erlang:send_after(?SAMPLE_MS, self(), sample),
    {ok, #st{wall = wall(), reds = reductions(), base = erlang:system_info(process_count)}}.

handle_call(load, _From, St) ->
    {reply, own_load(St), St};
handle_call(figures, _From, St = #st{busy = Busy, reds_per_s = Reds}) ->
    {reply, #{busy => Busy, processes => erlang:system_info(process_count), run_queue => erlang:statistics(run_queue),
              reductions_per_s => Reds, memory_kib => erlang:memory(total) div 1024}, St};
handle_call({place, Policy}, _From, St0) ->
    St = #st{loads = Loads, last = Last} = fresh(St0),
    case hydros_place:choose(Policy, Loads, Last) of
        {ok, Node} ->
            {Node, L = #{processes := P}} = lists:keyfind(Node, 1, Loads),
            {reply, {ok, Node}, St#st{loads = lists:keystore(Node, 1, Loads, {Node, L#{processes := P + 1}}),
                                      last = Node, placed = maps:update_with(Node, fun(N) -> N + 1 end, 1,
                                                                             St#st.placed)}};
        Error ->
            {reply, Error, St}
    end;
handle_call(placed, _From, St) ->
    {reply, St#st.placed, St}.

handle_cast(_, St) ->
    {noreply, St}.

handle_info(sample, St = #st{wall = Old, reds = OldReds}) ->
    erlang:send_after(?SAMPLE_MS, self(), sample),
    New = wall(),
    {Active, Total} = lists:foldl(fun({{I, A1, T1}, {I, A0, T0}}, {A, T}) -> {A + A1 - A0, T + T1 - T0} end,
                                  {0, 0}, lists:zip(New, Old)),
    Reds = reductions(),
    {noreply, St#st{wall = New, busy = case Total of 0 -> 0.0; _ -> Active / Total end,
                    reds = Reds, reds_per_s = (Reds - OldReds) * 1000 div ?SAMPLE_MS}};
handle_info(_, St) ->
    {noreply, St}.

%% The live nodes' loads, asked again when they are too old.
fresh(St = #st{at = At}) ->
    Now = erlang:monotonic_time(millisecond),
    case At =/= never andalso Now - At < ?FRESH_MS of
        true ->
            St;
        false ->
            Others = nodes(),
            Loads = [{N, L} || {N, {ok, L}} <- lists:zip(Others, erpc:multicall(Others, ?MODULE, load, [], ?ASK_MS))],
            St#st{loads = [{node(), own_load(St)} | Loads], at = Now}
    end.

own_load(#st{busy = Busy, base = Base}) ->
    #{busy => Busy, processes => max(0, erlang:system_info(process_count) - Base)}.

%% The node's reductions so far (the total: the "since last call" half of
%% statistics(reductions) is shared with every other caller).
reductions() ->
    {Total, _} = erlang:statistics(reductions),
    Total.

%% The normal schedulers' {Id, Active, Total} (not the dirty ones, which a
%% process that keeps a CPU busy leaves idle).
wall() ->
    Normal = erlang:system_info(schedulers),
    lists:sort([W || W = {Id, _, _} <- erlang:statistics(scheduler_wall_time), Id =< Normal]).
