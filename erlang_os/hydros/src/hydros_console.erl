%% The shell follows the console. Every node runs this server. When the
%% console core or its node dies, the kernel hands the console to the lowest
%% live core whose node runs, and puts the console's tty on that node's fds
%% 0-2 (percore/console.c, node_io.c). This server, on that node, then
%% replaces the node's output-only user process (-noinput) with an io server
%% on the tty and starts a shell there: the operator gets a prompt back.
-module(hydros_console).
-behaviour(gen_server).

-export([start_link/0, has_console/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(POLL_MS, 100). % the kernel moves the console at once; a second is the bound
-define(TAKEN, {?MODULE, taken}).

%% The node's console service (hydros_init), under hydros_sup, so that a
%% crash is restarted.
-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% Whether this node has the console (and the shell on it).
-spec has_console() -> boolean().
has_console() ->
    gen_server:call(?MODULE, has_console).

%% What a shell loads that a node booted with -eval has not loaded yet:
%% loaded ahead, the prompt comes back in a fraction of the time.
-define(SHELL_MODULES, [shell, epp, erl_abstract_code, io_lib_format, io]).

init([]) ->
    %% A node with a shell of its own booted with the console; a -noinput
    %% node gets one here, even when the console came to it before this
    %% server started (or at its start: node_io_open gives it the tty). A
    %% restarted server remembers that it took the console already.
    Has = init:get_argument(noinput) =:= error orelse persistent_term:get(?TAKEN, false),
    case Has of
        true -> ok;
        false -> self() ! preload, erlang:send_after(?POLL_MS, self(), poll)
    end,
    {ok, Has}.

handle_call(has_console, _From, Has) ->
    {reply, Has, Has};
handle_call(_Other, _From, Has) ->
    {reply, {error, unknown_call}, Has}.

handle_cast(_Msg, Has) ->
    {noreply, Has}.

%% Only once the node is running: the kernel puts the tty on a node's fds
%% then (node_io_follow_console), and a shell started before would read
%% the old fd 0's end of file and halt the node. (The console can come to
%% a node still booting: core 0 dying early.)
handle_info(poll, false) ->
    Me = hydros:core(),
    Running = [running] =:= [S || #{core := C, state := S} <- hydros:status(), C =:= Me],
    case Running andalso hydros:console_core() =:= Me andalso take_console() of
        ok ->
            {noreply, true};
        _ ->
            erlang:send_after(?POLL_MS, self(), poll),
            {noreply, false}
    end;
handle_info(preload, Has) ->
    ok = code:ensure_modules_loaded(?SHELL_MODULES),
    {noreply, Has};
handle_info(_Msg, Has) ->
    {noreply, Has}.

%% The kernel swapped fds 0-2 for the tty on the way back from the read
%% that told us the console is ours (console_poll runs at every return to
%% user mode). The old, output-only user stays (its port writes fd 1, now
%% the tty, so processes whose group leader it is still reach the console)
%% but gives up the name to an io server that reads too, and a shell starts
%% on that one. (Stopping the old one through its supervisor would cost the
%% second user_sup waits before it kills it.)
take_console() ->
    true = unregister(user),
    User = user:start(), % an io server on fds 0 and 1; -noshell: no shell of its own
    spawn(fun() -> group_leader(User, self()), shell:start() end),
    persistent_term:put(?TAKEN, true),
    ok.
