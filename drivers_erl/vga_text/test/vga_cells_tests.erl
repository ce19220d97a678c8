%% EUnit for vga_cells: cells, colours and the screen after a print or a scroll.
-module(vga_cells_tests).
-include_lib("eunit/include/eunit.hrl").

-define(BLANK, <<$\s, 16#07>>).

%% A screen whose row R is the letter $A + R, for telling rows apart.
lettered() ->
    << <<(binary:copy(<<($A + R), 16#07>>, 80))/binary>> || R <- lists:seq(0, 24) >>.

row(Screen, R) ->
    vga_cells:chars(binary:part(Screen, R * 160, 160)).

positions_test_() ->
    [?_assertEqual(0, vga_cells:position(0, 0)),
     ?_assertEqual(1999, vga_cells:position(24, 79)),
     ?_assertEqual({24, 79}, vga_cells:row_col(1999)),
     ?_assertEqual({error, {bad_position, 25, 0}}, vga_cells:position(25, 0)),
     ?_assertEqual({error, {bad_position, 0, 80}}, vga_cells:position(0, 80)),
     ?_assertEqual({error, {bad_position, -1, 0}}, vga_cells:position(-1, 0)),
     ?_assertEqual({error, {bad_position, a, 1.0}}, vga_cells:position(a, 1.0)),
     ?_assertEqual(16#123, vga_cells:cursor(16#01, 16#23)),
     ?_assertEqual(1999, vga_cells:cursor(16#FF, 16#FF))].

attributes_test_() ->
    [?_assertEqual(16#07, vga_cells:attribute({light_gray, black})),
     ?_assertEqual(16#1F, vga_cells:attribute({white, blue})),
     ?_assertEqual(16#E4, vga_cells:attribute({red, yellow})),
     ?_assertEqual({error, {bad_colour, pink}}, vga_cells:attribute({pink, black})),
     ?_assertEqual({error, {bad_colour, grey}}, vga_cells:attribute({white, grey})),
     ?_assertEqual({error, {bad_colour, white}}, vga_cells:attribute(white))].

cells_test_() ->
    [?_assertEqual(<<"H", 16#1F, "i", 16#1F>>, vga_cells:cells("Hi", 16#1F)),
     ?_assertEqual(<<16#E9, 16#07>>, vga_cells:cells([16#E9], 16#07)),
     ?_assertEqual(<<>>, vga_cells:cells("", 16#07)),
     ?_assertEqual({error, {bad_char, 16#263A}}, vga_cells:cells([$a, 16#263A], 16#07)),
     ?_assertEqual({error, {bad_char, x}}, vga_cells:cells([x], 16#07)),
     ?_assertEqual({error, {bad_string, <<"no">>}}, vga_cells:cells(<<"no">>, 16#07)),
     ?_assertEqual({error, {bad_string, b}}, vga_cells:cells([$a | b], 16#07))].

clip_and_chars_test_() ->
    Cells = vga_cells:cells(lists:duplicate(100, $x), 16#07),
    [?_assertEqual(160, byte_size(vga_cells:clip(0, Cells))),
     ?_assertEqual(10, byte_size(vga_cells:clip(vga_cells:position(3, 75), Cells))),
     ?_assertEqual(4, byte_size(vga_cells:clip(0, vga_cells:cells("ab", 7)))),
     ?_assertEqual("ab c", vga_cells:chars(<<"a", 7, "b", 7, " ", 7, "c", 7, " ", 7, " ", 7>>)),
     ?_assertEqual("", vga_cells:chars(vga_cells:blank(80))),
     ?_assertEqual(<<?BLANK/binary, ?BLANK/binary>>, vga_cells:blank(2))].

scroll_test_() ->
    S = lettered(),
    [?_assertEqual(S, vga_cells:scroll(S, 0)),
     ?_assertEqual(lists:duplicate(80, $B), row(vga_cells:scroll(S, 1), 0)),
     ?_assertEqual(lists:duplicate(80, $Y), row(vga_cells:scroll(S, 1), 23)),
     ?_assertEqual("", row(vga_cells:scroll(S, 1), 24)),
     ?_assertEqual(vga_cells:blank(2000), vga_cells:scroll(S, 25)),
     ?_assertEqual(4000, byte_size(vga_cells:scroll(S, 7))),
     ?_assertEqual({error, {bad_lines, 26}}, vga_cells:scroll(S, 26)),
     ?_assertEqual({error, {bad_lines, -1}}, vga_cells:scroll(S, -1)),
     ?_assertEqual({error, {bad_lines, one}}, vga_cells:scroll(S, one))].

teletype_test_() ->
    Blank = vga_cells:blank(2000),
    {S1, P1} = vga_cells:teletype(Blank, 0, "hello\nworld"),
    {S2, P2} = vga_cells:teletype(Blank, vga_cells:position(2, 78), "abcd"),
    {S3, P3} = vga_cells:teletype(lettered(), vga_cells:position(24, 78), "xyz\n!"),
    {S4, P4} = vga_cells:teletype(Blank, vga_cells:position(1, 5), "ab\rZ"),
    [?_assertEqual("hello", row(S1, 0)), ?_assertEqual("world", row(S1, 1)),
     ?_assertEqual({1, 5}, vga_cells:row_col(P1)),
     ?_assertEqual(<<"h", 16#07>>, binary:part(S1, 0, 2)),
     %% wraps at the row's end
     ?_assertEqual(lists:duplicate(78, $\s) ++ "ab", row(S2, 2)), ?_assertEqual("cd", row(S2, 3)),
     ?_assertEqual({3, 2}, vga_cells:row_col(P2)),
     %% past the last row: one scroll for the wrap, one for the newline
     ?_assertEqual(lists:duplicate(80, $C), row(S3, 0)),
     ?_assertEqual(lists:duplicate(78, $Y) ++ "xy", row(S3, 22)),
     ?_assertEqual("z", row(S3, 23)), ?_assertEqual("!", row(S3, 24)),
     ?_assertEqual({24, 1}, vga_cells:row_col(P3)),
     ?_assertEqual("Z    ab", row(S4, 1)), ?_assertEqual({1, 1}, vga_cells:row_col(P4)),
     %% a newline on the last row scrolls at once
     ?_assertEqual({24, 0}, vga_cells:row_col(element(2, vga_cells:teletype(Blank, 1999, "\n")))),
     ?_assertEqual({Blank, 7}, vga_cells:teletype(Blank, 7, "")),
     ?_assertEqual({error, {bad_char, 256}}, vga_cells:teletype(Blank, 0, "ok" ++ [256])),
     ?_assertEqual({error, {bad_string, hello}}, vga_cells:teletype(Blank, 0, hello))].
