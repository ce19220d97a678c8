%% The IO APICs (device `ioapic'): where each interrupt line goes. Their
%% registers are an index and a window that every core's kernel uses when
%% a node subscribes to a line, so the kernel alone writes them; this
%% driver asks it through /dev/hydros/ioapic (docs/devices.md). In HydrOS
%% a line goes to the core whose node holds its device: route/2 moves the
%% device, and so the line.
-module(ioapic).
-export([routes/0, mask/1, unmask/1, route/2]).

-type entry() :: #{ioapic := non_neg_integer(), pin := non_neg_integer(), gsi := non_neg_integer(),
                   vector := 0..255, dest := non_neg_integer(), core := integer(), masked := boolean(),
                   trigger := edge | level, polarity := high | low, held := boolean(),
                   line := 0..15 | none}.
-export_type([entry/0]).

%% Every redirection entry of every IO APIC: its vector, the core it goes
%% to (its local APIC id: dest; -1 for no core), masked or not, trigger and
%% polarity, the ISA line that comes in on it, and held (masked by mask/1).
-spec routes() -> [entry()] | {error, term()}.
routes() ->
    gen_server:call(ioapic_server, routes).

%% Keeps ISA line Line masked, whatever its subscriber does, until unmask/1.
-spec mask(0..15) -> ok | {error, term()}.
mask(Line) ->
    gen_server:call(ioapic_server, {command, mask, [Line]}).

%% Lets it go: unmasked again if a node has it subscribed.
-spec unmask(0..15) -> ok | {error, term()}.
unmask(Line) ->
    gen_server:call(ioapic_server, {command, unmask, [Line]}).

%% Sends Line to Core: its device goes to Core's node (as hydros_io:give/2,
%% and with its rules: {error, in_use} while it is subscribed or mapped).
-spec route(0..15, non_neg_integer()) -> ok | {error, term()}.
route(Line, Core) ->
    gen_server:call(ioapic_server, {command, route, [Line, Core]}).
