%% The node's view of the multikernel, from the kernel's /dev/hydros files:
%% which core it runs on, its memory partition, the status of every node,
%% and the hooks a node has into the kernel (ready, and poke for the
%% isolation tests), and the operator's commands. Every node runs boot/0 at
%% start (-eval in its args).
-module(hydros).
-export([boot/0, trust_the_archive_only/0, users_in_tmp/0, services/0, services/1, core/0, partition/0, partition/1, status/0, nodes/0, ready/0, wait_up/0, poke/1,
         inject/2, restart/1, kill/1, policy/1, policy/2, channels/0, console_core/0, kernel_memory/0,
         retired/0, devices/0, device_table/0, spawn_restricted/3, spawn/1, spawn/2, placed/0,
         help/0, ps/1, run/4, top/0, top/1, subscribe/0, unsubscribe/0, state/0]).

-define(DIRECT_MAP, 16#ffff800000000000).
-define(KERNEL_TEXT, 16#ffffffff80100000).
-define(BOOT_WAIT_MS, 60000).

%% The -eval of every node's args (a hook: the tests and benchmarks
%% evaluate more after it): returns once the node's init (hydros_init,
%% which the boot script's hydros application started) has started every
%% service it could, as it has by the time the boot script ends, unless a
%% service took longer than hydros_app waits. Off HydrOS there is nothing
%% to wait for.
%% Without hydros running (its start failed, and said why), the node's
%% boot ends here.
boot() ->
    case whereis(hydros_init) of
        undefined -> exit(hydros_not_started);
        _ -> hydros_init:wait(?BOOT_WAIT_MS)
    end.

%% The archive service, first: the code and file servers check a process's
%% exclusions only once hydros_cap is loaded (beam-patches/0003), and no
%% module is loaded from the working directory, which any process may
%% point anywhere (file:set_cwd/1). Every application of the archive is
%% on the code path already: the boot script names them all.
trust_the_archive_only() ->
    {module, hydros_cap} = code:ensure_loaded(hydros_cap),
    _ = code:del_path("."),
    ok.

%% The tmp service: a user's own modules. The node's working directory is
%% its writable /tmp, so that c/1 compiles there and l/1 finds what it
%% wrote; /tmp comes last on the code path, after every module of the
%% archive, so that none of them is ever shadowed.
users_in_tmp() ->
    ok = file:set_cwd("/tmp"),
    true = code:add_pathz("/tmp"),
    ok.

%% From the node's args: -hydros core N (which is also the hydros
%% application's key core; the args may give it other keys).
core() ->
    {ok, Args} = init:get_argument(hydros),
    [N] = [N || ["core", N] <- Args],
    list_to_integer(N).

%% The core whose node has the console (core 0 until it or its node dies).
console_core() ->
    {ok, Text} = prim_file:read_file("/dev/hydros/self"),
    [C] = [binary_to_integer(C) || <<"console ", C/binary>> <- binary:split(Text, <<"\n">>, [global])],
    C.

%% {Base, End} of this node's physical memory partition.
partition() ->
    {ok, Text} = file:read_file("/dev/hydros/self"),
    [_Core, <<"partition ", Range/binary>> | _] = binary:split(Text, <<"\n">>, [global]),
    [Base, End] = binary:split(Range, <<" ">>),
    {hex(Base), hex(End)}.

%% {Base, End} of another core's partition.
partition(Core) ->
    [P] = [P || #{core := C, partition := P} <- status(), C =:= Core],
    P.

%% One map a core: core, state (none, booting, running, node_dead, suspect:
%% the watchdog is asking its kernel, core_dead), heartbeat (its kernel's
%% timer ticks), memory_kib (its node's resident memory), free_kib (what its
%% partition has free: all of it back after a restart), partition, starts
%% (nodes started there, the first included), and fault: why the node or
%% the core died, "-" if it did not.
status() ->
    {ok, Text} = prim_file:read_file("/dev/hydros/nodes"), % before the file server too (msgchan_listener)
    [parse_node(L) || L <- binary:split(Text, <<"\n">>, [global, trim_all])].

%% Prints a table of all nodes.
nodes() ->
    io:format("~-5s ~-9s ~10s ~10s ~10s  ~-35s ~s~n",
              ["node", "state", "heartbeat", "mem KiB", "free KiB", "partition", "why it died"]),
    [io:format("c~-4b ~-9s ~10b ~10b ~10b  16#~.16b-16#~.16b ~s~n",
               [C, S, H, M, Free, B, E, F])
     || #{core := C, state := S, heartbeat := H, memory_kib := M, free_kib := Free, partition := {B, E},
          fault := F}
            <- status()],
    [io:format("c~-4b retired   16#~.16b-16#~.16b (a memory error there)~n", [C, B, E])
     || {C, B, E} <- retired()],
    ok.

%% Blocks of memory retired after an uncorrected error, never handed out
%% again: [{Core, Base, End}] (Core: the partition that held it).
retired() ->
    {ok, Text} = prim_file:read_file("/dev/hydros/retired"),
    [begin
         [<<"c", C/binary>>, B, E] = binary:split(L, <<" ">>, [global]),
         {binary_to_integer(C), hex(B), hex(E)}
     end || L <- binary:split(Text, <<"\n">>, [global, trim_all])].

ready() ->
    file:write_file("/dev/hydros/ready", <<"up">>).

%% Waits until no node is still booting.
wait_up() ->
    case [C || #{core := C, state := booting} <- status()] of
        [] -> ok;
        _ -> timer:sleep(100), wait_up()
    end.

%% Makes this node store to an address from user mode (kernel command line
%% debug_poke only): an integer, {partition, Core} (that partition through
%% the kernel's direct map) or kernel (the kernel's text). The store must
%% fault and end this node only.
poke({partition, Core}) -> {Base, _} = partition(Core), poke(?DIRECT_MAP + Base);
poke(kernel) -> poke(?KERNEL_TEXT);
poke(Addr) when is_integer(Addr) ->
    file:write_file("/dev/hydros/poke", integer_to_list(Addr)).

%% Makes Core suffer Fault, for the fault tests: halt, node_crash,
%% node_hang, kernel_panic, core_hang, wild_write, chan_garbage, mce or
%% heap_panic (a kernel panic holding the kernel heap's lock)
%% (percore/inject.c says what each does). The core's kernel acts at once;
%% this returns before the fault has its effect, even on this node's core.
%% Errors: {bad_core, C}, {bad_fault, F}, {no_core, C}, {core_dead, C},
%% {not_running, C} (a fault of the node, and no node runs there), ebusy
%% (one is pending there), enotsup (mce where the CPU cannot fake one).
inject(Core, Fault) when is_integer(Core), Core >= 0, is_atom(Fault) ->
    command("/dev/hydros/inject", [integer_to_list(Core), $\s, atom_to_list(Fault)],
            #{einval => {bad_fault, Fault}, enxio => {no_core, Core}, esrch => {core_dead, Core},
              enoent => {not_running, Core}});
inject(Core, _Fault) when not is_integer(Core); Core < 0 ->
    {error, {bad_core, Core}};
inject(_Core, Fault) ->
    {error, {bad_fault, Fault}}.

%% This node's channels as its kernel counts them, one map a peer core:
%% core, open (false once the peer died), rx and tx (messages), and
%% rx_corrupt and tx_corrupt: what the ring's checks rejected (a corrupt
%% message is never delivered).
channels() ->
    {ok, Text} = prim_file:read_file("/dev/hydros/channels"),
    [begin
         [<<"c", C/binary>>, Open, Rx, RxBad, Tx, TxBad] = binary:split(L, <<" ">>, [global]),
         #{core => binary_to_integer(C), open => Open =:= <<"open">>,
           rx => binary_to_integer(Rx), rx_corrupt => binary_to_integer(RxBad),
           tx => binary_to_integer(Tx), tx_corrupt => binary_to_integer(TxBad)}
     end || L <- binary:split(Text, <<"\n">>, [global, trim_all])].

%% Starts the dead node of Core again, from the boot archive, in a partition
%% freed whole: returns once its kernel has been asked; the node says it is
%% up and joins the mesh a second or two later. A core whose kernel died is
%% restarted whole first (INIT, SIPI): then this returns once that kernel
%% is back (core 0 through the BIOS's warm reset). Errors: {bad_core, C}, {no_core, C},
%% {not_dead, C}, busy (another core is being started, or the dead one is
%% not stopped yet: ask again), {did_not_start, C}.
restart(Core) when is_integer(Core), Core >= 0 ->
    command("/dev/hydros/restart", integer_to_list(Core),
            #{enxio => {no_core, Core}, ebusy => {not_dead, Core}, eagain => busy,
              etimedout => {did_not_start, Core}});
restart(Core) ->
    {error, {bad_core, Core}}.

%% Ends the node of Core, which its policy then leaves down (as an OTP
%% supervisor's terminate_child): hydros:restart/1 brings it back. Errors:
%% {bad_core, C}, {no_core, C}, {not_running, C}.
kill(Core) when is_integer(Core), Core >= 0 ->
    command("/dev/hydros/kill", integer_to_list(Core), #{enxio => {no_core, Core}, esrch => {not_running, Core}});
kill(Core) ->
    {error, {bad_core, Core}}.

%% The restart policy of Core's node (default: of nodes without one of
%% their own): #{restart => permanent | transient | temporary, intensity =>
%% R, period => T}, at most R restarts in T seconds (hydros_policy).
policy(Core) when is_integer(Core), Core >= 0; Core =:= default ->
    hydros_policy_server:policy(Core);
policy(Core) ->
    {error, {bad_core, Core}}.

%% Changes it on every node, from a restart type or a map of some of the
%% keys: ok or {error, {bad_policy, P}}.
policy(Core, Policy) when is_integer(Core), Core >= 0; Core =:= default ->
    hydros_policy_server:set_policy(Core, Policy);
policy(Core, _Policy) ->
    {error, {bad_core, Core}}.

%% A command written to a /dev/hydros file: ok, or {error, E} with the
%% file's errno named by Errors where it has a name there. The caller
%% needs node_control (error({excluded, node_control}) otherwise).
command(File, Text, Errors) ->
    ok = hydros_cap:check(node_control),
    case prim_file:write_file(File, Text) of
        ok -> ok;
        {error, Errno} -> {error, maps:get(Errno, Errors, Errno)}
    end.

%% The devices nodes drive themselves (hydros_io), as the kernel holds
%% them: #{name, core (its holder), open (its node runs, so its ports are
%% open on that core and its registers and lines may be used there), ports
%% => [{First, Last}], mmio => [{First, Last, rw | ro}], irqs => [Line],
%% drivers => [{App, State}] (its applications in drivers_erl/, each
%% running | stopped on its holder's node, node_down when that node does
%% not answer), and in short driver (the first of them, or none) and
%% driver_state (running when all run, none without a driver)}.
devices() ->
    Devices = device_table(),
    States = maps:from_list([{Core, drivers_of(Core)} || Core <- lists:usort([C || #{core := C} <- Devices])]),
    [begin
         Drivers = [{App, driver_state(Name, App, maps:get(Core, States))} || App <- hydros_drivers:drivers_of(Name)],
         D#{drivers => Drivers, driver => case Drivers of [] -> none; [{First, _} | _] -> First end,
            driver_state => summary([S || {_, S} <- Drivers])}
     end || D = #{name := Name, core := Core} <- Devices].

summary([]) -> none;
summary(States) ->
    case lists:usort(States) of
        [One] -> One;
        Several -> hd(Several -- [running])
    end.

%% The devices as the kernel holds them: devices/0 without the drivers.
device_table() ->
    {ok, Text} = prim_file:read_file("/dev/hydros/devices"),
    [begin
         [Name, <<"c", C/binary>>, State | Resources] = binary:split(L, <<" ">>, [global]),
         Ranges = [resource(R) || R <- Resources],
         #{name => binary_to_atom(Name), core => binary_to_integer(C), open => State =:= <<"open">>,
           ports => [{F, T} || {port, F, T, _} <- Ranges],
           mmio => [{F, T, A} || {mmio, F, T, A} <- Ranges],
           irqs => [Line || {irq, Line} <- Ranges]}
     end || L <- binary:split(Text, <<"\n">>, [global, trim_all])].

%% What the node of Core says of its drivers: [{Device, App, State}], or
%% node_down.
drivers_of(Core) ->
    case rpc:call(list_to_atom("c" ++ integer_to_list(Core) ++ "@hydros"), hydros_drivers, state, [], 5000) of
        L when is_list(L) -> L;
        _ -> node_down
    end.

driver_state(_, _, node_down) ->
    node_down;
driver_state(Name, App, States) ->
    case lists:keyfind(App, 2, [S || S = {N, _, _} <- States, N =:= Name]) of
        {_, _, State} -> State;
        false -> stopped
    end.

%% "port:0xF-0xL", "mmio:0xF-0xL[:ro]" or "irq:N".
resource(<<"irq:", Line/binary>>) ->
    {irq, binary_to_integer(Line)};
resource(R) ->
    [Kind, Range | Ro] = binary:split(R, <<":">>, [global]),
    [<<"0x", F/binary>>, <<"0x", T/binary>>] = binary:split(Range, <<"-">>),
    {binary_to_atom(Kind), binary_to_integer(F, 16), binary_to_integer(T, 16),
     case Ro of [<<"ro">>] -> ro; [] -> rw end}.

%% Runs Fun on Node in a new process that may never do what Exclusions
%% name, nor may any process it starts, here or on any node
%% (hydros_cap): for untrusted code. Returns its pid, as spawn/2.
-spec spawn_restricted(node(), fun(() -> term()), [hydros_cap:capability()]) -> pid().
spawn_restricted(Node, Fun, Exclusions) when is_atom(Node), is_function(Fun, 0), is_list(Exclusions) ->
    spawn_opt(Node, Fun, [{exclusions, Exclusions}]).

%% The caller gets {hydros, Event} at every change of the machine's state:
%% {node_up, C}, {node_restarted, C}, {node_down, C, Why}, {core_dead, C,
%% Why}, {device_moved, Device, From, To} (hydros_state).
subscribe() ->
    hydros_state:subscribe().

unsubscribe() ->
    hydros_state:unsubscribe().

%% The machine as this node last read it: #{cores => status(), devices =>
%% [{Device, Core}], placed => placed()}, and every running node's load
%% now: loads => #{Node => #{busy, processes, run_queue, reductions_per_s,
%% memory_kib}} (a node that does not answer within a second is left out).
state() ->
    Loads = hydros_placer:figures([node() | erlang:nodes()], 1000),
    maps:merge(hydros_state:state(), #{placed => placed(), loads => Loads}).

%% The operator's commands, a line each (hydros_shell).
help() ->
    hydros_shell:help().

%% Every core: state, CPU, reductions/s, memory, run queue, processes,
%% restarts, refreshed every second until Enter; top/1 for Seconds.
top() ->
    hydros_shell:top().

top(Seconds) ->
    hydros_shell:top(Seconds).

%% This node's services, or Core's node's: what each requires, its state,
%% when it started and how long it took (hydros_init).
services() ->
    hydros_shell:services().

services(Core) ->
    hydros_shell:services(Core).

%% The busiest processes of Core's node.
ps(Core) ->
    hydros_shell:ps(Core).

%% apply(M, F, A) on Core's node: {ok, Result} or {error, Reason}.
run(Core, M, F, A) ->
    hydros_shell:run(Core, M, F, A).

%% Starts Fun on the least loaded live node (hydros_place: CPU first, then
%% processes), like spawn/2 on that node: link or monitor it as any remote
%% process. spawn/2's Opts: #{policy => least_loaded | round_robin | {core,
%% C} | {not_with, Pid}}. A bad policy, or no live node for it, gives
%% {error, Reason}.
-spec spawn(fun(() -> term())) -> pid() | {error, term()}.
spawn(Fun) ->
    ?MODULE:spawn(Fun, #{}).

-spec spawn(fun(() -> term()), #{policy => hydros_place:policy()}) -> pid() | {error, term()}.
spawn(Fun, Opts) when is_function(Fun, 0), is_map(Opts) ->
    case hydros_placer:place(maps:get(policy, Opts, least_loaded)) of
        {ok, Node} -> erlang:spawn(Node, Fun);
        Error -> Error
    end;
spawn(Fun, Opts) ->
    {error, {badarg, [Fun, Opts]}}.

%% How many processes hydros:spawn/1,2 from this node put on each node.
-spec placed() -> #{node() => pos_integer()}.
placed() ->
    hydros_placer:placed().

%% The kernel's memory, shared by every core: pool_free_kib (its page pool),
%% heap_kib (the pool's pages the heap holds), heap_in_use (bytes),
%% heap_allocs, heap_frees (restarts must not make it grow); its clocks
%% as calibrated at boot: tsc_khz, apic_timer_hz; and where this core's
%% random bytes come from: random => rdseed | rdrand | timing.
kernel_memory() ->
    {ok, Text} = prim_file:read_file("/dev/hydros/kernel"),
    maps:from_list([begin [K, V] = binary:split(L, <<" ">>), {binary_to_atom(K), kernel_value(V)} end
                    || L <- binary:split(Text, <<"\n">>, [global, trim_all])]).

kernel_value(V) ->
    try binary_to_integer(V)
    catch error:badarg -> binary_to_atom(V)
    end.

parse_node(Line) ->
    [<<"c", C/binary>>, S, H, M, Free, B, E, Starts | Why] = binary:split(Line, <<" ">>, [global]),
    F = lists:join(<<" ">>, Why),
    #{core => binary_to_integer(C), state => binary_to_atom(S), heartbeat => binary_to_integer(H),
      memory_kib => binary_to_integer(M), free_kib => binary_to_integer(Free), partition => {hex(B), hex(E)},
      starts => binary_to_integer(Starts), fault => unicode:characters_to_list(F)}.

hex(<<"0x", H/binary>>) -> binary_to_integer(H, 16).
