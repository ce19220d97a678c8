%% The VGA's text screen (device `vga': ports 0x3c0-0x3df, and the text
%% buffer at 0xb8000), driven from Erlang: 80x25 cells, rows 0-24 and
%% columns 0-79, in 16 colours, with the hardware cursor. A string is a
%% list of codes 0-255, each shown as the VGA font's glyph (code page 437:
%% ASCII as written); a code past 255 is `{error, {bad_char, C}}' and
%% nothing is written. Bad input is answered `{error, Reason}'.
-module(vga_text).
-export([write/3, write/4, clear/0, print/1, scroll/1, cursor/2, cursor/0, show_cursor/1, read/1]).

-type colour() :: black | blue | green | cyan | red | magenta | brown | light_gray | dark_gray | light_blue
                | light_green | light_cyan | light_red | light_magenta | yellow | white.
%% Bad input ({bad_position, Row, Col}, {bad_colour, C}, {bad_char, C},
%% {bad_string, S}, ...) or the device's error (given away).
-type error() :: {error, term()}.
-export_type([colour/0]).

%% Writes String from Row, Col in light_gray on black; see write/4.
-spec write(0..24, 0..79, string()) -> ok | error().
write(Row, Col, String) ->
    write(Row, Col, String, {light_gray, black}).

%% Writes String's cells from Row, Col in Fg on Bg. What would go past the
%% row's end is cut: a write never reaches the next row. The cursor stays.
-spec write(0..24, 0..79, string(), {colour(), colour()}) -> ok | error().
write(Row, Col, String, Colours) ->
    gen_server:call(vga_text_server, {write, Row, Col, String, Colours}).

%% Blanks the screen (light_gray on black) and puts the cursor at 0, 0.
-spec clear() -> ok | error().
clear() ->
    gen_server:call(vga_text_server, clear).

%% Types String at the cursor in light_gray on black, as a teletype: "\n"
%% goes to the next row's start, "\r" to this row's; text wraps at the
%% row's end, and past the last row the whole screen scrolls up one row.
%% The cursor ends after the text.
-spec print(string()) -> ok | error().
print(String) ->
    gen_server:call(vga_text_server, {print, String}).

%% Moves the whole screen up Lines rows (0-25), blank rows coming in below;
%% the cursor stays. `{error, {bad_lines, Lines}}' otherwise.
-spec scroll(0..25) -> ok | error().
scroll(Lines) ->
    gen_server:call(vga_text_server, {scroll, Lines}).

%% Puts the hardware cursor at Row, Col.
-spec cursor(0..24, 0..79) -> ok | error().
cursor(Row, Col) ->
    gen_server:call(vga_text_server, {cursor, Row, Col}).

%% Where the hardware cursor is.
-spec cursor() -> {0..24, 0..79} | error().
cursor() ->
    gen_server:call(vga_text_server, cursor).

%% Shows or hides the hardware cursor; `{error, {not_boolean, Show}}'.
-spec show_cursor(boolean()) -> ok | error().
show_cursor(Show) ->
    gen_server:call(vga_text_server, {show_cursor, Show}).

%% Row's characters as the buffer holds them, trailing spaces trimmed (a
%% blank row reads ""). A bad Row is `{error, {bad_position, Row, 0}}'.
-spec read(0..24) -> {ok, string()} | error().
read(Row) ->
    gen_server:call(vga_text_server, {read, Row}).
