%% The HPET's one server: every access to its registers goes through it.
%% The registers are mapped for one call and unmapped before it answers,
%% so an idle driver never keeps the device from being given away. Every
%% access is 32 bits wide, which every HPET takes (QEMU 7.2's takes no
%% other); the 64-bit counter is read high, low, high.
-module(hpet_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(BASE, 16#FED00000).
-define(CAPS, 16#000).
-define(CONFIG, 16#010).   % bit 0 ENABLE_CNF; bit 1, LEG_RT_CNF, is the kernel's: never set here
-define(ENABLE, 16#1).
-define(LEGACY, 16#2).
-define(STATUS, 16#020).   % bit N: timer N fired (level-triggered); a 1 written clears it
-define(COUNTER, 16#0F0).
-define(TIMER(N), (16#100 + 16#20 * (N))).
-define(TIMER0_CMP, 16#108).
-define(INT_ENABLE, 16#4). % Tn_INT_ENB_CNF
-define(MAX_US, 10000000).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, nostate}.

handle_call(Request, _From, St) ->
    {reply, hydros_drivers:with_registers(?BASE, 16#1000, fun(Regs) -> request(Request, Regs) end), St}.

handle_cast(_, St) ->
    {noreply, St}.

request(counter, Regs) ->
    counter(Regs, maps:get(counter_bits, caps(Regs)));
request(period_fs, Regs) ->
    maps:get(period_fs, caps(Regs));
request(hz, Regs) ->
    maps:get(hz, caps(Regs));
request(info, Regs) ->
    Config = read(Regs, ?CONFIG),
    (caps(Regs))#{enabled => Config band ?ENABLE =/= 0, legacy_route => Config band ?LEGACY =/= 0};
request(timers, Regs) ->
    [hpet_regs:timer(N, read64(Regs, ?TIMER(N))) || N <- lists:seq(0, maps:get(timers, caps(Regs)) - 1)];
request({one_shot, Us}, Regs) when is_integer(Us), Us >= 1, Us =< ?MAX_US ->
    one_shot(Regs, caps(Regs), hpet_regs:timer(0, read64(Regs, ?TIMER(0))), Us);
request({one_shot, Us}, _) ->
    {error, {out_of_range, Us}};
request(Request, _) ->
    {error, {bad_request, Request}}.

%% Timer 0's comparator is written with its interrupt off and its status
%% cleared after, so an earlier comparator cannot fire in its place; the
%% interrupt is enabled last (QEMU 7.2 sets the status bit only while it
%% is). The counter is left running.
one_shot(Regs, #{period_fs := Period, counter_bits := Bits}, #{int_route_cap := Inputs, size64 := Size64}, Us) ->
    Config = hpet_regs:one_shot_config(check(hpet_regs:route(Inputs))),
    write(Regs, ?CONFIG, read(Regs, ?CONFIG) bor ?ENABLE),
    write(Regs, ?TIMER(0), Config),
    T0 = counter(Regs, Bits),
    Cmp = T0 + hpet_regs:us_to_ticks(Us, Period),
    write_comparator(Regs, Cmp, Size64),
    write(Regs, ?STATUS, 1),
    write(Regs, ?TIMER(0), Config bor ?INT_ENABLE),
    Deadline = erlang:monotonic_time(microsecond) + 2 * Us + 1000000,
    timer:sleep(max(0, Us div 1000 - 2)), % the status bit stays set: only the last 2 ms are polled
    Fired = wait_status(Regs, Deadline),
    T1 = counter(Regs, Bits),
    write(Regs, ?STATUS, 1),
    write(Regs, ?TIMER(0), Config),
    case Fired of
        true -> {ok, hpet_regs:ticks_to_us(hpet_regs:elapsed(T0, T1, Bits), Period)};
        false -> {error, no_interrupt}
    end.

%% A 32-bit timer compares the counter's low half only.
write_comparator(Regs, Cmp, Size64) ->
    write(Regs, ?TIMER0_CMP, Cmp band 16#FFFFFFFF),
    Size64 andalso write(Regs, ?TIMER0_CMP + 4, (Cmp bsr 32) band 16#FFFFFFFF).

wait_status(Regs, Deadline) ->
    case read(Regs, ?STATUS) band 1 of
        1 -> true;
        0 -> erlang:monotonic_time(microsecond) < Deadline andalso wait_status(Regs, Deadline)
    end.

caps(Regs) ->
    check(hpet_regs:capabilities(read64(Regs, ?CAPS))).

counter(Regs, 32) ->
    read(Regs, ?COUNTER);
counter(Regs, 64) ->
    High = read(Regs, ?COUNTER + 4),
    Low = read(Regs, ?COUNTER),
    case read(Regs, ?COUNTER + 4) of
        High -> High bsl 32 bor Low;
        _ -> counter(Regs, 64) % the low half wrapped between the reads
    end.

read64(Regs, Offset) ->
    read(Regs, Offset + 4) bsl 32 bor read(Regs, Offset).

read(Regs, Offset) ->
    check(hydros_io:read(Regs, Offset, 32)).

write(Regs, Offset, Value) ->
    check(hydros_io:write(Regs, Offset, 32, Value)).

%% A bad request, or the device gone (given away): the call's answer says so.
check({error, _} = Error) -> throw(Error);
check(Value) -> Value.
