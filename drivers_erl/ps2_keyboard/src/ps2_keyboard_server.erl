%% The i8042's one server: every access to its ports goes through it, so
%% that a controller command and its answer never interleave with the
%% reading of keys. It subscribes to line 1, reads the bytes each
%% interrupt leaves, decodes them (ps2_scancodes) and hands the events out.
%% It never crashes on the device: an access that fails leaves it down,
%% scancode_set() giving the error, until that call sets it up again.
-module(ps2_keyboard_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(DATA, 16#60).
-define(STATUS, 16#64).    % read: the status byte; written: a controller command
-define(OUT_FULL, 16#01).  % a byte waits at DATA
-define(IN_FULL, 16#02).   % the controller has not taken the last byte written
-define(MOUSE, 16#20).     % the waiting byte is the mouse's
-define(IRQ, 1).
-define(KEEP, 64).         % events kept for events/0
-define(WAIT_MS, 100).     % the controller answers in microseconds
-define(MAX_BYTES, 64).    % read at most this many in one go: no hang on a stuck status

-record(st, {set :: 1 | 2 | {error, term()},
             decoder :: ps2_scancodes:state() | undefined,
             events = queue:new() :: queue:queue(ps2_scancodes:event()),
             subscribers = #{} :: #{pid() => reference()}}).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, setup(#st{set = {error, not_set_up}})}.

handle_call(subscribe, {Pid, _}, #st{subscribers = Subs} = St) ->
    case Subs of
        #{Pid := _} -> {reply, ok, St};
        _ -> {reply, ok, St#st{subscribers = Subs#{Pid => monitor(process, Pid)}}}
    end;
handle_call(unsubscribe, {Pid, _}, St) ->
    {reply, ok, drop(Pid, St)};
handle_call(events, _From, #st{events = Events} = St) ->
    {reply, queue:to_list(Events), St};
handle_call(scancode_set, _From, #st{set = Set} = St) when is_integer(Set) ->
    {reply, Set, St};
handle_call(scancode_set, _From, St) ->
    #st{set = Result} = St1 = setup(St),
    {reply, Result, St1};
handle_call(Request, _From, St) ->
    {reply, {error, {bad_request, Request}}, St}.

handle_cast(_, St) ->
    {noreply, St}.

handle_info({irq, ?IRQ}, #st{set = Set} = St) when is_integer(Set) ->
    try
        St1 = drain(St, ?MAX_BYTES),
        io(hydros_io:irq_ack(?IRQ)),
        {noreply, St1}
    catch throw:Error -> {noreply, St#st{set = Error}}
    end;
handle_info({'DOWN', _, process, Pid, _}, St) ->
    {noreply, drop(Pid, St)};
handle_info(_, St) ->  % an interrupt while down, or a stray message
    {noreply, St}.

%% Reads the configuration byte, then takes line 1 and the bytes already
%% waiting: an edge-triggered line gives no new interrupt while a byte
%% waits unread, so those are read after subscribing, not before.
setup(St) ->
    _ = hydros_io:irq_unsubscribe(?IRQ),  % a retry starts from a fresh subscription
    try
        Set = ps2_scancodes:set_of_config(read_config()),
        io(hydros_io:irq_subscribe(?IRQ)),
        drain(St#st{set = Set, decoder = ps2_scancodes:new(Set)}, ?MAX_BYTES)
    catch throw:Error -> St#st{set = Error}
    end.

%% The keyboard is off while the controller answers, so that no key byte is
%% taken for the answer (keys meanwhile wait in the keyboard). SeaBIOS
%% leaves line 1 enabled (bit 0); it is turned on if not.
read_config() ->
    command(16#AD),
    flush(?MAX_BYTES),
    command(16#20),
    wait(?OUT_FULL, ?OUT_FULL, deadline(), no_config_byte),
    Config = io(hydros_io:in8(?DATA)),
    case Config band 1 of
        0 -> command(16#60), write_data(Config bor 1);
        1 -> ok
    end,
    command(16#AE),
    Config.

command(Cmd) ->
    wait(?IN_FULL, 0, deadline(), input_buffer_full),
    io(hydros_io:out8(?STATUS, Cmd)).

write_data(Byte) ->
    wait(?IN_FULL, 0, deadline(), input_buffer_full),
    io(hydros_io:out8(?DATA, Byte)).

%% Bytes from before the driver (stale keys, or answers to nobody).
flush(0) ->
    ok;
flush(N) ->
    case io(hydros_io:in8(?STATUS)) band ?OUT_FULL of
        0 -> ok;
        _ -> io(hydros_io:in8(?DATA)), flush(N - 1)
    end.

wait(Mask, Want, Deadline, What) ->
    case io(hydros_io:in8(?STATUS)) band Mask of
        Want -> ok;
        _ ->
            case erlang:monotonic_time(millisecond) < Deadline of
                true -> wait(Mask, Want, Deadline, What);
                false -> throw({error, {timeout, What}})
            end
    end.

deadline() ->
    erlang:monotonic_time(millisecond) + ?WAIT_MS.

%% Reads and decodes the keyboard's bytes while one waits. The mouse is not
%% driven, but a byte of its left unread would block the keyboard's behind
%% it, so it is read and dropped.
drain(St, 0) ->
    St;
drain(St, N) ->
    Status = io(hydros_io:in8(?STATUS)),
    if
        Status band ?OUT_FULL =:= 0 ->
            St;
        Status band ?MOUSE =/= 0 ->
            io(hydros_io:in8(?DATA)),
            drain(St, N - 1);
        true ->
            drain(decode(io(hydros_io:in8(?DATA)), St), N - 1)
    end.

decode(Byte, #st{decoder = Decoder} = St) ->
    {Events, Decoder1} = ps2_scancodes:feed(Byte, Decoder),
    lists:foldl(fun publish/2, St#st{decoder = Decoder1}, Events).

publish(Event, #st{events = Events, subscribers = Subs} = St) ->
    _ = [Pid ! {ps2_keyboard, Event} || Pid <- maps:keys(Subs)],
    Kept = queue:in(Event, Events),
    St#st{events = case queue:len(Kept) > ?KEEP of
                       true -> queue:drop(Kept);
                       false -> Kept
                   end}.

drop(Pid, #st{subscribers = Subs} = St) ->
    case maps:take(Pid, Subs) of
        {Ref, Rest} -> demonitor(Ref, [flush]), St#st{subscribers = Rest};
        error -> St
    end.

%% The device gone (given away), or the controller silent: the caller's
%% answer says so.
io({error, _} = Error) -> throw(Error);
io(Value) -> Value.
