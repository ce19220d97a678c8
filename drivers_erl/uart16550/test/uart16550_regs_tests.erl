%% EUnit for uart16550_regs: divisors, LCR both ways, every settings error,
%% and the status bits.
-module(uart16550_regs_tests).
-include_lib("eunit/include/eunit.hrl").

divisor_test_() ->
    [?_assertEqual({ok, 1}, uart16550_regs:divisor(115200)),
     ?_assertEqual({ok, 12}, uart16550_regs:divisor(9600)),
     ?_assertEqual({ok, 384}, uart16550_regs:divisor(300)),
     ?_assertEqual({ok, 57600}, uart16550_regs:divisor(2)),                 % the slowest exact rate
     ?_assertEqual({error, {bad_baud, 1}}, uart16550_regs:divisor(1)),      % divisor 115200 > 0xFFFF
     ?_assertEqual({error, {bad_baud, 7}}, uart16550_regs:divisor(7)),      % not exact
     ?_assertEqual({error, {bad_baud, 230400}}, uart16550_regs:divisor(230400)),
     ?_assertEqual({error, {bad_baud, 0}}, uart16550_regs:divisor(0)),
     ?_assertEqual({error, {bad_baud, -9600}}, uart16550_regs:divisor(-9600)),
     ?_assertEqual({error, {bad_baud, 9600.0}}, uart16550_regs:divisor(9600.0)),
     ?_assertEqual({error, {bad_baud, fast}}, uart16550_regs:divisor(fast))].

lcr_test_() ->
    [?_assertEqual(16#03, uart16550_regs:lcr(uart16550_regs:defaults())),     % 8N1
     ?_assertEqual(16#1A, uart16550_regs:lcr(#{data_bits => 7, parity => even, stop_bits => 1})),
     ?_assertEqual(16#0C, uart16550_regs:lcr(#{data_bits => 5, parity => odd, stop_bits => 2})),
     ?_assertEqual(16#2B, uart16550_regs:lcr(#{data_bits => 8, parity => mark, stop_bits => 1})),
     ?_assertEqual(16#3F, uart16550_regs:lcr(#{data_bits => 8, parity => space, stop_bits => 2}))].

round_trip_test_() ->
    [?_assertEqual(#{baud => B, data_bits => D, parity => P, stop_bits => S},
                   begin
                       {ok, Div} = uart16550_regs:divisor(B),
                       LCR = uart16550_regs:lcr(#{data_bits => D, parity => P, stop_bits => S}),
                       uart16550_regs:settings_from_lcr(LCR, Div band 16#FF, Div bsr 8)
                   end)
     || B <- [115200, 38400, 9600, 300, 2], D <- [5, 6, 7, 8], P <- [none, odd, even, mark, space], S <- [1, 2]].

decode_test_() ->
    [?_assertEqual(#{baud => 115200, data_bits => 8, parity => none, stop_bits => 1},
                   uart16550_regs:settings_from_lcr(16#83, 1, 0)),             % DLAB ignored
     ?_assertEqual(none, maps:get(parity, uart16550_regs:settings_from_lcr(16#33, 1, 0))), % no enable bit
     ?_assertEqual(undefined, maps:get(baud, uart16550_regs:settings_from_lcr(16#03, 0, 0)))].

validate_test_() ->
    [?_assertEqual(ok, uart16550_regs:validate(uart16550_regs:defaults())),
     ?_assertEqual(ok, uart16550_regs:validate(#{})),
     ?_assertEqual(ok, uart16550_regs:validate(#{baud => 9600, flow => rts_cts, parity => space})),
     ?_assertEqual({error, {bad_baud, 7}}, uart16550_regs:validate(#{baud => 7})),
     ?_assertEqual({error, {bad_data_bits, 4}}, uart16550_regs:validate(#{data_bits => 4})),
     ?_assertEqual({error, {bad_data_bits, 9}}, uart16550_regs:validate(#{data_bits => 9})),
     ?_assertEqual({error, {bad_data_bits, 8.0}}, uart16550_regs:validate(#{data_bits => 8.0})),
     ?_assertEqual({error, {bad_parity, "none"}}, uart16550_regs:validate(#{parity => "none"})),
     ?_assertEqual({error, {bad_parity, 16#08}}, uart16550_regs:validate(#{parity => 16#08})),
     ?_assertEqual({error, {bad_stop_bits, 0}}, uart16550_regs:validate(#{stop_bits => 0})),
     ?_assertEqual({error, {bad_stop_bits, 1.5}}, uart16550_regs:validate(#{stop_bits => 1.5})),
     ?_assertEqual({error, {bad_flow, xon_xoff}}, uart16550_regs:validate(#{flow => xon_xoff})),
     ?_assertEqual({error, {unknown_setting, speed}}, uart16550_regs:validate(#{speed => 9600})),
     ?_assertEqual({error, {bad_settings, [{baud, 9600}]}}, uart16550_regs:validate([{baud, 9600}]))].

status_bits_test_() ->
    [?_assert(uart16550_regs:data_ready(16#61)),
     ?_assertNot(uart16550_regs:data_ready(16#60)),
     ?_assertEqual(1, uart16550_regs:overrun(16#63)),
     ?_assertEqual(0, uart16550_regs:overrun(16#61)),
     ?_assert(uart16550_regs:thr_empty(16#20)),
     ?_assertNot(uart16550_regs:thr_empty(16#01)),
     ?_assert(uart16550_regs:tx_empty(16#60)),
     ?_assertNot(uart16550_regs:tx_empty(16#20)),
     ?_assert(uart16550_regs:irq_pending(16#C4)),     % received data, FIFOs on
     ?_assertNot(uart16550_regs:irq_pending(16#C1)),
     ?_assertEqual(16, uart16550_regs:fifo_depth(16#C1)),
     ?_assertEqual(1, uart16550_regs:fifo_depth(16#01)),
     ?_assert(uart16550_regs:cts(16#10)),
     ?_assertNot(uart16550_regs:cts(16#EF))].
