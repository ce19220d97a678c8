%% The node monitor: one on every node; the one on the lowest running node
%% leads. The leader looks at every core's state (hydros:status/0) on each
%% nodedown and every CHECK_MS, and decides about each death once, by the
%% node's policy (hydros_policy): restart it (hydros:restart/1, which
%% restarts a dead core whole) or leave it down, saying so on the console.
%% It tells the other monitors what it decided, and every monitor tells a
%% node that comes up what it knows (merged there), so that whoever leads
%% next counts restarts where the last leader left off; a new monitor does
%% not lead before it heard from another or SYNC_MS passed (core 0 back
%% after a restart is the lowest node at once). Policies start from /etc/hydros/policy.config in the boot archive
%% and change with hydros:policy/2, on every node at once. Every monitor
%% also keeps its node in the mesh: every MEND_MS it connects to the
%% running nodes it has no connection to (msgchan_dist:mend/0).
-module(hydros_policy_server).
-behaviour(gen_server).

-export([start_link/0, policy/1, set_policy/2]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(CONFIG, "/etc/hydros/policy.config").
-define(CHECK_MS, 250).
-define(MEND_MS, 1000).
-define(SYNC_MS, 2000).

-record(st, {table :: map(),              % hydros_policy's table
             restarts = #{} :: map(),     % Core => times of its restarts (ms)
             handled = #{} :: map(),      % Core => the node start whose death was decided
             synced = false :: boolean()}). % heard from another monitor, or SYNC_MS passed

-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% The policy of Core's node (default: the one for nodes without their own).
-spec policy(non_neg_integer() | default) -> hydros_policy:policy().
policy(Core) ->
    gen_server:call(?MODULE, {policy, Core}).

%% Changes it on every node that is up: ok, or {error, {bad_policy, P}}.
%% The caller needs node_control (error({excluded, node_control})).
-spec set_policy(non_neg_integer() | default, term()) -> ok | {error, term()}.
set_policy(Core, New) ->
    ok = hydros_cap:check(node_control),
    case hydros_policy:update(policy(Core), New) of
        {ok, Policy} ->
            abcast_all({set, Core, Policy}),
            %% Ours in the same order as any later call: the cast to ourselves came first.
            _ = policy(Core),
            ok;
        Error ->
            Error
    end.

init([]) ->
    Table = case hydros_policy:read_config(?CONFIG) of
                {ok, T} ->
                    T;
                {error, Why} ->
                    say("~s is unusable (~0p): every node gets the default policy", [?CONFIG, Why]),
                    #{default => hydros_policy:default()}
            end,
    ok = net_kernel:monitor_nodes(true),
    erlang:send_after(?CHECK_MS, self(), check),
    erlang:send_after(?MEND_MS, self(), mend),
    erlang:send_after(?SYNC_MS, self(), synced),
    {ok, #st{table = Table}}.

handle_call({policy, Core}, _From, St) ->
    {reply, policy_of(Core, St), St}.

handle_cast({set, Core, Policy}, St = #st{table = T}) ->
    {noreply, St#st{table = T#{Core => Policy}}};
handle_cast({decided, Core, Start, Restarts}, St) ->
    {noreply, note(Core, Start, Restarts, St)};
handle_cast({known, Table, Restarts, Handled}, St = #st{table = T, restarts = R, handled = H}) ->
    {noreply, St#st{table = maps:merge(T, Table),
                    restarts = maps:merge_with(fun(_, A, B) -> lists:usort(A ++ B) end, R, Restarts),
                    handled = maps:merge_with(fun(_, A, B) -> max(A, B) end, H, Handled),
                    synced = true}}.

handle_info(check, St) ->
    erlang:send_after(?CHECK_MS, self(), check),
    {noreply, check(St)};
handle_info(mend, St) ->
    erlang:send_after(?MEND_MS, self(), mend),
    _ = msgchan_dist:mend(),
    {noreply, St};
handle_info({nodedown, _}, St) ->
    {noreply, check(St)};
handle_info({nodeup, Node}, St = #st{table = T, restarts = R, handled = H}) ->
    gen_server:cast({?MODULE, Node}, {known, T, R, H}),
    {noreply, St};
handle_info(synced, St) ->
    {noreply, St#st{synced = true}};
handle_info(_, St) ->
    {noreply, St}.

%% ---- deciding

check(#st{synced = false} = St) ->
    St;
check(St) ->
    Status = hydros:status(),
    case leader(Status) =:= hydros:core() of
        true -> lists:foldl(fun decide/2, St, Status);
        false -> St
    end.

%% The lowest core whose node runs.
leader(Status) ->
    case [C || #{core := C, state := running} <- Status] of
        [] -> none;
        Running -> lists:min(Running)
    end.

decide(#{core := C, state := S, starts := Start, fault := Fault}, St = #st{restarts = R, handled = H})
  when S =:= node_dead; S =:= core_dead ->
    case maps:get(C, H, none) of
        Start ->
            St;
        _ ->
            Policy = policy_of(C, St),
            case hydros_policy:decide(Policy, Fault, maps:get(C, R, []), now_ms()) of
                {restart, Times} ->
                    restart(C, Fault, Start, Times, St);
                {leave, Why} ->
                    say("c~b died (~s): ~s; left down", [C, Fault, why(Why)]),
                    decided(C, Start, maps:get(C, R, []), St)
            end
    end;
decide(_, St) ->
    St.

restart(C, Fault, Start, Times, St) ->
    case hydros:restart(C) of
        ok ->
            say("c~b died (~s): restarted", [C, Fault]),
            decided(C, Start, Times, St);
        {error, busy} -> % another core is being started: the next check tries again
            St;
        {error, Why} ->
            say("c~b died (~s): cannot be restarted (~0p); left down", [C, Fault, Why]),
            decided(C, Start, Times, St)
    end.

decided(C, Start, Times, St) ->
    abcast_all({decided, C, Start, Times}),
    note(C, Start, Times, St).

note(C, Start, Times, St = #st{restarts = R, handled = H}) ->
    St#st{restarts = R#{C => Times}, handled = H#{C => Start}}.

why(killed) -> "killed by the operator";
why(temporary) -> "its policy is temporary";
why(normal) -> "it ended normally and its policy is transient";
why({intensity, #{intensity := R, period := T}}) ->
    io_lib:format("restarted ~b times within ~b s already, as many as its policy allows", [R, T]).

policy_of(Core, #st{table = T}) ->
    maps:get(Core, T, maps:get(default, T)).

abcast_all(Msg) ->
    gen_server:abcast([node() | nodes()], ?MODULE, Msg).

now_ms() ->
    erlang:monotonic_time(millisecond).

%% Through the kernel's log (/dev/hydros/log): a whole line of its own on
%% the console, "[cN] hydros_policy: ...", even from the console node,
%% whose own output could land inside the echo of what the operator types.
say(Format, Args) ->
    Line = io_lib:format("hydros_policy: " ++ Format ++ "~n", Args),
    case prim_file:write_file("/dev/hydros/log", unicode:characters_to_binary(Line)) of
        ok -> ok;
        {error, _} -> io:format(user, "~s", [Line])
    end.
