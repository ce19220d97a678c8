%% Restart policies of nodes, as OTP supervisors have them for processes:
%% pure functions, used by hydros_policy_server (which acts on them) and
%% tested by EUnit. A policy is a map:
%%   restart    permanent: always restarted; transient: unless the node
%%              ended normally (it exited with status 0); temporary: never
%%   intensity, period: at most `intensity` restarts within `period`
%%              seconds; one more death in that time leaves the node down.
%% A node the operator killed (hydros:kill/1) is never restarted by policy.
-module(hydros_policy).
-export([default/0, read_config/1, from_terms/1, check/1, update/2, decide/4, fault_kind/1]).
-export_type([policy/0, decision/0]).

-type restart() :: permanent | transient | temporary.
-type policy() :: #{restart := restart(), intensity := non_neg_integer(), period := pos_integer()}.
-type table() :: #{default := policy(), non_neg_integer() => policy()}.
-type decision() :: {restart, [integer()]} | {leave, temporary | normal | killed | {intensity, policy()}}.

-spec default() -> policy().
default() ->
    #{restart => permanent, intensity => 3, period => 10}.

%% The table from a file of terms: {default, Policy} and {Core, Policy},
%% each Policy a map of some of the keys (the rest from the default) or
%% just a restart type. A missing file is the default for every node.
-spec read_config(file:filename()) -> {ok, table()} | {error, term()}.
read_config(File) ->
    case file:consult(File) of
        {ok, Terms} -> from_terms(Terms);
        {error, enoent} -> {ok, #{default => default()}};
        {error, Why} -> {error, {File, Why}}
    end.

-spec from_terms([term()]) -> {ok, table()} | {error, term()}.
from_terms(Terms) ->
    Default = case lists:keyfind(default, 1, Terms) of
                  {default, D} -> update(default(), D);
                  false -> {ok, default()}
              end,
    case Default of
        {ok, Def} -> entries(Terms, #{default => Def});
        Error -> Error
    end.

entries([], Table) ->
    {ok, Table};
entries([{default, _} | Rest], Table) ->
    entries(Rest, Table);
entries([{Core, P} | Rest], Table = #{default := Def}) when is_integer(Core), Core >= 0 ->
    case update(Def, P) of
        {ok, Policy} -> entries(Rest, Table#{Core => Policy});
        Error -> Error
    end;
entries([Other | _], _) ->
    {error, {bad_entry, Other}}.

%% Policy changed by New: a restart type, or a map of some of the keys.
-spec update(policy(), term()) -> {ok, policy()} | {error, {bad_policy, term()}}.
update(Policy, New) ->
    Merged = if is_atom(New) -> Policy#{restart => New};
                is_map(New) -> maps:merge(Policy, New);
                true -> none
             end,
    case check(Merged) of
        true -> {ok, Merged};
        false -> {error, {bad_policy, New}}
    end.

-spec check(term()) -> boolean().
check(#{restart := R, intensity := I, period := T} = P) when map_size(P) =:= 3 ->
    lists:member(R, [permanent, transient, temporary]) andalso
        is_integer(I) andalso I >= 0 andalso is_integer(T) andalso T > 0;
check(_) ->
    false.

%% How a node ended, from the kernel's word for it (hydros:status/0's fault).
-spec fault_kind(string()) -> normal | killed | abnormal.
fault_kind("exit:0") -> normal;
fault_kind("killed") -> killed;
fault_kind(_) -> abnormal.

%% What to do about a node that died at Now (ms) with Fault, given the
%% times of its earlier restarts: restart it (and the times to keep), or
%% leave it down, and why.
-spec decide(policy(), string(), [integer()], integer()) -> decision().
decide(#{restart := Restart, intensity := R, period := T} = P, Fault, Restarts, Now) ->
    case {Restart, fault_kind(Fault)} of
        {_, killed} -> {leave, killed};
        {temporary, _} -> {leave, temporary};
        {transient, normal} -> {leave, normal};
        _ ->
            Recent = [At || At <- Restarts, Now - At < T * 1000],
            case length(Recent) < R of
                true -> {restart, [Now | Recent]};
                false -> {leave, {intensity, P}}
            end
    end.
