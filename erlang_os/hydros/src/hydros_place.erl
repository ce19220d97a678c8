%% Where hydros:spawn/1,2 puts a process (pure): a policy, and what is known
%% of every live node's load, give a node.
%%
%% A node's load is #{busy := 0.0..1.0 (its schedulers' utilization over
%% the last sample), processes := N (its process count then, plus the
%% processes placed there since)}. A node busy past ?BUSY (a process
%% keeps its CPU) weighs more than any process count, so work goes where
%% there is CPU first, then where there are fewest processes. Below that,
%% utilization is noise (the spawning itself, a shell): it does not count.
-module(hydros_place).
-export([choose/3, score/1]).
-export_type([policy/0, load/0]).

-type policy() :: least_loaded | round_robin | {core, non_neg_integer()} | {not_with, pid()}.
-type load() :: #{busy := float(), processes := non_neg_integer()}.

-define(BUSY, 0.75).
-define(BUSY_WEIGHT, 1000000). % a busy node weighs as much as a million processes

%% The node for policy Policy among Loads ([{Node, Load}] of the live
%% nodes); Last is the node the previous round_robin choice gave.
-spec choose(policy(), [{node(), load()}], node() | none) -> {ok, node()} | {error, term()}.
choose(_, [], _) ->
    {error, no_live_node};
choose(least_loaded, Loads, _) ->
    {_, Node} = lists:min([{score(L), N} || {N, L} <- Loads]),
    {ok, Node};
choose(round_robin, Loads, Last) ->
    Nodes = lists:sort([N || {N, _} <- Loads]),
    case [N || N <- Nodes, N > Last] of
        [Next | _] -> {ok, Next};
        [] -> {ok, hd(Nodes)}
    end;
choose({core, Core}, Loads, _) when is_integer(Core), Core >= 0 ->
    Node = list_to_atom("c" ++ integer_to_list(Core) ++ "@hydros"),
    case lists:keymember(Node, 1, Loads) of
        true -> {ok, Node};
        false -> {error, {no_live_node_on_core, Core}}
    end;
choose({not_with, Pid}, Loads, Last) when is_pid(Pid) ->
    case [L || L = {N, _} <- Loads, N =/= node(Pid)] of
        [] -> {error, {no_other_node, node(Pid)}};
        Others -> choose(least_loaded, Others, Last)
    end;
choose(Policy, _, _) ->
    {error, {bad_policy, Policy}}.

%% Lower is less loaded.
-spec score(load()) -> number().
score(#{busy := Busy, processes := Procs}) when Busy >= ?BUSY ->
    ?BUSY_WEIGHT + Procs;
score(#{processes := Procs}) ->
    Procs.
