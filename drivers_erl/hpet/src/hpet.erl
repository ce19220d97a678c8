%% The High Precision Event Timer (device `hpet': registers at
%% 0xfed00000-0xfed00fff), driven from Erlang: its main counter, what its
%% capabilities register says, its timers, and one-shots on timer 0. The
%% kernel keeps no HPET timer of its own, but the legacy replacement route
%% (which would take the PIT's and the RTC's lines) is its to set, so the
%% driver never sets it. Each call maps the registers and unmaps them
%% before it answers.
-module(hpet).
-export([counter/0, period_fs/0, hz/0, info/0, timers/0, one_shot/1]).

-type timer() :: #{timer := non_neg_integer(), periodic_capable := boolean(), size64 := boolean(),
                   int_route_cap := [0..31], fsb_capable := boolean()}.
-export_type([timer/0]).

%% The main counter now (64 bits wide when the HPET's is, else 32). It
%% stands still until something enables it, as one_shot/1 does.
-spec counter() -> non_neg_integer() | {error, term()}.
counter() ->
    gen_server:call(hpet_server, counter).

%% The counter's period in femtoseconds (10^-15 s).
-spec period_fs() -> pos_integer() | {error, term()}.
period_fs() ->
    gen_server:call(hpet_server, period_fs).

%% The counter's frequency, 10^15 / period_fs(), rounded.
-spec hz() -> pos_integer() | {error, term()}.
hz() ->
    gen_server:call(hpet_server, hz).

%% The capabilities register decoded (period_fs, hz, vendor, revision,
%% timers: how many, counter_bits: 32 or 64, legacy_capable) and the
%% general configuration (enabled: the counter runs, legacy_route).
-spec info() -> map() | {error, term()}.
info() ->
    gen_server:call(hpet_server, info).

%% Each timer's capabilities; int_route_cap lists the IO APIC inputs it
%% may be routed to.
-spec timers() -> [timer()] | {error, term()}.
timers() ->
    gen_server:call(hpet_server, timers).

%% Arms timer 0 for Us microseconds (1-10,000,000) as a non-periodic,
%% level-triggered comparator and polls its status bit: the microseconds
%% the main counter saw from arming to noticing it, which should be Us plus
%% the time to notice. The interrupt goes to the highest IO APIC input
%% timer 0 allows, which the kernel keeps masked (docs/devices.md), and is
%% disabled again before the answer. `{error, no_interrupt}' when the
%% status bit is not set within 2 * Us + 1 s; `{error, {out_of_range, Us}}'.
-spec one_shot(1..10000000) -> {ok, non_neg_integer()} | {error, term()}.
one_shot(Us) ->
    gen_server:call(hpet_server, {one_shot, Us}, 30000).
