%% The VGA text screen's one server: every access to the CRTC's index and
%% data ports and to the text buffer goes through it, so that an index and
%% its data, or a read of the screen and its write back, never interleave.
%% The buffer stays mapped while the server lives; a restarted server maps
%% it again.
-module(vga_text_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(BUFFER, 16#B8000).
-define(CELLS, 2000).
-define(CRTC_INDEX, 16#3D4).
-define(CRTC_DATA, 16#3D5).
-define(CURSOR_START, 16#0A).
-define(CURSOR_OFF, 16#20). % in CURSOR_START
-define(CURSOR_HIGH, 16#0E).
-define(CURSOR_LOW, 16#0F).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% The state is the buffer's mapping, or the error that kept it from being
%% mapped (the node did not hold the device): then each request tries again.
init([]) ->
    {ok, map_buffer()}.

handle_call(Request, _From, Buffer0) ->
    Buffer = case Buffer0 of {error, _} -> map_buffer(); _ -> Buffer0 end,
    {reply, try request(Request, Buffer) catch throw:Error -> Error end, Buffer}.

handle_cast(_, St) ->
    {noreply, St}.

map_buffer() ->
    case hydros_io:map(?BUFFER, 4096) of
        {ok, Handle} -> Handle;
        Error -> Error
    end.

request({write, Row, Col, String, Colours}, Buffer) ->
    Pos = check(vga_cells:position(Row, Col)),
    Cells = check(vga_cells:cells(String, check(vga_cells:attribute(Colours)))),
    write(Buffer, Pos, vga_cells:clip(Pos, Cells));
request(clear, Buffer) ->
    write(Buffer, 0, vga_cells:blank(?CELLS)),
    set_cursor(0);
request({print, String}, Buffer) ->
    {Screen, Pos} = check(vga_cells:teletype(read(Buffer, 0, ?CELLS), cursor(), String)),
    write(Buffer, 0, Screen),
    set_cursor(Pos);
request({scroll, Lines}, Buffer) ->
    write(Buffer, 0, check(vga_cells:scroll(read(Buffer, 0, ?CELLS), Lines)));
request({cursor, Row, Col}, _) ->
    set_cursor(check(vga_cells:position(Row, Col)));
request(cursor, _) ->
    vga_cells:row_col(cursor());
request({show_cursor, Show}, _) when is_boolean(Show) ->
    Start = crtc(?CURSOR_START),
    set_crtc(?CURSOR_START, case Show of true -> Start band bnot ?CURSOR_OFF; false -> Start bor ?CURSOR_OFF end);
request({show_cursor, Show}, _) ->
    {error, {not_boolean, Show}};
request({read, Row}, Buffer) ->
    {ok, vga_cells:chars(read(Buffer, check(vga_cells:position(Row, 0)), 80))};
request(Request, _) ->
    {error, {bad_request, Request}}.

read(Buffer, Pos, Cells) ->
    check(hydros_io:read_block(check(Buffer), Pos * 2, Cells * 2)).

write(_, _, <<>>) ->
    ok;
write(Buffer, Pos, Cells) ->
    check(hydros_io:write_block(check(Buffer), Pos * 2, Cells)).

cursor() ->
    High = crtc(?CURSOR_HIGH),
    vga_cells:cursor(High, crtc(?CURSOR_LOW)).

set_cursor(Pos) ->
    set_crtc(?CURSOR_HIGH, Pos bsr 8),
    set_crtc(?CURSOR_LOW, Pos band 16#FF).

crtc(Reg) ->
    check(hydros_io:out8(?CRTC_INDEX, Reg)),
    check(hydros_io:in8(?CRTC_DATA)).

set_crtc(Reg, Value) ->
    check(hydros_io:out8(?CRTC_INDEX, Reg)),
    check(hydros_io:out8(?CRTC_DATA, Value)).

%% A bad request, or the device gone (given away): the call's answer says so.
check({error, _} = Error) -> throw(Error);
check(Value) -> Value.
