%% EUnit for the exclusion algebra and the argument checks of the hydros
%% BIFs (bifs/hydros_cap.c, hydros_io.c). They need our ERTS, not the host's erl:
%% tests/host/eunit_erts.sh runs them on build/erts/beam.smp, on Linux,
%% where no device exists (the kernel call fails with enosys).
-module(hydros_cap_tests).
-include_lib("eunit/include/eunit.hrl").

%% Runs F in a new, unlimited process; its value or {raised, Reason}.
in_new(F) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit({done, try F() catch error:R -> {raised, R} end}) end),
    receive {'DOWN', Ref, process, Pid, {done, V}} -> V end.

starts_empty_test() ->
    ?assertEqual([], in_new(fun hydros_cap:exclusions/0)).

adds_in_order_once_and_never_removes_test() ->
    ?assertEqual([port_io, {app, 1}, {irq, 3}, node_control],
                 in_new(fun() ->
                                ok = hydros_cap:exclude([port_io, {app, 1}, port_io]),
                                ok = hydros_cap:exclude([]),
                                ok = hydros_cap:exclude([{irq, 3}, {app, 1}, node_control, {irq, 3}]),
                                hydros_cap:exclusions()
                        end)).

malformed_built_ins_are_badarg_test_() ->
    [?_assertEqual({raised, badarg}, in_new(fun() -> hydros_cap:exclude(Bad) end))
     || Bad <- [not_a_list, [port_io | tail], [{port_io, -1}], [{port_io, {5, 1}}], [{port_io, 16#10000}],
                [{port_io, {0, 16#10000}}], [{port_io, a, b}], [{irq, 256}], [{irq, x}], [{irq, 1, 2}], [{irq, {5, 4}}], [{irq, {0, 256}}],
                [{raw_memory, 2, 1}], [{raw_memory, 1}], [{raw_memory, -1, 5}]]].

a_refused_list_adds_nothing_test() ->
    ?assertEqual([], in_new(fun() -> catch hydros_cap:exclude([foo, {irq, 999}]), hydros_cap:exclusions() end)).

ranges_overlap_test_() ->
    Excl = [{port_io, {16#70, 16#71}}, {irq, 4}, {raw_memory, 16#1000, 16#1FFF}],
    Check = fun(Cap) -> in_new(fun() -> ok = hydros_cap:exclude(Excl), hydros_cap:check(Cap) end) end,
    [?_assertEqual(ok, Check({port_io, 16#6F})),
     ?_assertEqual({raised, {excluded, {port_io, 16#70}}}, Check({port_io, 16#70})),
     ?_assertEqual({raised, {excluded, {port_io, {16#60, 16#70}}}}, Check({port_io, {16#60, 16#70}})),
     ?_assertEqual(ok, Check({port_io, {16#72, 16#80}})),
     ?_assertEqual({raised, {excluded, port_io}}, Check(port_io)),
     ?_assertEqual({raised, {excluded, {irq, all}}}, Check({irq, all})),
     ?_assertEqual(ok, Check({irq, 5})),
     ?_assertEqual({raised, {excluded, {irq, {0, 4}}}}, Check({irq, {0, 4}})),
     ?_assertEqual(ok, Check({irq, {5, 255}})),
     ?_assertEqual({raised, {excluded, {raw_memory, 0, 16#1000}}}, Check({raw_memory, 0, 16#1000})),
     ?_assertEqual(ok, Check({raw_memory, 16#2000, 16#3000})),
     ?_assertEqual(ok, Check(node_control)),
     ?_assertEqual({raised, badarg}, Check({port_io, -5}))].

application_terms_match_exactly_test_() ->
    Check = fun(Cap) -> in_new(fun() -> ok = hydros_cap:exclude([{db, write, <<"t">>}, 1]), hydros_cap:check(Cap) end) end,
    [?_assertEqual({raised, {excluded, {db, write, <<"t">>}}}, Check({db, write, <<"t">>})),
     ?_assertEqual(ok, Check({db, read, <<"t">>})),
     ?_assertEqual({raised, {excluded, 1}}, Check(1)),
     ?_assertEqual(ok, Check(1.0))].

every_way_to_spawn_inherits_test() ->
    Me = self(),
    Tell = fun(Tag) -> fun() -> Me ! {Tag, hydros_cap:exclusions()} end end,
    in_new(fun() ->
                   ok = hydros_cap:exclude([secret]),
                   spawn(Tell(spawn)),
                   spawn_link(Tell(spawn_link)),
                   spawn_monitor(Tell(spawn_monitor)),
                   spawn_opt(Tell(spawn_opt), [link]),
                   spawn_request(erlang, apply, [Tell(spawn_request), []], []),
                   proc_lib:spawn(Tell(proc_lib)),
                   spawn(fun() -> spawn(Tell(grandchild)) end),
                   timer:sleep(100)
           end),
    Got = lists:sort([receive {T, L} -> {T, L} after 2000 -> {T, timeout} end
                      || T <- [spawn, spawn_link, spawn_monitor, spawn_opt, spawn_request, proc_lib, grandchild]]),
    ?assertEqual([{T, [secret]} || T <- lists:sort([spawn, spawn_link, spawn_monitor, spawn_opt, spawn_request,
                                                     proc_lib, grandchild])], Got).

the_spawn_option_only_adds_test() ->
    Me = self(),
    in_new(fun() ->
                   ok = hydros_cap:exclude([a]),
                   spawn_opt(fun() -> Me ! {opt, hydros_cap:exclusions()} end, [{exclusions, [b, a]}]),
                   spawn_opt(fun() -> Me ! {empty, hydros_cap:exclusions()} end, [{exclusions, []}])
           end),
    ?assertEqual([a, b], receive {opt, L} -> L end),
    ?assertEqual([a], receive {empty, L2} -> L2 end),
    ?assertError(badarg, spawn_opt(fun() -> ok end, [{exclusions, [{irq, -1}]}])),
    ?assertError(badarg, spawn_opt(fun() -> ok end, [{exclusions, nope}])).

port_bifs_check_arguments_then_exclusions_test_() ->
    Run = fun(Excl, F) -> in_new(fun() -> ok = hydros_cap:exclude(Excl), F() end) end,
    [?_assertEqual({raised, badarg}, Run([port_io], fun() -> hydros_io:in8(-1) end)),
     ?_assertEqual({raised, badarg}, Run([port_io], fun() -> hydros_io:in16(16#FFFF) end)),
     ?_assertEqual({raised, badarg}, Run([port_io], fun() -> hydros_io:in32(16#FFFD) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:out8(16#80, 256) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:out16(16#80, -1) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:out32(16#80, 1 bsl 32) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:in8(1.0) end)),
     ?_assertEqual({raised, {excluded, {port_io, 16#70}}}, Run([port_io], fun() -> hydros_io:in8(16#70) end)),
     ?_assertEqual({raised, {excluded, {port_io, 16#6F}}},
                   Run([{port_io, 16#70}], fun() -> hydros_io:in16(16#6F) end)),
     ?_assertEqual({raised, {excluded, {port_io, 16#80}}},
                   Run([{port_io, {16#80, 16#80}}], fun() -> hydros_io:out32(16#80, 0) end)),
     %% Not excluded, off HydrOS: the kernel call is missing, and says so.
     ?_assertEqual({error, enosys}, Run([{port_io, 16#71}], fun() -> hydros_io:in8(16#70) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:give("cmos", 1) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:give(cmos, -1) end)),
     ?_assertEqual({raised, {excluded, device_control}}, Run([device_control], fun() -> hydros_io:give(cmos, 1) end)),
     ?_assertEqual({raised, {excluded, open_port}},
                   Run([open_port], fun() -> open_port({spawn, "true"}, []) end)),
     ?_assertEqual({raised, {excluded, code_load}},
                   Run([code_load], fun() -> erlang:load_module(nosuch, <<>>) end))].

mmio_bifs_check_arguments_then_exclusions_test_() ->
    Run = fun(Excl, F) -> in_new(fun() -> ok = hydros_cap:exclude(Excl), F() end) end,
    NotAHandle = make_ref(),
    [?_assertEqual({raised, badarg}, Run([raw_memory], fun() -> hydros_io:map(-1, 1) end)),
     ?_assertEqual({raised, badarg}, Run([raw_memory], fun() -> hydros_io:map(16#1000, 0) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:map(1 bsl 64 - 1, 2) end)),
     ?_assertEqual({raised, {excluded, {raw_memory, 16#FED00000, 16#FED003FF}}},
                   Run([{raw_memory, 16#FED00100, 16#FED00100}], fun() -> hydros_io:map(16#FED00000, 16#400) end)),
     ?_assertEqual({error, enosys}, Run([{raw_memory, 0, 16#FFFF}], fun() -> hydros_io:map(16#FED00000, 16#400) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:read(NotAHandle, 0, 32) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:write(<<"h">>, 0, 32, 0) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:read_block(NotAHandle, 0, 4) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:write_block(NotAHandle, 0, <<1>>) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:unmap(NotAHandle) end))].

irq_bifs_check_arguments_then_exclusions_test_() ->
    Run = fun(Excl, F) -> in_new(fun() -> ok = hydros_cap:exclude(Excl), F() end) end,
    [?_assertEqual({raised, badarg}, Run([irq], fun() -> hydros_io:irq_subscribe(256) end)),
     ?_assertEqual({raised, badarg}, Run([irq], fun() -> hydros_io:irq_ack(-1) end)),
     ?_assertEqual({raised, badarg}, Run([], fun() -> hydros_io:irq_unsubscribe(x) end)),
     ?_assertEqual({raised, {excluded, {irq, 8}}}, Run([{irq, 8}], fun() -> hydros_io:irq_subscribe(8) end)),
     ?_assertEqual({raised, {excluded, {irq, 3}}}, Run([irq], fun() -> hydros_io:irq_ack(3) end)),
     ?_assertEqual({error, no_device}, Run([{irq, 8}], fun() -> hydros_io:irq_subscribe(16) end)),
     ?_assertEqual({error, enosys}, Run([{irq, 8}], fun() -> hydros_io:irq_subscribe(3) end)),
     ?_assertEqual({error, not_subscribed}, Run([], fun() -> hydros_io:irq_ack(3) end)),
     ?_assertEqual({error, not_subscribed}, Run([], fun() -> hydros_io:irq_unsubscribe(3) end))].

%% For servers that work for others: the rights a credential carries, and
%% the files that are capabilities, whatever way their names are written.
credentials_test_() ->
    Me = self(),
    spawn(fun() ->
                  ok = hydros_cap:exclude([code_load, node_control, device_control, {irq, 8}]),
                  Me ! {limited, hydros_cap:credential()}
          end),
    Limited = receive {limited, C} -> C end, % its process is gone: the credential stays
    Mine = hydros_cap:credential(),
    Check = fun(Cr, Cap) -> try hydros_cap:check(Cr, Cap) catch error:E -> E end end,
    File = fun(Cr, Name, Access) -> try hydros_cap:check_file(Cr, Name, Access) catch error:E -> E end end,
    {ok, Cwd} = file:get_cwd(),
    Rel = lists:duplicate(length(string:tokens(Cwd, "/")), "../") ++ "dev/hydros/kill",
    [?_assertEqual({excluded, code_load}, Check(Limited, code_load)),
     ?_assertEqual(ok, Check(Limited, open_port)),
     ?_assertEqual(ok, Check(Mine, code_load)),
     %% No credential, or a forged one: no rights at all.
     ?_assertEqual({excluded, code_load}, Check(none, code_load)),
     ?_assertEqual({excluded, open_port}, Check(make_ref(), open_port)),
     ?_assertEqual({excluded, code_load}, Check(self(), code_load)),
     ?_assertEqual(badarg, Check(Mine, {port_io, -1})),
     ?_assertEqual({excluded, node_control}, File(Limited, "/dev/hydros/kill", write)),
     ?_assertEqual({excluded, node_control}, File(Limited, <<"/dev//hydros/./restart">>, write)),
     ?_assertEqual({excluded, node_control}, File(Limited, ["/dev/", <<"x/../hydros/inject">>], write)),
     ?_assertEqual({excluded, node_control}, File(Limited, '/dev/hydros/poke', write)),
     ?_assertEqual({excluded, node_control}, File(Limited, Rel, write)),
     ?_assertEqual({excluded, node_control}, File(none, "/dev/hydros/kill", write)),
     ?_assertEqual(ok, File(Limited, "/dev/hydros/kill", read)),
     ?_assertEqual({excluded, device_control}, File(Limited, "/dev/hydros/ioapic", write)),
     ?_assertEqual(ok, File(Limited, "/dev/hydros/ioapic", read)),
     ?_assertEqual(ok, File(Mine, "/dev/hydros/ioapic", write)),
     ?_assertEqual(ok, File(Limited, "/dev/hydros/log", write)),
     ?_assertEqual(ok, File(Limited, "/tmp/kill", write)),
     ?_assertEqual(ok, File(none, "/tmp/kill", write)),
     ?_assertEqual({excluded, {irq, 8}}, File(Limited, "/dev/irq/8", read)),
     ?_assertEqual(ok, File(Limited, "/dev/irq/3", read)),
     ?_assertEqual(ok, File(Mine, "/dev/hydros/kill", write)),
     ?_assertEqual(badarg, File(Mine, "/dev/hydros/kill", append))].

%% Every {exclusions, L} option adds: one cannot cancel another, nor the
%% parent's (a remote spawn carries the caller's list as one more).
spawn_options_all_add_test() ->
    Me = self(),
    in_new(fun() ->
                   ok = hydros_cap:exclude([a]),
                   spawn_opt(fun() -> Me ! {got, hydros_cap:exclusions()} end,
                             [{exclusions, [b]}, {exclusions, []}, {exclusions, [c]}])
           end),
    ?assertEqual([a, b, c], receive {got, L} -> L end).

at_most_256_entries_a_call_test() ->
    ?assertEqual({raised, badarg}, in_new(fun() -> hydros_cap:exclude(lists:seq(1, 257)) end)),
    ?assertEqual(256, in_new(fun() -> ok = hydros_cap:exclude(lists:seq(1, 256)),
                                      length(hydros_cap:exclusions()) end)),
    ?assertEqual({raised, badarg}, in_new(fun() -> hydros_cap:check({}) =:= ok andalso hydros_cap:exclude([{}, {port_io}]) end)).

%% A set holds what its terms refer to (here a 1 MiB binary each, which
%% nothing else holds) until its last process is gone.
sets_are_freed_with_their_last_process_test() ->
    Me = self(),
    Before = erlang:memory(binary),
    Pids = [spawn(fun() ->
                          ok = hydros_cap:exclude([{blob, binary:copy(<<I>>, 1 bsl 20)}]),
                          erlang:garbage_collect(),
                          Me ! {held, self()},
                          receive stop -> ok end
                  end) || I <- lists:seq(1, 20)],
    [receive {held, P} -> ok end || P <- Pids], % each set made, its process collected
    Held = erlang:memory(binary) - Before,
    [begin Ref = monitor(process, P), P ! stop, receive {'DOWN', Ref, _, _, _} -> ok end end || P <- Pids],
    ?assert(Held > 19 bsl 20), % 20 MiB, less what other binaries were freed meanwhile
    ?assert(erlang:memory(binary) - Before < 1 bsl 20).
