%% The CMOS clock's one server: every access to the index and data ports
%% goes through it, so that no two interleave. An update of the clock's
%% registers is in progress for about 2 ms a second (register A bit 7):
%% a read waits it out and is taken twice, until both agree. The alarm's
%% interrupt (line 8) comes here while an alarm is set; reading register
%% C acknowledges it to the clock.
-module(rtc_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(INDEX, 16#70).
-define(DATA, 16#71).
-define(REG_A, 16#0A).
-define(REG_B, 16#0B).
-define(REG_C, 16#0C).
-define(AIE, 16#20). % register B: the alarm interrupt enabled
-define(AF, 16#20).  % register C: the alarm fired
-define(IRQ, 8).
-define(ALARM, [{sec, 16#01}, {min, 16#03}, {hour, 16#05}]).
-define(UIP, 16#80).
-define(SET, 16#80).
-define(TRIES, 100).
-define(FIELDS, [{sec, 16#00}, {min, 16#02}, {hour, 16#04}, {day, 16#07}, {month, 16#08}, {year, 16#09}]).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% The state: the alarm's receiver, or none. An alarm of a server that
%% died is off (init).
init([]) ->
    try alarm_off() catch throw:_ -> ok end,
    {ok, none}.

handle_call(now, _From, St) ->
    {reply, try read_clock(?TRIES) catch throw:Error -> Error end, St};
handle_call({set, DT}, _From, St) ->
    {reply, try set_clock(DT) catch throw:Error -> Error end, St};
handle_call(mode, _From, St) ->
    {reply, try {ok, rtc_regs:mode(reg(?REG_B))} catch throw:Error -> Error end, St};
handle_call({set_mode, Mode}, _From, St) ->
    {reply, try set_mode(Mode) catch throw:Error -> Error end, St};
handle_call({alarm, Time, To}, _From, St) ->
    try
        Regs = ok(rtc_regs:alarm(Time, reg(?REG_B))),
        ok = subscribe(St),
        [write(Index, maps:get(Field, Regs)) || {Field, Index} <- ?ALARM],
        _ = reg(?REG_C), % an old alarm's flag: gone
        write(?REG_B, reg(?REG_B) bor ?AIE),
        {reply, ok, {To, Time}}
    catch throw:Error -> {reply, Error, St}
    end;
handle_call(cancel_alarm, _From, St) ->
    {reply, try alarm_off() catch throw:Error -> Error end, unsubscribe(St)}.

handle_cast(_, St) ->
    {noreply, St}.

handle_info({irq, ?IRQ}, St) ->
    Fired = try reg(?REG_C) band ?AF =/= 0 catch throw:_ -> false end,
    _ = hydros_io:irq_ack(?IRQ),
    case {Fired, St} of
        {true, {To, _}} ->
            To ! {rtc, alarm},
            _ = (catch alarm_off()),
            {noreply, unsubscribe(St)};
        _ ->
            {noreply, St}
    end;
handle_info(_, St) ->
    {noreply, St}.

alarm_off() ->
    write(?REG_B, reg(?REG_B) band bnot ?AIE),
    _ = reg(?REG_C),
    ok.

subscribe(none) -> io(hydros_io:irq_subscribe(?IRQ));
subscribe(_) -> ok.

unsubscribe(none) -> none;
unsubscribe(_) -> _ = hydros_io:irq_unsubscribe(?IRQ), none.

%% The clock read, then written again in the new format.
set_mode(Mode) ->
    B = reg(?REG_B),
    NewB = ok(rtc_regs:mode_bits(Mode, B)),
    DT = read_clock(?TRIES),
    Regs = ok(rtc_regs:encode(DT, NewB)),
    write(?REG_B, NewB bor ?SET),
    [write(Index, maps:get(Field, Regs)) || {Field, Index} <- ?FIELDS],
    write(?REG_B, NewB),
    ok.

ok({ok, Value}) -> Value;
ok(Error) -> throw(Error).

read_clock(0) ->
    throw({error, clock_always_updating});
read_clock(Tries) ->
    wait_update(?TRIES),
    First = regs(),
    case regs() of
        First ->
            case rtc_regs:decode(First, reg(?REG_B)) of
                {ok, DT} -> DT;
                Error -> Error
            end;
        _ ->
            read_clock(Tries - 1)
    end.

set_clock(DT) ->
    B = reg(?REG_B),
    case rtc_regs:encode(DT, B) of
        {ok, Regs} ->
            %% SET stops the updates while the registers are written.
            write(?REG_B, B bor ?SET),
            [write(Index, maps:get(Field, Regs)) || {Field, Index} <- ?FIELDS],
            write(?REG_B, B band bnot ?SET),
            ok;
        Error ->
            Error
    end.

wait_update(0) ->
    throw({error, clock_always_updating});
wait_update(Tries) ->
    case reg(?REG_A) band ?UIP of
        0 -> ok;
        _ -> timer:sleep(1), wait_update(Tries - 1)
    end.

regs() ->
    maps:from_list([{Field, reg(Index)} || {Field, Index} <- ?FIELDS]).

reg(Index) ->
    ok = io(hydros_io:out8(?INDEX, Index)),
    io(hydros_io:in8(?DATA)).

write(Index, Value) ->
    ok = io(hydros_io:out8(?INDEX, Index)),
    ok = io(hydros_io:out8(?DATA, Value)).

%% The device gone (given away): the call's answer says so.
io({error, _} = Error) -> throw(Error);
io(Value) -> Value.
