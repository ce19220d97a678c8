%% The 16550 UART of device `com2' (ports 0x2f8-0x2ff, ISA line 3), driven
%% from Erlang. COM1 is the kernel's console: a call for any port but com2
%% is answered {error, {not_held, Port}}. Received bytes go to subscribers
%% as {uart, Binary}, or wait (at most 4096, the oldest dropped) for read/1.
-module(uart16550).
-export([write/2, read/1, subscribe/1, unsubscribe/1, configure/2, settings/1, stats/1]).

-type port_name() :: com2.
-type error() :: {error, term()}.

%% Sends Data, in FIFO bursts; {error, badarg} for what is not iodata,
%% {error, {timeout, Sent}} after 2 s without progress.
-spec write(port_name(), iodata()) -> ok | error().
write(Port, Data) ->
    try iolist_to_binary(Data) of
        Bin -> call(Port, {write, Bin}, infinity) % each burst's wait is bounded, not the whole write
    catch
        error:badarg -> {error, badarg}
    end.

%% Takes the bytes received and not yet delivered to a subscriber.
-spec read(port_name()) -> {ok, binary()} | error().
read(Port) ->
    call(Port, read).

%% The caller gets {uart, Binary} for every chunk received from now on.
-spec subscribe(port_name()) -> ok | error().
subscribe(Port) ->
    call(Port, subscribe).

%% The caller gets no more {uart, _}.
-spec unsubscribe(port_name()) -> ok | error().
unsubscribe(Port) ->
    call(Port, unsubscribe).

%% Changes the keys given (baud, data_bits, parity, stop_bits, flow), once what was written has gone out.
-spec configure(port_name(), uart16550_regs:settings()) -> ok | error().
configure(Port, Settings) ->
    call(Port, {configure, Settings}).

%% The line settings as the chip has them, and the flow control.
-spec settings(port_name()) -> {ok, uart16550_regs:settings()} | error().
settings(Port) ->
    call(Port, settings).

%% Bytes received and sent, bytes dropped from the full buffer, overruns the chip reported.
-spec stats(port_name()) -> #{rx_bytes | tx_bytes | dropped | overruns => non_neg_integer()} | error().
stats(Port) ->
    call(Port, stats).

call(Port, Request) ->
    call(Port, Request, 5000).

call(com2, Request, Timeout) -> gen_server:call(uart16550_server, Request, Timeout);
call(Port, _, _) -> {error, {not_held, Port}}.
