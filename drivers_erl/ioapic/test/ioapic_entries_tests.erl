-module(ioapic_entries_tests).
-include_lib("eunit/include/eunit.hrl").

parse_test() ->
    Text = <<"ioapic 0 pin 2 gsi 2 vector 48 dest 0 core 0 masked 0 trigger edge polarity high held 0 line 0\n"
             "ioapic 0 pin 9 gsi 9 vector 0 dest 0 core 0 masked 1 trigger level polarity high held 1 line 9\n"
             "ioapic 0 pin 16 gsi 16 vector 0 dest 0 core 0 masked 1 trigger edge polarity high held 0 line -1\n">>,
    [A, B, C] = ioapic_entries:parse(Text),
    ?assertEqual(#{ioapic => 0, pin => 2, gsi => 2, vector => 48, dest => 0, core => 0, masked => false,
                   trigger => edge, polarity => high, held => false, line => 0}, A),
    ?assertMatch(#{masked := true, held := true, trigger := level, line := 9}, B),
    ?assertMatch(#{pin := 16, line := none}, C),
    ?assertEqual([], ioapic_entries:parse(<<>>)).

command_test_() ->
    Text = fun(V, A) -> {ok, T} = ioapic_entries:command(V, A), iolist_to_binary(T) end,
    [?_assertEqual(<<"mask 4">>, Text(mask, [4])),
     ?_assertEqual(<<"unmask 15">>, Text(unmask, [15])),
     ?_assertEqual(<<"route 3 1">>, Text(route, [3, 1])),
     ?_assertEqual({error, badarg}, ioapic_entries:command(mask, [16])),
     ?_assertEqual({error, badarg}, ioapic_entries:command(mask, [x])),
     ?_assertEqual({error, badarg}, ioapic_entries:command(route, [3, -1])),
     ?_assertEqual({error, badarg}, ioapic_entries:command(route, [3])),
     ?_assertEqual({error, badarg}, ioapic_entries:command(reboot, [3]))].

result_test_() ->
    [?_assertEqual(ok, ioapic_entries:result(ok, [1])),
     ?_assertEqual({error, {no_pin, 2}}, ioapic_entries:result({error, enodev}, [2])),
     ?_assertEqual({error, {no_device, 5}}, ioapic_entries:result({error, enoent}, [5])),
     ?_assertEqual({error, {no_core, 9}}, ioapic_entries:result({error, esrch}, [3, 9])),
     ?_assertEqual({error, {in_use, 3}}, ioapic_entries:result({error, ebusy}, [3, 1])),
     ?_assertEqual({error, {not_holder, 3}}, ioapic_entries:result({error, eperm}, [3, 1])),
     ?_assertEqual({error, eio}, ioapic_entries:result({error, eio}, [3]))].
