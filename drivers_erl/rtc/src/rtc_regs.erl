%% The CMOS clock's registers and calendar:datetime(), both ways (pure):
%% BCD or binary (register B bit 2), 12 or 24 hours (bit 1; in 12-hour mode
%% bit 7 of the hour says PM), years 2000-2099.
-module(rtc_regs).
-export([decode/2, encode/2, alarm/2, mode/1, mode_bits/2]).
-export_type([regs/0]).

-type regs() :: #{sec := byte(), min := byte(), hour := byte(), day := byte(), month := byte(), year := byte()}.

-define(BINARY, 16#04).
-define(H24, 16#02).
-define(PM, 16#80).

%% The date and time the registers hold; {error, {bad_clock, Regs}} when
%% they hold none (a clock never set, or a register read torn).
-spec decode(regs(), byte()) -> {ok, calendar:datetime()} | {error, {bad_clock, regs()}}.
decode(R = #{sec := S, min := Mi, hour := H, day := D, month := Mo, year := Y}, B) ->
    DT = {{2000 + num(Y, B), num(Mo, B), num(D, B)}, {hour(H, B), num(Mi, B), num(S, B)}},
    case valid(DT) of
        true -> {ok, DT};
        false -> {error, {bad_clock, R}}
    end.

%% The registers for DateTime in register B's format.
-spec encode(calendar:datetime(), byte()) -> {ok, regs()} | {error, {out_of_range, term()}}.
encode(DT = {{Y, Mo, D}, {H, Mi, S}}, B) when is_integer(Y), is_integer(Mo), is_integer(D), is_integer(H),
                                              is_integer(Mi), is_integer(S) ->
    case valid(DT) of
        true ->
            {ok, #{sec => reg(S, B), min => reg(Mi, B), hour => hour_reg(H, B), day => reg(D, B),
                   month => reg(Mo, B), year => reg(Y - 2000, B)}};
        false ->
            {error, {out_of_range, DT}}
    end;
encode(Other, _) ->
    {error, {out_of_range, Other}}.

%% The alarm registers (second, minute, hour) for Time in register B's format.
-spec alarm(calendar:time(), byte()) -> {ok, #{sec := byte(), min := byte(), hour := byte()}} |
                                        {error, {out_of_range, term()}}.
alarm({H, Mi, S}, B) when is_integer(H), H >= 0, H =< 23, is_integer(Mi), Mi >= 0, Mi =< 59,
                          is_integer(S), S >= 0, S =< 59 ->
    {ok, #{sec => reg(S, B), min => reg(Mi, B), hour => hour_reg(H, B)}};
alarm(Other, _) ->
    {error, {out_of_range, Other}}.

%% Register B's format.
-spec mode(byte()) -> #{binary := boolean(), h24 := boolean()}.
mode(B) ->
    #{binary => B band ?BINARY =/= 0, h24 => B band ?H24 =/= 0}.

%% Register B with the format Mode (a map of binary and h24, booleans).
-spec mode_bits(map(), byte()) -> {ok, byte()} | {error, {bad_mode, term()}}.
mode_bits(#{binary := Bin, h24 := H24} = Mode, B) when is_boolean(Bin), is_boolean(H24), map_size(Mode) =:= 2 ->
    {ok, B band bnot (?BINARY bor ?H24) bor bit(Bin, ?BINARY) bor bit(H24, ?H24)};
mode_bits(Mode, _) ->
    {error, {bad_mode, Mode}}.

bit(true, Bit) -> Bit;
bit(false, _) -> 0.

valid({{Y, Mo, D}, {H, Mi, S}}) ->
    Y >= 2000 andalso Y =< 2099 andalso calendar:valid_date(Y, Mo, D) andalso
        H >= 0 andalso H =< 23 andalso Mi >= 0 andalso Mi =< 59 andalso S >= 0 andalso S =< 59.

num(V, B) when B band ?BINARY =/= 0 -> V;
num(V, _) -> (V bsr 4) * 10 + (V band 16#0F).

reg(N, B) when B band ?BINARY =/= 0 -> N;
reg(N, _) -> (N div 10) bsl 4 bor (N rem 10).

%% 12-hour mode: 12 AM is midnight, 12 PM is noon.
hour(H, B) when B band ?H24 =/= 0 -> num(H, B);
hour(H, B) ->
    case {H band ?PM =/= 0, num(H band bnot ?PM, B)} of
        {false, 12} -> 0;
        {false, N} -> N;
        {true, 12} -> 12;
        {true, N} -> N + 12
    end.

hour_reg(H, B) when B band ?H24 =/= 0 -> reg(H, B);
hour_reg(0, B) -> reg(12, B);
hour_reg(H, B) when H < 12 -> reg(H, B);
hour_reg(12, B) -> reg(12, B) bor ?PM;
hour_reg(H, B) -> reg(H - 12, B) bor ?PM.
