%% COM2's one server: every access to the UART goes through it, so that a
%% DLAB switch and the divisor behind it, or a status read and the bytes it
%% announces, never interleave. Receive is interrupt driven (line 3); bytes
%% are also taken whenever the server polls LSR (during a write, read/1),
%% so a long write does not leave the receive FIFO to overrun. A restarted
%% server takes what waits in the chip before anything else and resets no
%% FIFO; what a killed server held in its buffer goes with it. A machine
%% without COM2 (or a node that gave the device away) leaves the server
%% down, not failed: each call tries again, and answers {error, no_uart}
%% (or the device's error) meanwhile.
-module(uart16550_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(BASE, 16#2F8).
-define(RBR, ?BASE).       % read; THR when written; DLL with DLAB
-define(THR, ?BASE).
-define(DLL, ?BASE).
-define(IER, ?BASE + 1).   % DLM with DLAB
-define(DLM, ?BASE + 1).
-define(IIR, ?BASE + 2).   % read; FCR when written
-define(FCR, ?BASE + 2).
-define(LCR, ?BASE + 3).
-define(MCR, ?BASE + 4).
-define(LSR, ?BASE + 5).
-define(MSR, ?BASE + 6).
-define(SCR, ?BASE + 7).
-define(IRQ, 3).
-define(DLAB, 16#80).
-define(FCR_ON, 16#C1).    % FIFOs on, receive trigger at 14; not 0xC7, whose resets would drop waiting bytes
-define(IER_RX, 16#05).    % received data (and FIFO timeout), line status
-define(MCR_ON, 16#0B).    % DTR, RTS, OUT2 (which gates the UART's interrupt onto the ISA line)
-define(BUF_MAX, 4096).
-define(SPIN_US, 2000).    % about a 16-byte burst at 115200: poll without sleeping
-define(WAIT_US, 2000000). % without progress, a wait gives up
-define(ROUNDS, 16).       % IIR reads an interrupt may take, should bytes keep coming

-record(st, {subs = #{} :: #{pid() => reference()}, buf = <<>> :: binary(), flow = none :: none | rts_cts,
             burst = 1 :: 1 | 16, rx = 0, tx = 0, dropped = 0, overruns = 0}).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, start()}.

%% The server's state once set up, or {down, Reason}.
start() ->
    try service(setup()) catch throw:{error, Reason} -> {down, Reason} end.

handle_call(Request, From, {down, _}) ->
    case start() of
        {down, Reason} = Down -> {reply, {error, Reason}, Down};
        St -> handle_call(Request, From, St)
    end;
handle_call(Request, From, St) ->
    try request(Request, From, St) of
        {Reply, St1} -> {reply, Reply, St1}
    catch
        throw:Error -> {reply, Error, St}
    end.

handle_cast(_, St) ->
    {noreply, St}.

handle_info({irq, ?IRQ}, St) ->
    try
        St1 = service(St),
        io(hydros_io:irq_ack(?IRQ)),
        {noreply, St1}
    catch
        throw:Error -> {stop, Error, St}
    end;
handle_info({'DOWN', _, process, Pid, _}, St = #st{subs = Subs}) ->
    {noreply, St#st{subs = maps:remove(Pid, Subs)}};
handle_info(_, St) ->
    {noreply, St}.

request({write, Bin}, _, St) when is_binary(Bin) ->
    send(Bin, 0, St);
request(read, _, St) ->
    {_, St1} = drain(St),
    {{ok, St1#st.buf}, St1#st{buf = <<>>}};
request(subscribe, {Pid, _}, St = #st{subs = Subs}) ->
    case Subs of
        #{Pid := _} -> {ok, St};
        _ -> {ok, St#st{subs = Subs#{Pid => monitor(process, Pid)}}}
    end;
request(unsubscribe, {Pid, _}, St = #st{subs = Subs}) ->
    case maps:take(Pid, Subs) of
        {Ref, Rest} -> demonitor(Ref, [flush]), {ok, St#st{subs = Rest}};
        error -> {ok, St}
    end;
request({configure, New}, _, St) ->
    configure(New, St);
request(settings, _, St) ->
    {{ok, settings(St)}, St};
request(stats, _, St = #st{rx = Rx, tx = Tx, dropped = D, overruns = O}) ->
    {#{rx_bytes => Rx, tx_bytes => Tx, dropped => D, overruns => O}, St};
request(Other, _, St) ->
    {{error, {bad_request, Other}}, St}.

%% Finds the chip, programs the defaults with the FIFOs on, and takes line 3.
%% Bytes already waiting are taken before the FIFOs are switched on (which
%% may reset them).
setup() ->
    out(?SCR, 16#5A),
    in(?SCR) =:= 16#5A orelse throw({error, no_uart}), % nothing there reads 0xFF
    out(?LCR, in(?LCR) band bnot ?DLAB),                 % a server killed mid-divisor left RBR hidden
    {_, St} = drain(#st{}),
    program(uart16550_regs:defaults()),                  % and #st{}'s flow is the defaults' none
    out(?FCR, ?FCR_ON),
    out(?MCR, ?MCR_ON),
    out(?IER, ?IER_RX),
    io(hydros_io:irq_subscribe(?IRQ)),
    St#st{burst = uart16550_regs:fifo_depth(in(?IIR))}.

program(Settings = #{baud := Baud}) ->
    {ok, Divisor} = uart16550_regs:divisor(Baud),
    LCR = uart16550_regs:lcr(Settings),
    out(?LCR, LCR bor ?DLAB),
    out(?DLL, Divisor band 16#FF),
    out(?DLM, Divisor bsr 8),
    out(?LCR, LCR).

%% The line as the chip has it: LCR, and the divisor latch behind DLAB.
settings(#st{flow = Flow}) ->
    LCR = in(?LCR) band bnot ?DLAB,
    out(?LCR, LCR bor ?DLAB),
    DLL = in(?DLL),
    DLM = in(?DLM),
    out(?LCR, LCR),
    (uart16550_regs:settings_from_lcr(LCR, DLL, DLM))#{flow => Flow}.

%% New rates take effect once the last byte written has left, so none is
%% sent half at the old rate.
configure(New, St) ->
    case uart16550_regs:validate(New) of
        ok ->
            case wait(fun uart16550_regs:tx_empty/1, St) of
                {ok, St1} ->
                    Settings = maps:merge(settings(St1), New),
                    program(Settings),
                    {ok, St1#st{flow = maps:get(flow, Settings)}};
                {timeout, St1} ->
                    {{error, tx_busy}, St1}
            end;
        Error ->
            {Error, St}
    end.

%% Writes in bursts of the FIFO's depth, each once the FIFO is empty (and,
%% with rts_cts, the other end clear to send). On a timeout the reply says
%% how many bytes went to the chip.
send(<<>>, _, St) ->
    {ok, St};
send(Bin, Sent, St = #st{burst = Burst}) ->
    case wait(fun(LSR) -> uart16550_regs:thr_empty(LSR) andalso clear_to_send(St) end, St) of
        {ok, St1} ->
            N = min(Burst, byte_size(Bin)),
            <<Chunk:N/binary, Rest/binary>> = Bin,
            [out(?THR, Byte) || <<Byte>> <= Chunk],
            send(Rest, Sent + N, St1#st{tx = St1#st.tx + N});
        {timeout, St1} ->
            {{error, {timeout, Sent}}, St1}
    end.

clear_to_send(#st{flow = rts_cts}) -> uart16550_regs:cts(in(?MSR));
clear_to_send(#st{flow = none}) -> true.

%% Polls LSR until Ready(LSR), taking received bytes meanwhile: spins
%% through a burst's time, then looks once a millisecond, up to ?WAIT_US.
wait(Ready, St) ->
    wait(Ready, St, erlang:monotonic_time(microsecond)).

wait(Ready, St, T0) ->
    {LSR, St1} = drain(St),
    Waited = erlang:monotonic_time(microsecond) - T0,
    case Ready(LSR) of
        true -> {ok, St1};
        false when Waited > ?WAIT_US -> {timeout, St1};
        false when Waited > ?SPIN_US -> timer:sleep(1), wait(Ready, St1, T0);
        false -> wait(Ready, St1, T0)
    end.

%% Drains the chip and reads IIR until no interrupt is pending: the ISA
%% line is edge-triggered, so it must fall before the ack for the next
%% byte to raise it again.
service(St) ->
    service(St, ?ROUNDS).

service(St, Rounds) ->
    {_, St1} = drain(St),
    case uart16550_regs:irq_pending(in(?IIR)) andalso Rounds > 0 of
        true -> service(St1, Rounds - 1);
        false -> St1
    end.

%% Takes bytes while LSR says one is ready (at most ?BUF_MAX a pass),
%% counting overruns on every LSR read (the read clears the bit), and
%% delivers them: the last LSR, and the new state.
drain(St) ->
    drain(St, <<>>).

drain(St = #st{overruns = O}, Acc) ->
    LSR = in(?LSR),
    St1 = St#st{overruns = O + uart16550_regs:overrun(LSR)},
    case uart16550_regs:data_ready(LSR) andalso byte_size(Acc) < ?BUF_MAX of
        true -> drain(St1, <<Acc/binary, (in(?RBR))>>);
        false -> {LSR, deliver(Acc, St1)}
    end.

%% To every subscriber; with none, into the buffer, whose oldest bytes go
%% (and are counted) past ?BUF_MAX.
deliver(<<>>, St) ->
    St;
deliver(Bin, St = #st{subs = Subs, rx = Rx}) when map_size(Subs) > 0 ->
    [Pid ! {uart, Bin} || Pid <- maps:keys(Subs)],
    St#st{rx = Rx + byte_size(Bin)};
deliver(Bin, St = #st{buf = Buf, rx = Rx, dropped = D}) ->
    All = <<Buf/binary, Bin/binary>>,
    Over = max(0, byte_size(All) - ?BUF_MAX),
    St#st{buf = binary_part(All, Over, byte_size(All) - Over), rx = Rx + byte_size(Bin), dropped = D + Over}.

in(Port) -> io(hydros_io:in8(Port)).
out(Port, Value) -> io(hydros_io:out8(Port, Value)).

%% The device gone (given away): the call's answer says so.
io({error, _} = Error) -> throw(Error);
io(Value) -> Value.
