%% The CMOS clock's one server: every access to the index and data ports
%% goes through it, so that no two interleave. An update of the clock's
%% registers is in progress for about 2 ms a second (register A bit 7):
%% a read waits it out and is taken twice, until both agree.
-module(rtc_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(INDEX, 16#70).
-define(DATA, 16#71).
-define(REG_A, 16#0A).
-define(REG_B, 16#0B).
-define(UIP, 16#80).
-define(SET, 16#80).
-define(TRIES, 100).
-define(FIELDS, [{sec, 16#00}, {min, 16#02}, {hour, 16#04}, {day, 16#07}, {month, 16#08}, {year, 16#09}]).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, nostate}.

handle_call(now, _From, St) ->
    {reply, try read_clock(?TRIES) catch throw:Error -> Error end, St};
handle_call({set, DT}, _From, St) ->
    {reply, try set_clock(DT) catch throw:Error -> Error end, St}.

handle_cast(_, St) ->
    {noreply, St}.

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
