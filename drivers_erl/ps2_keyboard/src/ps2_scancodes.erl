%% PS/2 keyboard scan codes to key events (pure): a decoder for scan code
%% set 1 (what the i8042 gives when it translates) and set 2 (the
%% keyboard's own), fed one byte at a time, with a US layout. Every byte
%% sequence decodes without a crash: a code it does not know is the key
%% {unknown, Code}.
-module(ps2_scancodes).
-export([new/1, feed/2, set_of_config/1]).
-export_type([state/0, event/0, key/0, modifier/0]).

-type key() :: atom() | {unknown, non_neg_integer()}.
-type modifier() :: shift | ctrl | alt | caps_lock | num_lock.
%% char: what the key types with shift and the locks as they are (ctrl
%% and alt are only in modifiers); none for a key that types nothing.
%% modifiers: those held or locked once this event is taken into account.
-type event() :: #{key := key(), action := press | release, char := char() | none,
                   modifiers := [modifier()], scancode := binary()}.

-record(kb, {set :: 1 | 2,
             pending = <<>> :: binary(),  % the bytes of an event not yet complete
             held = [] :: [key()],        % modifier and lock keys down now
             caps = false :: boolean(),
             num = false :: boolean()}).
-opaque state() :: #kb{}.

-define(PAUSE1, <<16#E1, 16#1D, 16#45, 16#E1, 16#9D, 16#C5>>).
-define(PAUSE2, <<16#E1, 16#14, 16#77, 16#E1, 16#F0, 16#14, 16#F0, 16#77>>).
-define(MODIFIERS, [{shift, [left_shift, right_shift]}, {ctrl, [left_ctrl, right_ctrl]},
                    {alt, [left_alt, right_alt]}]).
-define(LOCKS, [caps_lock, num_lock]).

-spec new(1 | 2) -> state().
new(Set) when Set =:= 1; Set =:= 2 ->
    #kb{set = Set}.

%% The events Byte completes: none while a prefix is pending, one for a
%% key, two when a Pause sequence breaks off (the broken part as unknown,
%% then Byte decoded afresh, so the stream does not desync).
-spec feed(byte(), state()) -> {[event()], state()}.
feed(Byte, #kb{set = Set, pending = Pending} = St) when is_integer(Byte), Byte >= 0, Byte =< 255 ->
    Bytes = <<Pending/binary, Byte>>,
    Fresh = St#kb{pending = <<>>},
    case classify(Set, Bytes) of
        more ->
            {[], St#kb{pending = Bytes}};
        ignore ->
            {[], Fresh};
        {Code, Action} ->
            {Event, St1} = key_event(key_of(Set, Code), Action, Bytes, Fresh),
            {[Event], St1};
        broken ->
            Code = binary:decode_unsigned(Pending),
            {Event, St1} = key_event({{unknown, Code}, none}, press, Pending, Fresh),
            {Events, St2} = feed(Byte, St1),
            {[Event | Events], St2}
    end.

%% The set the decoder must use, from the i8042's configuration byte: bit 6
%% on means the controller translates the keyboard's set 2 to set 1.
-spec set_of_config(byte()) -> 1 | 2.
set_of_config(Config) when Config band 16#40 =/= 0 -> 1;
set_of_config(_) -> 2.

%% A complete code ({Code, press | release}, extended codes as 16#E0xx),
%% more (a prefix), ignore, or broken. The fake shifts that Print Screen
%% wraps itself in (set 1 E0 2A/E0 36, set 2 E0 12/E0 59, made and broken)
%% are ignored, so that key is one press and one release. Pause sends only
%% a make sequence, with a break half inside it: one press.
classify(1, <<16#E1, _/binary>> = Bytes) -> sequence(Bytes, ?PAUSE1);
classify(1, <<16#E0>>) -> more;
classify(1, <<16#E0, C>>) when C band 16#7F =:= 16#2A; C band 16#7F =:= 16#36 -> ignore;
classify(1, <<16#E0, C>>) -> {16#E000 bor (C band 16#7F), break_bit(C)};
classify(1, <<C>>) -> {C band 16#7F, break_bit(C)};
classify(2, <<16#E1, _/binary>> = Bytes) -> sequence(Bytes, ?PAUSE2);
classify(2, Bytes) when Bytes =:= <<16#E0>>; Bytes =:= <<16#F0>>; Bytes =:= <<16#E0, 16#F0>> -> more;
classify(2, <<16#E0, 16#F0, C>>) -> extended2(C, release);
classify(2, <<16#E0, C>>) -> extended2(C, press);
classify(2, <<16#F0, C>>) -> {C, release};
classify(2, <<C>>) -> {C, press}.

break_bit(C) when C band 16#80 =:= 0 -> press;
break_bit(_) -> release.

extended2(C, _) when C =:= 16#12; C =:= 16#59 -> ignore;
extended2(C, Action) -> {16#E000 bor C, Action}.

%% A fixed sequence (Pause): its code is its first three bytes.
sequence(Bytes, Seq) ->
    case binary:longest_common_prefix([Bytes, Seq]) of
        N when N =:= byte_size(Seq) -> {binary:decode_unsigned(binary:part(Seq, 0, 3)), press};
        N when N =:= byte_size(Bytes) -> more;
        _ -> broken
    end.

key_of(Set, Code) ->
    case lists:keyfind(Code, Set + 1, keys()) of
        {Key, _, _, Chars} -> {Key, Chars};
        false -> {{unknown, Code}, none}
    end.

key_event({Key, Chars}, Action, Bytes, St) ->
    St1 = track(Key, Action, St),
    {#{key => Key, action => Action, char => char(Chars, St1), modifiers => modifiers(St1),
       scancode => Bytes}, St1}.

%% A lock toggles when its key goes down, not on the keyboard's repeats.
track(Key, press, #kb{held = Held} = St) ->
    case lists:member(Key, tracked()) andalso not lists:member(Key, Held) of
        true -> toggle(Key, St#kb{held = [Key | Held]});
        false -> St
    end;
track(Key, release, #kb{held = Held} = St) ->
    St#kb{held = lists:delete(Key, Held)}.

tracked() -> ?LOCKS ++ lists:append([Keys || {_, Keys} <- ?MODIFIERS]).

toggle(caps_lock, #kb{caps = Caps} = St) -> St#kb{caps = not Caps};
toggle(num_lock, #kb{num = Num} = St) -> St#kb{num = not Num};
toggle(_, St) -> St.

modifiers(#kb{held = Held, caps = Caps, num = Num}) ->
    [M || {M, Keys} <- ?MODIFIERS, lists:any(fun(K) -> lists:member(K, Held) end, Keys)]
        ++ [caps_lock || Caps] ++ [num_lock || Num].

%% Caps lock shifts letters only, and shift undoes it.
char(none, _) -> none;
char({keypad, C}, #kb{num = true}) -> C;
char({keypad, _}, _) -> none;
char([Plain, Shifted], #kb{held = Held, caps = Caps}) ->
    Shift = lists:member(left_shift, Held) orelse lists:member(right_shift, Held),
    Upper = case Plain >= $a andalso Plain =< $z of
                true -> Shift xor Caps;
                false -> Shift
            end,
    case Upper of
        true -> Shifted;
        false -> Plain
    end.

%% {Key, set 1 make code, set 2 make code, chars}; chars is [Plain,
%% Shifted], {keypad, C} (typed while num lock is on) or none.
keys() ->
    [{escape, 16#01, 16#76, "\e\e"},
     {'1', 16#02, 16#16, "1!"}, {'2', 16#03, 16#1E, "2@"}, {'3', 16#04, 16#26, "3#"},
     {'4', 16#05, 16#25, "4$"}, {'5', 16#06, 16#2E, "5%"}, {'6', 16#07, 16#36, "6^"},
     {'7', 16#08, 16#3D, "7&"}, {'8', 16#09, 16#3E, "8*"}, {'9', 16#0A, 16#46, "9("},
     {'0', 16#0B, 16#45, "0)"}, {minus, 16#0C, 16#4E, "-_"}, {equals, 16#0D, 16#55, "=+"},
     {backspace, 16#0E, 16#66, "\b\b"}, {tab, 16#0F, 16#0D, "\t\t"},
     {q, 16#10, 16#15, "qQ"}, {w, 16#11, 16#1D, "wW"}, {e, 16#12, 16#24, "eE"},
     {r, 16#13, 16#2D, "rR"}, {t, 16#14, 16#2C, "tT"}, {y, 16#15, 16#35, "yY"},
     {u, 16#16, 16#3C, "uU"}, {i, 16#17, 16#43, "iI"}, {o, 16#18, 16#44, "oO"},
     {p, 16#19, 16#4D, "pP"}, {left_bracket, 16#1A, 16#54, "[{"}, {right_bracket, 16#1B, 16#5B, "]}"},
     {enter, 16#1C, 16#5A, "\n\n"}, {left_ctrl, 16#1D, 16#14, none},
     {a, 16#1E, 16#1C, "aA"}, {s, 16#1F, 16#1B, "sS"}, {d, 16#20, 16#23, "dD"},
     {f, 16#21, 16#2B, "fF"}, {g, 16#22, 16#34, "gG"}, {h, 16#23, 16#33, "hH"},
     {j, 16#24, 16#3B, "jJ"}, {k, 16#25, 16#42, "kK"}, {l, 16#26, 16#4B, "lL"},
     {semicolon, 16#27, 16#4C, ";:"}, {apostrophe, 16#28, 16#52, "'\""}, {grave, 16#29, 16#0E, "`~"},
     {left_shift, 16#2A, 16#12, none}, {backslash, 16#2B, 16#5D, "\\|"},
     {z, 16#2C, 16#1A, "zZ"}, {x, 16#2D, 16#22, "xX"}, {c, 16#2E, 16#21, "cC"},
     {v, 16#2F, 16#2A, "vV"}, {b, 16#30, 16#32, "bB"}, {n, 16#31, 16#31, "nN"},
     {m, 16#32, 16#3A, "mM"}, {comma, 16#33, 16#41, ",<"}, {period, 16#34, 16#49, ".>"},
     {slash, 16#35, 16#4A, "/?"}, {right_shift, 16#36, 16#59, none},
     {kp_multiply, 16#37, 16#7C, "**"}, {left_alt, 16#38, 16#11, none},
     {space, 16#39, 16#29, "  "}, {caps_lock, 16#3A, 16#58, none},
     {f1, 16#3B, 16#05, none}, {f2, 16#3C, 16#06, none}, {f3, 16#3D, 16#04, none},
     {f4, 16#3E, 16#0C, none}, {f5, 16#3F, 16#03, none}, {f6, 16#40, 16#0B, none},
     {f7, 16#41, 16#83, none}, {f8, 16#42, 16#0A, none}, {f9, 16#43, 16#01, none},
     {f10, 16#44, 16#09, none}, {num_lock, 16#45, 16#77, none}, {scroll_lock, 16#46, 16#7E, none},
     {kp_7, 16#47, 16#6C, {keypad, $7}}, {kp_8, 16#48, 16#75, {keypad, $8}},
     {kp_9, 16#49, 16#7D, {keypad, $9}}, {kp_minus, 16#4A, 16#7B, "--"},
     {kp_4, 16#4B, 16#6B, {keypad, $4}}, {kp_5, 16#4C, 16#73, {keypad, $5}},
     {kp_6, 16#4D, 16#74, {keypad, $6}}, {kp_plus, 16#4E, 16#79, "++"},
     {kp_1, 16#4F, 16#69, {keypad, $1}}, {kp_2, 16#50, 16#72, {keypad, $2}},
     {kp_3, 16#51, 16#7A, {keypad, $3}}, {kp_0, 16#52, 16#70, {keypad, $0}},
     {kp_decimal, 16#53, 16#71, {keypad, $.}}, {sysrq, 16#54, 16#84, none},
     {f11, 16#57, 16#78, none}, {f12, 16#58, 16#07, none},
     {kp_enter, 16#E01C, 16#E05A, "\n\n"}, {right_ctrl, 16#E01D, 16#E014, none},
     {kp_divide, 16#E035, 16#E04A, "//"}, {print_screen, 16#E037, 16#E07C, none},
     {right_alt, 16#E038, 16#E011, none}, {home, 16#E047, 16#E06C, none},
     {up, 16#E048, 16#E075, none}, {page_up, 16#E049, 16#E07D, none},
     {left, 16#E04B, 16#E06B, none}, {right, 16#E04D, 16#E074, none},
     {'end', 16#E04F, 16#E069, none}, {down, 16#E050, 16#E072, none},
     {page_down, 16#E051, 16#E07A, none}, {insert, 16#E052, 16#E070, none},
     {delete, 16#E053, 16#E071, none}, {left_gui, 16#E05B, 16#E01F, none},
     {right_gui, 16#E05C, 16#E027, none}, {menu, 16#E05D, 16#E02F, none},
     {pause, 16#E11D45, 16#E11477, none},
     {pause, 16#E046, 16#E07E, none}].  % ctrl-pause (Break), which has a break code
