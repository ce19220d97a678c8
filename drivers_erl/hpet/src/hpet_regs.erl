%% The HPET's registers as data (pure): the capabilities and a timer's
%% configuration decoded, timer 0's one-shot configuration, and counter
%% ticks to microseconds.
-module(hpet_regs).
-export([capabilities/1, timer/2, route/1, one_shot_config/1, us_to_ticks/2, ticks_to_us/2, elapsed/3]).

-define(FS_PER_US, 1000000000).
-define(MAX_PERIOD_FS, 100000000). % the specification's bound: 100 ns
-define(LEVEL, 16#2).              % Tn_INT_TYPE_CNF
-define(ROUTE_SHIFT, 9).           % Tn_INT_ROUTE_CNF, bits 13:9

%% The general capabilities register (offset 0x000, 64 bits). A period of
%% 0 or past 100 ns is no HPET (or no register there): an error.
capabilities(Caps) ->
    case Caps bsr 32 of
        Period when Period >= 1, Period =< ?MAX_PERIOD_FS ->
            #{period_fs => Period, hz => (1000000000000000 + Period div 2) div Period, % rounded
              vendor => (Caps bsr 16) band 16#FFFF, revision => Caps band 16#FF,
              timers => (Caps bsr 8) band 16#1F + 1,
              counter_bits => case bit(Caps, 13) of true -> 64; false -> 32 end,
              legacy_capable => bit(Caps, 15)};
        _ ->
            {error, {bad_capabilities, Caps}}
    end.

%% Timer N's configuration and capabilities register (0x100 + 0x20 * N, 64
%% bits): int_route_cap lists the IO APIC inputs it may be routed to.
timer(N, Config) ->
    #{timer => N, periodic_capable => bit(Config, 4), size64 => bit(Config, 5),
      int_route_cap => [I || I <- lists:seq(0, 31), bit(Config, 32 + I)], fsb_capable => bit(Config, 15)}.

%% The input a one-shot is routed to: the highest allowed, so a machine with
%% inputs past the ISA lines (16-23) uses one no device of the table has,
%% which the kernel keeps masked.
route([]) -> {error, no_route};
route(Inputs) -> lists:max(Inputs).

%% Timer 0 as a one-shot: non-periodic, level-triggered (its status bit then
%% stays set until cleared, which is what one_shot polls), routed to Route,
%% its interrupt not yet enabled (Tn_INT_ENB_CNF, 16#4, is or'ed in to arm).
one_shot_config(Route) ->
    ?LEVEL bor (Route bsl ?ROUTE_SHIFT).

%% The ticks of at least Us microseconds.
us_to_ticks(Us, Period) ->
    (Us * ?FS_PER_US + Period - 1) div Period.

ticks_to_us(Ticks, Period) ->
    Ticks * Period div ?FS_PER_US.

%% The ticks from counter value T0 to T1 on a Bits-bit counter (which may
%% have wrapped once).
elapsed(T0, T1, Bits) ->
    (T1 - T0) band (1 bsl Bits - 1).

bit(Value, N) ->
    Value band (1 bsl N) =/= 0.
