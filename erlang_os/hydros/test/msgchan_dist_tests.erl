%% EUnit, on the host (make unit-test): the carrier's name rules, and its
%% refusal to start where there are no channels.
-module(msgchan_dist_tests).
-include_lib("eunit/include/eunit.hrl").

-define(CORES_KEY, {msgchan_listener, cores}).

with_cores(Me, N, Fun) ->
    persistent_term:put(?CORES_KEY, {Me, N}),
    try Fun() after persistent_term:erase(?CORES_KEY) end.

node_of_test() ->
    ?assertEqual('c0@hydros', msgchan_dist:node_of(0)),
    ?assertEqual('c12@hydros', msgchan_dist:node_of(12)).

core_of_test() ->
    with_cores(1, 4, fun() ->
        ?assertEqual(0, msgchan_dist:core_of('c0@hydros')),
        ?assertEqual(3, msgchan_dist:core_of('c3@hydros')),
        ?assertEqual(error, msgchan_dist:core_of('c1@hydros')),   % this node
        ?assertEqual(error, msgchan_dist:core_of('c4@hydros')),   % no such core
        ?assertEqual(error, msgchan_dist:core_of('c-1@hydros')),
        ?assertEqual(error, msgchan_dist:core_of('c2x@hydros')),
        ?assertEqual(error, msgchan_dist:core_of('c2@elsewhere')),
        ?assertEqual(error, msgchan_dist:core_of('d2@hydros')),
        ?assertEqual(error, msgchan_dist:core_of('c2')),
        ?assertEqual(error, msgchan_dist:core_of("c2@hydros")),
        ?assert(msgchan_dist:select('c2@hydros')),
        ?assertNot(msgchan_dist:select('c9@hydros'))
    end).

%% Off HydrOS (no listener has found channels): no names, no listen.
no_channels_test() ->
    ?assertEqual(undefined, msgchan_listener:cores()),
    ?assertEqual(error, msgchan_dist:core_of('c1@hydros')),
    ?assertEqual({error, no_channels}, msgchan_dist:listen(c0, "hydros")),
    ?assertEqual(ok, msgchan_dist:connect_all()),
    ?assertEqual([], msgchan_dist:stats()).

%% The listener off HydrOS: it holds no ports, lends none, and answers a call
%% it does not know with an error instead of dying (it would take net_sup).
listener_test() ->
    {ok, Pid} = gen_server:start(msgchan_listener, [], []),
    try
        ?assertEqual({error, busy}, gen_server:call(Pid, {lend, 1, self()})),
        ?assertEqual({error, busy}, gen_server:call(Pid, {knock, 1})),
        ?assertEqual({error, {unknown_call, hello}}, gen_server:call(Pid, hello)),
        Pid ! stray_message,
        ?assert(is_process_alive(Pid))
    after
        exit(Pid, kill)
    end.
