%% A node's init: starts every service of its graph (hydros_services, the
%% hydros application's `services` key) as soon as what it requires is up,
%% concurrently, and says one line on the console for each: when it
%% started and how long it took, or why it failed and whether it is tried
%% again. A service that fails is retried per its own policy (retries,
%% backoff_ms); one that gives up blocks only what requires it, and the
%% rest of the node comes up anyway.
%%
%% Each start runs in a process of its own. A worker's start is a
%% start_link through hydros_sup (supervisor:start_child), so the worker
%% is supervised from then on; a task runs once. The first child of
%% hydros_sup: workers started after it.
-module(hydros_init).
-behaviour(gen_server).
-export([start_link/1, services/0, wait/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(SUP, hydros_sup).

-spec start_link([hydros_services:service()]) -> {ok, pid()} | {error, term()}.
start_link(Services) ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, Services, []).

%% Every service, dependencies first: #{name, state, type, requires,
%% 'after', tries, started_ms (after the node's start), took_ms, error}.
-spec services() -> [map()].
services() ->
    gen_server:call(?MODULE, services).

%% ok once every service is up, failed or blocked; timeout if that takes
%% longer than Ms.
-spec wait(timeout()) -> ok | timeout.
wait(Ms) ->
    try gen_server:call(?MODULE, wait, Ms)
    catch exit:{timeout, _} -> timeout
    end.

init(Services) ->
    case hydros_services:check(Services) of
        {ok, Graph} ->
            Info = maps:from_list([{N, #{state => waiting, tries => 0}} || #{name := N} <- Graph]),
            {ok, step(#{graph => Graph, info => Info, waiters => []})};
        {error, Reason} ->
            {stop, {bad_services, Reason}}
    end.

handle_call(services, _From, S = #{graph := Graph, info := Info}) ->
    ByName = maps:from_list([{N, G} || G = #{name := N} <- Graph]),
    {reply, [maps:merge(maps:with([name, type, requires, 'after'], maps:get(N, ByName)),
                        maps:without([monitor], maps:get(N, Info)))
             || N <- hydros_services:order(Graph)], S};
handle_call(wait, From, S = #{waiters := Ws}) ->
    {noreply, settle(S#{waiters := [From | Ws]})}.

handle_cast(_, S) ->
    {noreply, S}.

handle_info({done, Name, Result}, S = #{info := Info}) ->
    #{monitor := Ref} = maps:get(Name, Info),
    erlang:demonitor(Ref, [flush]),
    {noreply, step(ended(Name, Result, S))};
handle_info({'DOWN', Ref, process, _, Why}, S = #{info := Info}) ->
    %% A starter killed before it could say (run/1 itself never raises).
    [Name] = [N || {N, #{state := starting, monitor := R}} <- maps:to_list(Info), R =:= Ref],
    {noreply, step(ended(Name, {error, {starter_died, Why}}, S))};
handle_info({retry, Name}, S = #{info := Info}) ->
    {noreply, step(S#{info := update(Name, #{state => waiting}, Info)})};
handle_info(_, S) ->
    {noreply, S}.

%% Starts whatever may start now, marks what never can, and answers the
%% waiters once nothing is left to do.
step(S = #{graph := Graph, info := Info}) ->
    States = maps:map(fun(_, #{state := St}) -> St end, Info),
    case hydros_services:blocked(Graph, States) of
        [] ->
            S1 = lists:foldl(fun start/2, S, hydros_services:startable(Graph, States)),
            settle(S1);
        Blocked ->
            [say("~s not started: it requires ~s, which ~s", [N, D, fate(maps:get(D, States))])
             || {N, D} <- Blocked],
            step(S#{info := lists:foldl(fun({N, _}, I) -> update(N, #{state => blocked}, I) end, Info, Blocked)})
    end.

fate(failed) -> "failed";
fate(blocked) -> "is blocked".

settle(S = #{info := Info, waiters := Ws}) ->
    case lists:all(fun(#{state := St}) -> hydros_services:settled(St) end, maps:values(Info)) of
        true -> [gen_server:reply(W, ok) || W <- Ws], S#{waiters := []};
        false -> S
    end.

start(Name, S = #{graph := Graph, info := Info}) ->
    [Service] = [G || G = #{name := N} <- Graph, N =:= Name],
    Init = self(),
    T0 = now_ms(),
    {_, Ref} = spawn_monitor(fun() -> Init ! {done, Name, run(Service)} end),
    S#{info := update(Name, #{state => starting, started_ms => T0, monitor => Ref}, Info)}.

%% ok, or {error, Reason}; never raises.
run(#{type := task, start := {M, F, A}}) ->
    try apply(M, F, A) of
        ok -> ok;
        {ok, _} -> ok;
        Other -> {error, Other}
    catch
        Class:Reason -> {error, {Class, Reason}}
    end;
run(#{type := worker, name := Name, start := MFA}) ->
    case supervisor:start_child(?SUP, #{id => Name, start => MFA, restart => permanent}) of
        {ok, _} -> ok;
        {ok, _, _} -> ok;
        {error, {already_started, _}} -> ok;
        {error, Reason} -> {error, Reason}
    end.

ended(Name, Result, S = #{graph := Graph, info := Info}) ->
    #{started_ms := T0, tries := Tries0} = maps:get(Name, Info),
    [#{retries := Retries, backoff_ms := Backoff}] = [G || G = #{name := N} <- Graph, N =:= Name],
    Took = now_ms() - T0,
    Tries = Tries0 + 1,
    case Result of
        ok ->
            say("~s started at ~b ms, up in ~b ms", [Name, T0, Took]),
            S#{info := update(Name, #{state => up, took_ms => Took, tries => Tries}, Info)};
        {error, Reason} when Tries =< Retries ->
            Wait = Backoff bsl (Tries - 1),
            say("~s failed (try ~b of ~b): ~0tp; again in ~b ms", [Name, Tries, Retries + 1, Reason, Wait]),
            erlang:send_after(Wait, self(), {retry, Name}),
            S#{info := update(Name, #{state => retrying, tries => Tries, error => Reason}, Info)};
        {error, Reason} ->
            say("~s failed (try ~b of ~b): ~0tp; given up", [Name, Tries, Retries + 1, Reason]),
            S#{info := update(Name, #{state => failed, took_ms => Took, tries => Tries, error => Reason}, Info)}
    end.

update(Name, New, Info) ->
    maps:update_with(Name, fun(Old) -> maps:merge(Old, New) end, Info).

%% Milliseconds since the node's emulator started.
now_ms() ->
    {Ms, _} = erlang:statistics(wall_clock),
    Ms.

say(Format, Args) ->
    io:format("c~b: init: " ++ Format ++ "~n", [hydros:core() | Args]).
