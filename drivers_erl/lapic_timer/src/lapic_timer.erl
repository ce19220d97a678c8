%% The local APIC timer (device `lapic': registers at 0xfee00000-0xfee00fff,
%% read-only), seen from Erlang. The kernel owns it: it arms it one-shot,
%% divide by 16, for its 10 ms scheduler tick or its next kernel timer,
%% whichever is first. So the driver only reads it, and measures it.
-module(lapic_timer).
-export([read/0, config/0, program/1, measure/0, kernel_hz/0]).

%% The current count register (0x390): counts left before the kernel's
%% next timer interrupt.
-spec read() -> non_neg_integer() | {error, term()}.
read() ->
    gen_server:call(lapic_timer_server, read).

%% The initial count (0x380), the current count, the divide (0x3E0, 1-128)
%% and the LVT timer register (0x320): mode, masked and vector.
-spec config() -> #{initial_count := non_neg_integer(), current_count := non_neg_integer(),
                    divide := pos_integer(), mode := one_shot | periodic | tsc_deadline | reserved,
                    masked := boolean(), vector := byte()} | {error, term()}.
config() ->
    gen_server:call(lapic_timer_server, config).

%% Never: the timer is the kernel's scheduler tick, re-armed at every tick
%% and kernel timer; a count written here would be lost at the next one,
%% or stop the tick. The registers are mapped read-only to every node.
-spec program(term()) -> {error, kernel_timer}.
program(_) ->
    {error, kernel_timer}.

%% The timer's counts per second at its divide, measured against the pit
%% driver's PIT channel 0 (pit:read/0) as the kernel calibrates against
%% channel 2: the median of several windows of 3 ms. A window is left out
%% when the kernel re-armed the timer in it (rearmed), or when the PIT's
%% count disagrees with the node's clock (pit_vs_clock): channel 0 must
%% count down from 65536 as the BIOS left it, not in pit:periodic/1's
%% count nor in the square-wave mode pit:stop/0 sets. `{error, no_pit}'
%% when the pit driver does not run on this node; `{error,
%% {too_few_windows, #{good => N, Reason => Count}}}' when fewer than 3
%% of 30 windows were good.
-spec measure() -> {ok, pos_integer()} | {error, term()}.
measure() ->
    gen_server:call(lapic_timer_server, measure, 30000).

%% The kernel's figure: the line `apic_timer_hz N' of /dev/hydros/kernel.
-spec kernel_hz() -> {ok, pos_integer()} | {error, term()}.
kernel_hz() ->
    case prim_file:read_file("/dev/hydros/kernel") of
        {ok, Text} -> lapic_math:kernel_hz(Text);
        Error -> Error
    end.
