%% The service graph of a node's init (pure): what each service requires,
%% whether the graph can be started at all, and, given where every service
%% stands, which may start now and which never will.
%%
%% A service is #{name := atom(), start := {M, F, A}} with, optionally:
%%   requires => [Name]  hard: it starts once all of them are up, and is
%%                       blocked (never started) if one of them fails;
%%   'after'  => [Name]  soft: it waits until each is up, failed or
%%                       blocked, and starts either way;
%%   type     => task    start/0 runs once, ok or {ok, _} is up (default);
%%             | worker  start is a start_link, its process supervised;
%%   retries  => N       tries after the first failure (default 2);
%%   backoff_ms => Ms    wait before the first retry, doubled for each
%%                       next one (default 100).
%% check/1 refuses a graph that could never finish starting: a cycle (in
%% requires and 'after' together), a name twice, a dependency that is
%% not a service, a malformed service.
-module(hydros_services).
-export([check/1, normalize/1, startable/2, blocked/2, order/1, settled/1]).
-export_type([service/0, state/0]).

-type service() :: #{name := atom(), start := {module(), atom(), list()}, requires => [atom()],
                     'after' => [atom()], type => task | worker, retries => non_neg_integer(),
                     backoff_ms => pos_integer()}.
-type state() :: waiting | starting | retrying | up | failed | blocked. % retrying: failed, tried again later

-define(DEFAULTS, #{requires => [], 'after' => [], type => task, retries => 2, backoff_ms => 100}).

%% The services with every default filled in, in the order given, or why
%% they cannot be started.
-spec check([term()]) -> {ok, [service()]} | {error, term()}.
check(Services) when is_list(Services) ->
    case [S || S <- Services, not well_formed(S)] of
        [Bad | _] ->
            {error, {bad_service, Bad}};
        [] ->
            Norm = [normalize(S) || S <- Services],
            Names = [N || #{name := N} <- Norm],
            case {Names -- lists:usort(Names), unknown(Norm, Names)} of
                {[Dup | _], _} -> {error, {duplicate, Dup}};
                {[], [{Name, Dep} | _]} -> {error, {unknown_dependency, Name, Dep}};
                {[], []} ->
                    case cycle(Norm) of
                        none -> {ok, Norm};
                        Cycle -> {error, {cycle, Cycle}}
                    end
            end
    end;
check(Other) ->
    {error, {bad_service, Other}}.

normalize(Service) ->
    maps:merge(?DEFAULTS, Service).

well_formed(#{name := N, start := {M, F, A}} = S) when is_atom(N), is_atom(M), is_atom(F), is_list(A) ->
    Keys = maps:keys(maps:merge(?DEFAULTS, #{name => N, start => ok})),
    maps:keys(maps:without(Keys, S)) =:= []
        andalso lists:all(fun is_atom/1, maps:get(requires, S, []))
        andalso lists:all(fun is_atom/1, maps:get('after', S, []))
        andalso lists:member(maps:get(type, S, task), [task, worker])
        andalso non_neg(maps:get(retries, S, 0)) andalso non_neg(maps:get(backoff_ms, S, 1) - 1);
well_formed(_) ->
    false.

non_neg(N) -> is_integer(N) andalso N >= 0.

deps(#{requires := R, 'after' := A}) -> R ++ A.

unknown(Services, Names) ->
    [{N, D} || #{name := N} = S <- Services, D <- deps(S), not lists:member(D, Names)].

%% A cycle as [A, B, ..., A] (each needs the next), or none: depth first,
%% with the path so far.
cycle(Services) ->
    Deps = maps:from_list([{N, deps(S)} || #{name := N} = S <- Services]),
    cycle([N || #{name := N} <- Services], Deps, #{}).

cycle([], _, _) ->
    none;
cycle([N | Ns], Deps, Done) ->
    case visit(N, [], Deps, Done) of
        {cycle, C} -> C;
        {ok, Done1} -> cycle(Ns, Deps, Done1)
    end.

visit(N, Path, Deps, Done) ->
    case {maps:is_key(N, Done), lists:member(N, Path)} of
        {true, _} -> {ok, Done};
        {_, true} -> {cycle, [N | lists:reverse(lists:takewhile(fun(P) -> P =/= N end, Path))] ++ [N]};
        _ -> visit_all(maps:get(N, Deps), [N | Path], Deps, Done, N)
    end.

visit_all([], _, _, Done, N) ->
    {ok, Done#{N => true}};
visit_all([D | Ds], Path, Deps, Done, N) ->
    case visit(D, Path, Deps, Done) of
        {ok, Done1} -> visit_all(Ds, Path, Deps, Done1, N);
        Cycle -> Cycle
    end.

%% The waiting services that may start now, given States (#{Name => state()}):
%% every requirement up, every 'after' settled.
-spec startable([service()], #{atom() => state()}) -> [atom()].
startable(Services, States) ->
    [N || #{name := N, requires := R, 'after' := A} <- Services, maps:get(N, States) =:= waiting,
          lists:all(fun(D) -> maps:get(D, States) =:= up end, R),
          lists:all(fun(D) -> settled(maps:get(D, States)) end, A)].

%% The waiting services that never can start: {Name, Requirement} for a
%% requirement that failed or is blocked itself.
-spec blocked([service()], #{atom() => state()}) -> [{atom(), atom()}].
blocked(Services, States) ->
    [{N, hd(Bad)} || #{name := N, requires := R} <- Services, maps:get(N, States) =:= waiting,
                     Bad <- [[D || D <- R, lists:member(maps:get(D, States), [failed, blocked])]], Bad =/= []].

settled(State) -> lists:member(State, [up, failed, blocked]).

%% The names in an order that starts each after everything it depends on
%% (for showing the graph); the given order where it is free.
-spec order([service()]) -> [atom()].
order(Services) ->
    order(Services, []).

order([], Done) ->
    lists:reverse(Done);
order(Services, Done) ->
    case lists:partition(fun(S) -> lists:all(fun(D) -> lists:member(D, Done) end, deps(S)) end, Services) of
        {[], _} -> error({not_checked, cycle});
        {Ready, Rest} -> order(Rest, lists:reverse([N || #{name := N} <- Ready]) ++ Done)
    end.
