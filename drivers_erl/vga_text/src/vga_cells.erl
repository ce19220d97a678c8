%% The VGA text screen as data (pure). A screen is the text buffer's 4000
%% bytes: 80x25 cells, row by row, each a character code and an attribute
%% (foreground colour in the low nibble, background in the high one). A
%% position is a cell's index, Row * 80 + Col. Bad input is answered
%% {error, Reason}, never an exception.
-module(vga_cells).
-export([position/2, row_col/1, cursor/2, attribute/1, cells/2, clip/2, chars/1, blank/1,
         scroll/2, teletype/3]).

-define(COLS, 80).
-define(ROWS, 25).
-define(CELLS, (?COLS * ?ROWS)).
-define(DEFAULT, 16#07). % light_gray on black: the BIOS's, and print's, clear and scroll's
-define(COLOURS, [black, blue, green, cyan, red, magenta, brown, light_gray, dark_gray, light_blue,
                  light_green, light_cyan, light_red, light_magenta, yellow, white]).

%% The cell at Row (0-24), Col (0-79).
position(Row, Col) when is_integer(Row), is_integer(Col), Row >= 0, Row < ?ROWS, Col >= 0, Col < ?COLS ->
    Row * ?COLS + Col;
position(Row, Col) ->
    {error, {bad_position, Row, Col}}.

row_col(Pos) ->
    {Pos div ?COLS, Pos rem ?COLS}.

%% The cursor's position from the CRTC's two registers. One past the screen,
%% which only another writer of the CRTC can leave, is taken as the last cell.
cursor(High, Low) ->
    min(High bsl 8 bor Low, ?CELLS - 1).

%% The attribute byte of {Foreground, Background}. With the VGA's blink
%% enabled (the BIOS's default) a background from dark_gray up blinks
%% over its darker colour.
attribute({Fg, Bg}) ->
    case {colour(Fg, ?COLOURS, 0), colour(Bg, ?COLOURS, 0)} of
        {{ok, F}, {ok, B}} -> B bsl 4 bor F;
        {{ok, _}, Error} -> Error;
        {Error, _} -> Error
    end;
attribute(Colours) ->
    {error, {bad_colour, Colours}}.

colour(C, [C | _], N) -> {ok, N};
colour(C, [_ | Rest], N) -> colour(C, Rest, N + 1);
colour(C, [], _) -> {error, {bad_colour, C}}.

%% String's cells in attribute Attr. Every code 0-255 is its own glyph (the
%% VGA font's, code page 437 on a PC); a character past Latin-1 is an error.
cells(String, Attr) ->
    case check(String) of
        ok -> << <<C, Attr>> || C <- String >>;
        Error -> Error
    end.

check([C | Rest]) when is_integer(C), C >= 0, C =< 255 -> check(Rest);
check([C | _]) -> {error, {bad_char, C}};
check([]) -> ok;
check(NotAString) -> {error, {bad_string, NotAString}}.

%% Cells written from Pos, cut at the end of Pos's row.
clip(Pos, Cells) ->
    binary:part(Cells, 0, min(byte_size(Cells), (?COLS - Pos rem ?COLS) * 2)).

%% The characters of some cells, trailing spaces trimmed.
chars(Cells) ->
    lists:reverse(lists:dropwhile(fun(C) -> C =:= $\s end, lists:reverse([C || <<C, _>> <= Cells]))).

%% N blank cells.
blank(N) ->
    binary:copy(<<$\s, ?DEFAULT>>, N).

%% Screen moved up Lines (0-25) rows, with blank rows below.
scroll(Screen, Lines) when is_integer(Lines), Lines >= 0, Lines =< ?ROWS ->
    Kept = (?ROWS - Lines) * ?COLS * 2,
    <<(binary:part(Screen, byte_size(Screen) - Kept, Kept))/binary, (blank(Lines * ?COLS))/binary>>;
scroll(_, Lines) ->
    {error, {bad_lines, Lines}}.

%% Screen after String is typed from Pos, and the position after it:
%% {Screen, Pos}. "\n" goes to the next row's start, "\r" to this row's;
%% the text wraps at the row's end, and past the last row the screen
%% scrolls up one. Nothing is typed if String has a bad character.
teletype(Screen, Pos, String) ->
    case check(String) of
        ok -> type(String, Screen, Pos);
        Error -> Error
    end.

type([], Screen, Pos) ->
    {Screen, Pos};
type([$\n | Rest], Screen, Pos) ->
    next(Rest, Screen, (Pos div ?COLS + 1) * ?COLS);
type([$\r | Rest], Screen, Pos) ->
    type(Rest, Screen, Pos div ?COLS * ?COLS);
type([C | Rest], Screen, Pos) ->
    <<Before:(Pos * 2)/binary, _:2/binary, After/binary>> = Screen,
    next(Rest, <<Before/binary, C, ?DEFAULT, After/binary>>, Pos + 1).

next(Rest, Screen, Pos) when Pos >= ?CELLS -> type(Rest, scroll(Screen, 1), Pos - ?COLS);
next(Rest, Screen, Pos) -> type(Rest, Screen, Pos).
