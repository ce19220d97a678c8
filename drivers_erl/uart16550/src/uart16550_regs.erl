%% The 16550's line settings and status bits (pure): a baud rate as the
%% divisor of its 115200 Hz bit clock (1.8432 MHz / 16), the line control
%% register (LCR) both ways, a settings map checked, and the bits of LSR,
%% IIR and MSR the driver reads.
-module(uart16550_regs).
-export([defaults/0, validate/1, divisor/1, lcr/1, settings_from_lcr/3]).
-export([data_ready/1, overrun/1, thr_empty/1, tx_empty/1, irq_pending/1, fifo_depth/1, cts/1]).
-export_type([settings/0]).

-type parity() :: none | odd | even | mark | space.
-type settings() :: #{baud => pos_integer(), data_bits => 5..8, parity => parity(),
                      stop_bits => 1 | 2, flow => none | rts_cts}.

-define(CLOCK, 115200).
%% LCR bits 3-5: parity enable, even, stick.
-define(PARITY, [{none, 16#00}, {odd, 16#08}, {even, 16#18}, {mark, 16#28}, {space, 16#38}]).

%% What the driver programs at start: 115200 8N1, no flow control.
-spec defaults() -> settings().
defaults() ->
    #{baud => ?CLOCK, data_bits => 8, parity => none, stop_bits => 1, flow => none}.

%% ok when every key is known and its value one the chip can take; else the
%% first wrong key's error.
-spec validate(term()) -> ok | {error, term()}.
validate(Settings) when is_map(Settings) ->
    case [E || {K, V} <- maps:to_list(Settings), (E = check(K, V)) =/= ok] of
        [] -> ok;
        [Error | _] -> Error
    end;
validate(Other) ->
    {error, {bad_settings, Other}}.

check(baud, B) -> case divisor(B) of {ok, _} -> ok; Error -> Error end;
check(data_bits, D) when is_integer(D), D >= 5, D =< 8 -> ok;
check(data_bits, D) -> {error, {bad_data_bits, D}};
check(parity, P) -> case lists:keymember(P, 1, ?PARITY) of true -> ok; false -> {error, {bad_parity, P}} end;
check(stop_bits, S) when S =:= 1; S =:= 2 -> ok;
check(stop_bits, S) -> {error, {bad_stop_bits, S}};
check(flow, F) when F =:= none; F =:= rts_cts -> ok;
check(flow, F) -> {error, {bad_flow, F}};
check(Key, _) -> {error, {unknown_setting, Key}}.

%% The divisor latch for Baud: only rates the clock divides exactly, 2 to 115200.
-spec divisor(term()) -> {ok, 1..16#FFFF} | {error, {bad_baud, term()}}.
divisor(B) when is_integer(B), B > 0, ?CLOCK rem B =:= 0, ?CLOCK div B =< 16#FFFF -> {ok, ?CLOCK div B};
divisor(B) -> {error, {bad_baud, B}}.

%% The LCR byte (DLAB and break off) for a valid map's data_bits, parity
%% and stop_bits. Two stop bits with 5 data bits are 1.5 on the wire.
-spec lcr(#{data_bits := 5..8, parity := parity(), stop_bits := 1 | 2, _ => _}) -> byte().
lcr(#{data_bits := D, parity := P, stop_bits := S}) ->
    {P, Bits} = lists:keyfind(P, 1, ?PARITY),
    (D - 5) bor ((S - 1) bsl 2) bor Bits.

%% The settings LCR and the divisor latch (DLL, DLM) hold; baud is
%% undefined for a divisor of 0 (a chip never programmed).
-spec settings_from_lcr(byte(), byte(), byte()) ->
          #{baud := pos_integer() | undefined, data_bits := 5..8, parity := parity(), stop_bits := 1 | 2}.
settings_from_lcr(LCR, DLL, DLM) ->
    #{baud => baud(DLM bsl 8 bor DLL), data_bits => (LCR band 3) + 5, parity => parity(LCR),
      stop_bits => ((LCR bsr 2) band 1) + 1}.

baud(0) -> undefined;
baud(Divisor) -> ?CLOCK div Divisor.

parity(LCR) when LCR band 16#08 =:= 0 -> none;
parity(LCR) -> element(1, lists:keyfind(LCR band 16#38, 2, ?PARITY)).

%% LSR bit 0: a received byte waits in RBR.
-spec data_ready(byte()) -> boolean().
data_ready(LSR) -> LSR band 16#01 =/= 0.

%% LSR bit 1 as a count (0 or 1): bytes were lost since LSR was last read.
-spec overrun(byte()) -> 0 | 1.
overrun(LSR) -> (LSR bsr 1) band 1.

%% LSR bit 5: the transmit holding register (with FIFOs on, the whole FIFO) is empty.
-spec thr_empty(byte()) -> boolean().
thr_empty(LSR) -> LSR band 16#20 =/= 0.

%% LSR bit 6: the FIFO and the shift register are empty, the last bit sent.
-spec tx_empty(byte()) -> boolean().
tx_empty(LSR) -> LSR band 16#40 =/= 0.

%% IIR bit 0 is 0 while an interrupt is pending.
-spec irq_pending(byte()) -> boolean().
irq_pending(IIR) -> IIR band 16#01 =:= 0.

%% IIR bits 6-7 are both set once the FIFOs are on (a 16550A); an 8250 or
%% 16450 takes one byte at a time.
-spec fifo_depth(byte()) -> 1 | 16.
fifo_depth(IIR) when IIR band 16#C0 =:= 16#C0 -> 16;
fifo_depth(_) -> 1.

%% MSR bit 4: the other end is clear to send.
-spec cts(byte()) -> boolean().
cts(MSR) -> MSR band 16#10 =/= 0.
