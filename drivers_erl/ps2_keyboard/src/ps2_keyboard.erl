%% The PS/2 keyboard (device `ps2': the i8042 at ports 0x60 and 0x64, line
%% 1), driven from Erlang. Each key's press and release is an event
%% (ps2_scancodes:event()): sent to every subscriber as {ps2_keyboard,
%% Event}, and kept, the last 64, for events/0. A restarted server has
%% no subscribers: a subscriber that must outlive it monitors
%% ps2_keyboard_server and subscribes again.
-module(ps2_keyboard).
-export([subscribe/0, unsubscribe/0, scancode_set/0, events/0]).

-define(SERVER, ps2_keyboard_server).

%% The caller gets {ps2_keyboard, Event} for every key event from now on,
%% once however often it subscribes, until it unsubscribes or exits.
-spec subscribe() -> ok.
subscribe() ->
    gen_server:call(?SERVER, subscribe).

-spec unsubscribe() -> ok.
unsubscribe() ->
    gen_server:call(?SERVER, unsubscribe).

%% The scan code set decoded: 1 when the controller translates, else 2.
%% An error says why the controller could not be set up (the device given
%% away, no answer); each call tries again.
-spec scancode_set() -> 1 | 2 | {error, term()}.
scancode_set() ->
    gen_server:call(?SERVER, scancode_set).

%% The last 64 events, the newest last.
-spec events() -> [ps2_scancodes:event()].
events() ->
    gen_server:call(?SERVER, events).
