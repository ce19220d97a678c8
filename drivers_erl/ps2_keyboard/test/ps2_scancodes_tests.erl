%% EUnit for ps2_scancodes: both sets, make and break, shift and caps lock,
%% extended keys, Pause and Print Screen, unknown codes, and no byte
%% stream that crashes or desyncs the decoder.
-module(ps2_scancodes_tests).
-include_lib("eunit/include/eunit.hrl").

%% The events a byte stream gives a fresh decoder of Set.
events(Set, Bytes) ->
    {Events, _} = lists:foldl(fun(B, {Acc, St}) ->
                                      {Es, St1} = ps2_scancodes:feed(B, St),
                                      {Acc ++ Es, St1}
                              end, {[], ps2_scancodes:new(Set)}, Bytes),
    Events.

%% The same, as {Key, Action, Char}.
keys(Set, Bytes) ->
    [{K, A, C} || #{key := K, action := A, char := C} <- events(Set, Bytes)].

make_and_break_test_() ->
    A = #{key => a, char => $a, modifiers => []},
    [?_assertEqual([A#{action => press, scancode => <<16#1E>>}, A#{action => release, scancode => <<16#9E>>}],
                   events(1, [16#1E, 16#9E])),
     ?_assertEqual([A#{action => press, scancode => <<16#1C>>}, A#{action => release, scancode => <<16#F0, 16#1C>>}],
                   events(2, [16#1C, 16#F0, 16#1C])),
     ?_assertEqual([{enter, press, $\n}, {space, press, $\s}, {backspace, press, $\b}, {tab, press, $\t},
                    {escape, press, $\e}, {f1, press, none}, {f12, press, none}],
                   keys(2, [16#5A, 16#29, 16#66, 16#0D, 16#76, 16#05, 16#07]))].

%% The same keys in both sets (what QEMU's sendkey types, among others).
both_sets_test_() ->
    Table = [{'1', [16#02], [16#16]}, {'0', [16#0B], [16#45]}, {q, [16#10], [16#15]}, {z, [16#2C], [16#1A]},
             {m, [16#32], [16#3A]}, {slash, [16#35], [16#4A]}, {grave, [16#29], [16#0E]},
             {left_shift, [16#2A], [16#12]}, {right_shift, [16#36], [16#59]}, {caps_lock, [16#3A], [16#58]},
             {f7, [16#41], [16#83]}, {f10, [16#44], [16#09]}, {f11, [16#57], [16#78]},
             {kp_5, [16#4C], [16#73]}, {kp_enter, [16#E0, 16#1C], [16#E0, 16#5A]},
             {right_alt, [16#E0, 16#38], [16#E0, 16#11]}, {home, [16#E0, 16#47], [16#E0, 16#6C]},
             {'end', [16#E0, 16#4F], [16#E0, 16#69]}, {page_up, [16#E0, 16#49], [16#E0, 16#7D]},
             {page_down, [16#E0, 16#51], [16#E0, 16#7A]}, {insert, [16#E0, 16#52], [16#E0, 16#70]},
             {delete, [16#E0, 16#53], [16#E0, 16#71]}, {left, [16#E0, 16#4B], [16#E0, 16#6B]},
             {right, [16#E0, 16#4D], [16#E0, 16#74]}, {down, [16#E0, 16#50], [16#E0, 16#72]}],
    [?_assertMatch({Key, [#{key := Key, action := press}], [#{key := Key, action := press}]},
                   {Key, events(1, S1), events(2, S2)})
     || {Key, S1, S2} <- Table].

shift_test_() ->
    %% left shift, 1, a, release a, release shift, a
    Set1 = [16#2A, 16#02, 16#1E, 16#9E, 16#AA, 16#1E],
    Set2 = [16#12, 16#16, 16#1C, 16#F0, 16#1C, 16#F0, 16#12, 16#1C],
    Want = [{left_shift, press, none}, {'1', press, $!}, {a, press, $A}, {a, release, $A},
            {left_shift, release, none}, {a, press, $a}],
    [?_assertEqual(Want, keys(1, Set1)),
     ?_assertEqual(Want, keys(2, Set2)),
     ?_assertEqual([[shift], [shift], [shift], [shift], [], []],
                   [M || #{modifiers := M} <- events(2, Set2)]),
     ?_assertMatch([_, #{key := semicolon, char := $:}], events(2, [16#59, 16#4C]))].  % right shift

caps_lock_test_() ->
    %% caps lock pressed and released, a, 1, shift-a, caps lock again, a
    Bytes = [16#58, 16#F0, 16#58, 16#1C, 16#16, 16#12, 16#1C, 16#F0, 16#12, 16#58, 16#F0, 16#58, 16#1C],
    Events = events(2, Bytes),
    [?_assertEqual([$A, $1, $a, $a],
                   [C || #{key := K, action := press, char := C} <- Events, K =/= caps_lock, K =/= left_shift]),
     ?_assertMatch([#{key := caps_lock, action := press, modifiers := [caps_lock]} | _], Events),
     ?_assertMatch(#{key := left_shift, modifiers := [shift, caps_lock]}, lists:nth(5, Events)),
     ?_assertMatch(#{key := a, modifiers := []}, lists:last(Events)),
     %% the keyboard's repeats of a held caps lock toggle nothing
     ?_assertMatch([_, _, #{char := $A}], events(1, [16#3A, 16#3A, 16#1E]))].

ctrl_alt_test_() ->
    %% ctrl-c as QEMU's `sendkey ctrl-c' types it, and right alt + x
    [?_assertEqual([{left_ctrl, press, [ctrl]}, {c, press, [ctrl]}, {c, release, [ctrl]}, {left_ctrl, release, []}],
                   [{K, A, M} || #{key := K, action := A, modifiers := M}
                                     <- events(2, [16#14, 16#21, 16#F0, 16#21, 16#F0, 16#14])]),
     ?_assertMatch([_, #{key := c, char := $c}], events(1, [16#1D, 16#2E])),
     ?_assertMatch([#{key := right_alt, modifiers := [alt]}, #{key := x, char := $x, modifiers := [alt]}],
                   events(1, [16#E0, 16#38, 16#2D]))].

extended_test_() ->
    [?_assertEqual([#{key => up, action => press, char => none, modifiers => [], scancode => <<16#E0, 16#48>>},
                    #{key => up, action => release, char => none, modifiers => [], scancode => <<16#E0, 16#C8>>}],
                   events(1, [16#E0, 16#48, 16#E0, 16#C8])),
     ?_assertEqual([#{key => up, action => press, char => none, modifiers => [], scancode => <<16#E0, 16#75>>},
                    #{key => up, action => release, char => none, modifiers => [],
                      scancode => <<16#E0, 16#F0, 16#75>>}],
                   events(2, [16#E0, 16#75, 16#E0, 16#F0, 16#75])),
     ?_assertEqual([{right_ctrl, press, none}, {kp_divide, press, $/}, {right_ctrl, release, none}],
                   keys(2, [16#E0, 16#14, 16#E0, 16#4A, 16#E0, 16#F0, 16#14])),
     ?_assertMatch([#{modifiers := [ctrl]}], events(1, [16#E0, 16#1D]))].

keypad_test_() ->
    %% kp_7, num lock, kp_7, kp_plus
    [?_assertEqual([{kp_7, press, none}, {num_lock, press, none}, {kp_7, press, $7}, {kp_plus, press, $+}],
                   keys(1, [16#47, 16#45, 16#47, 16#4E]))].

print_screen_test_() ->
    %% Wrapped in fake shifts, which are no key: one press, one release,
    %% and the next key decodes as usual.
    [?_assertEqual([{print_screen, press, none}, {print_screen, release, none}, {a, press, $a}],
                   keys(1, [16#E0, 16#2A, 16#E0, 16#37, 16#E0, 16#B7, 16#E0, 16#AA, 16#1E])),
     ?_assertEqual([{print_screen, press, none}, {print_screen, release, none}, {a, press, $a}],
                   keys(2, [16#E0, 16#12, 16#E0, 16#7C, 16#E0, 16#F0, 16#7C, 16#E0, 16#F0, 16#12, 16#1C])),
     ?_assertMatch([#{key := print_screen, modifiers := []}], events(2, [16#E0, 16#7C])),
     ?_assertEqual([{sysrq, press, none}], keys(1, [16#54]))].

pause_test_() ->
    Pause1 = [16#E1, 16#1D, 16#45, 16#E1, 16#9D, 16#C5],
    Pause2 = [16#E1, 16#14, 16#77, 16#E1, 16#F0, 16#14, 16#F0, 16#77],
    [?_assertEqual([#{key => pause, action => press, char => none, modifiers => [], scancode => list_to_binary(Pause1)},
                    #{key => a, action => press, char => $a, modifiers => [], scancode => <<16#1E>>}],
                   events(1, Pause1 ++ [16#1E])),
     ?_assertEqual([{pause, press, none}, {a, press, $a}], keys(2, Pause2 ++ [16#1C])),
     %% not ctrl or num lock: the sequence's 1D and 14 are no key
     ?_assertMatch([#{modifiers := []}], events(2, Pause2)),
     %% ctrl-pause (Break): E0 46 in set 1, E0 7E in set 2, made and broken
     ?_assertEqual([{pause, press, none}, {pause, release, none}], keys(2, [16#E0, 16#7E, 16#E0, 16#F0, 16#7E])),
     %% cut short: what came is unknown, and the byte that broke it decodes
     ?_assertEqual([{{unknown, 16#E114}, press, none}, {a, press, $a}], keys(2, [16#E1, 16#14, 16#1C])),
     ?_assertEqual([{{unknown, 16#E1}, press, none}, {b, press, $b}], keys(1, [16#E1, 16#30]))].

unknown_test_() ->
    [?_assertEqual([{{unknown, 16#5F}, press, none}, {{unknown, 16#5F}, release, none}], keys(1, [16#5F, 16#DF])),
     ?_assertEqual([{{unknown, 16#02}, press, none}, {{unknown, 16#02}, release, none}], keys(2, [16#02, 16#F0, 16#02])),
     ?_assertEqual([{{unknown, 16#E001}, press, none}], keys(2, [16#E0, 16#01])),
     ?_assertEqual([{{unknown, 16#E060}, release, none}], keys(1, [16#E0, 16#E0]))].

%% Every byte, in every set, after every prefix: no crash, and a key
%% decodes right after (a 0xE1 prefix takes that key as its broken end).
no_desync_test() ->
    Prefixes = [[], [16#E0], [16#F0], [16#E0, 16#F0], [16#E1], [16#E1, 16#1D]],
    [?assertMatch({_, _, _, #{key := a, action := press}}, {Set, P, B, lists:last(events(Set, P ++ [B] ++ KeyA))})
     || {Set, KeyA} <- [{1, [16#1E]}, {2, [16#1C]}], P <- Prefixes,
        B <- lists:seq(0, 255), not lists:member(B, [16#E0, 16#E1, 16#F0])].

config_test_() ->
    [?_assertEqual(1, ps2_scancodes:set_of_config(16#61)),  % translating, as SeaBIOS leaves it
     ?_assertEqual(2, ps2_scancodes:set_of_config(16#21)),
     ?_assertError(function_clause, ps2_scancodes:new(3))].
