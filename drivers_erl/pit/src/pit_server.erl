%% The PIT's one server: every access to its ports goes through it, so
%% that a latch and its two reads, or a mode and its count, never
%% interleave with another. It also takes channel 0's interrupt (line 0)
%% while a periodic source runs, and sends each to its receiver.
-module(pit_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(CH0, 16#40).
-define(CH2, 16#42).
-define(CMD, 16#43).
-define(GATE, 16#61). % bit 0: channel 2's gate; bit 1: speaker; bit 5: channel 2's output
-define(IRQ, 0).
-define(RATE_GENERATOR, 2). % also what SeaBIOS leaves channel 0 in, counting from 65536

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% The state: the receiver of periodic ticks and its monitor, or none.
init([]) ->
    {ok, none}.

handle_call(read, _From, St) ->
    {reply, try read0() catch throw:Error -> Error end, St};
handle_call({one_shot, Ticks}, _From, St) when is_integer(Ticks), Ticks >= 1, Ticks =< 16#FFFF ->
    {reply, try one_shot(Ticks) catch throw:Error -> Error end, St};
handle_call({one_shot, Ticks}, _From, St) ->
    {reply, {error, {out_of_range, Ticks}}, St};
handle_call({periodic, Hz, To}, _From, St) when is_integer(Hz), Hz >= 19, Hz =< 2000 ->
    try
        ok = subscribe(St),
        channel0(?RATE_GENERATOR, round(pit_math:hz() / Hz)),
        {reply, ok, receiver(St, {To, erlang:monitor(process, To)})}
    catch throw:Error -> {reply, Error, St}
    end;
handle_call({periodic, Hz, _}, _From, St) ->
    {reply, {error, {out_of_range, Hz}}, St};
handle_call(stop, _From, St) ->
    {reply, try bios_tick() catch throw:Error -> Error end, receiver(St, none)}.

handle_cast(_, St) ->
    {noreply, St}.

handle_info({irq, ?IRQ}, St) ->
    case St of
        {To, _} -> To ! {pit, tick};
        none -> ok
    end,
    _ = hydros_io:irq_ack(?IRQ),
    {noreply, St};
handle_info({'DOWN', Ref, process, _, _}, {_, Ref} = St) ->
    _ = (catch bios_tick()),
    {noreply, receiver(St, none)};
handle_info(_, St) ->
    {noreply, St}.

%% The line, unless this server has it already.
subscribe({_, _}) -> ok;
subscribe(none) -> io(hydros_io:irq_subscribe(?IRQ)).

receiver({_, Ref}, New) ->
    erlang:demonitor(Ref, [flush]),
    receiver(none, New);
receiver(none, none) ->
    _ = hydros_io:irq_unsubscribe(?IRQ),
    none;
receiver(none, New) ->
    New.

bios_tick() ->
    channel0(?RATE_GENERATOR, 16#10000).

channel0(Mode, Count) ->
    io(hydros_io:out8(?CMD, pit_math:mode(0, Mode, lohi))),
    {Lo, Hi} = pit_math:bytes(Count),
    io(hydros_io:out8(?CH0, Lo)),
    io(hydros_io:out8(?CH0, Hi)),
    ok.

read0() ->
    io(hydros_io:out8(?CMD, pit_math:latch(0))),
    Lo = io(hydros_io:in8(?CH0)),
    Hi = io(hydros_io:in8(?CH0)),
    pit_math:count(Lo, Hi).

%% Mode 0 on channel 2: its output goes low at the count and rises when it
%% reaches zero. The speaker stays off.
one_shot(Ticks) ->
    Gate = io(hydros_io:in8(?GATE)),
    io(hydros_io:out8(?GATE, (Gate band 16#FC) bor 1)),
    io(hydros_io:out8(?CMD, pit_math:mode(2, 0, lohi))),
    {Lo, Hi} = pit_math:bytes(Ticks),
    io(hydros_io:out8(?CH2, Lo)),
    T0 = erlang:monotonic_time(microsecond),
    io(hydros_io:out8(?CH2, Hi)),
    Result = wait_out(T0 + 1000000),
    io(hydros_io:out8(?GATE, Gate)),
    Result.

wait_out(Deadline) ->
    case io(hydros_io:in8(?GATE)) band 16#20 of
        0 ->
            case erlang:monotonic_time(microsecond) < Deadline of
                true -> wait_out(Deadline);
                false -> {error, no_output}
            end;
        _ ->
            {ok, erlang:monotonic_time(microsecond) - (Deadline - 1000000)}
    end.

%% The device gone (given away): the call's answer says so.
io({error, _} = Error) -> throw(Error);
io(Value) -> Value.
