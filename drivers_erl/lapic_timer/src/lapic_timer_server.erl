%% The local APIC timer's one server: every read of its registers goes
%% through it. They are mapped (read-only: the kernel owns the timer) for
%% one call and unmapped before it answers. Each core sees its own local
%% APIC at that address, so this is the timer of the node's own core.
-module(lapic_timer_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(BASE, 16#FEE00000).
-define(LVT_TIMER, 16#320).
-define(INITIAL, 16#380).
-define(CURRENT, 16#390).
-define(DIVIDE, 16#3E0).
-define(WINDOW_US, 3000). % well within the kernel's 10 ms arm
-define(SAMPLES, 3).      % at each end of a window; the narrowest is used
-define(WINDOWS, 7).      % good windows for the median
-define(MIN_WINDOWS, 3).
-define(TRIES, 30).       % windows tried at most

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, nostate}.

handle_call(Request, _From, St) ->
    {reply, hydros_drivers:with_registers(?BASE, 16#1000, fun(Regs) -> request(Request, Regs) end), St}.

handle_cast(_, St) ->
    {noreply, St}.

request(read, Regs) ->
    read(Regs, ?CURRENT);
request(config, Regs) ->
    (lapic_math:lvt(read(Regs, ?LVT_TIMER)))#{initial_count => read(Regs, ?INITIAL),
                                              current_count => read(Regs, ?CURRENT),
                                              divide => lapic_math:divide(read(Regs, ?DIVIDE))};
request(measure, Regs) ->
    case whereis(pit_server) of
        undefined -> {error, no_pit};
        _ -> measure(Regs, ?TRIES, [], #{})
    end;
request(Request, _) ->
    {error, {bad_request, Request}}.

%% The node spins between a window's ends rather than sleeping: the kernel
%% would re-arm the timer for a sleeping node's wake-up. Rejected counts
%% each reason a window was left out, for the error.
measure(Regs, Tries, Hzs, Rejected) when Tries > 0, length(Hzs) < ?WINDOWS ->
    Starts = samples(Regs),
    spin(erlang:monotonic_time(microsecond) + ?WINDOW_US),
    case lapic_math:window(Starts, samples(Regs)) of
        {ok, Hz} -> measure(Regs, Tries - 1, [Hz | Hzs], Rejected);
        {error, Why} -> measure(Regs, Tries - 1, Hzs, maps:update_with(Why, fun(N) -> N + 1 end, 1, Rejected))
    end;
measure(_, _, Hzs, _) when length(Hzs) >= ?MIN_WINDOWS ->
    {ok, lapic_math:median(Hzs)};
measure(_, _, Hzs, Rejected) ->
    {error, {too_few_windows, Rejected#{good => length(Hzs)}}}.

samples(Regs) ->
    [begin
         T1 = erlang:monotonic_time(microsecond),
         C1 = read(Regs, ?CURRENT),
         P = pit_count(),
         C2 = read(Regs, ?CURRENT),
         {C1, P, C2, (T1 + erlang:monotonic_time(microsecond)) div 2}
     end || _ <- lists:seq(1, ?SAMPLES)].

%% The pit driver's server may have gone since measure/0 looked.
pit_count() ->
    try pit:read() of
        {error, Reason} -> throw({error, {pit, Reason}});
        Count -> Count
    catch
        exit:_ -> throw({error, no_pit})
    end.

spin(Until) ->
    erlang:monotonic_time(microsecond) < Until andalso spin(Until).

read(Regs, Offset) ->
    check(hydros_io:read(Regs, Offset, 32)).

%% The device gone (given away): the call's answer says so.
check({error, _} = Error) -> throw(Error);
check(Value) -> Value.
