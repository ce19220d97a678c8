%% The drivers of the devices this node holds. Each driver is an OTP
%% application of drivers_erl/ (docs/drivers.md). The node's init starts
%% the drivers of every device the node holds (its `drivers` service). A driver application's start/2
%% calls limit/1 before it starts its top supervisor, so the driver's
%% processes may use their device's ports, registers and lines, and
%% nothing else (hydros_cap).
-module(hydros_drivers).
-export([start/0, drivers_of/1, limit/1, exclusions/1, gaps/2, state/0, with_registers/3]).

%% The applications that drive a device of /etc/hydros/devices: one, or
%% two for the firmware's tables (ACPI and SMBIOS), or none.
-spec drivers_of(atom()) -> [atom()].
drivers_of(cmos) -> [rtc];
drivers_of(pit) -> [pit];
drivers_of(pci) -> [pci];
drivers_of(com2) -> [uart16550];
drivers_of(ps2) -> [ps2_keyboard];
drivers_of(vga) -> [vga_text];
drivers_of(hpet) -> [hpet];
drivers_of(lapic) -> [lapic_timer];
drivers_of(ioapic) -> [ioapic];
drivers_of(firmware) -> [acpi_tables, smbios];
drivers_of(_) -> [].

%% Starts the drivers of every device this node holds (again: those that
%% are not running), each whether another failed or not: ok, or which
%% failed and why.
-spec start() -> ok | {error, {drivers_failed, [{atom(), term()}]}}.
start() ->
    case [{App, Why} || {_, App} <- held(), {error, Why} <- [start_driver(App)]] of
        [] -> ok;
        Failed -> {error, {drivers_failed, Failed}}
    end.

start_driver(App) ->
    case application:ensure_all_started(App) of
        {ok, _} -> ok;
        {error, _} = Error -> Error
    end.

%% {Device, App} for every driver of every device this node holds.
held() ->
    Core = hydros:core(),
    [{Name, App} || #{name := Name, core := C} <- hydros:device_table(), C =:= Core, App <- drivers_of(Name)].

%% Keeps the calling process, and every process it starts from then on,
%% from everything but the device App drives. A driver's start/2 calls it.
-spec limit(atom()) -> ok.
limit(App) ->
    [Device] = [D || D = #{name := Name} <- hydros:device_table(), lists:member(App, drivers_of(Name))],
    hydros_cap:exclude(exclusions(Device)).

%% What a driver of Device must never do: any port, register range or
%% interrupt line that is not its device's, and the node's controls. The
%% ioapic's driver alone may change where lines go (device_control: the
%% kernel's /dev/hydros/ioapic).
-spec exclusions(map()) -> [hydros_cap:capability()].
exclusions(#{name := Name, ports := Ports, mmio := Mmio, irqs := Irqs}) ->
    [{port_io, Gap} || Gap <- gaps(Ports, 16#FFFF)] ++
        [{raw_memory, Lo, Hi} || {Lo, Hi} <- gaps([{F, L} || {F, L, _} <- Mmio], 1 bsl 64 - 1)] ++
        [{irq, Gap} || Gap <- gaps([{L, L} || L <- Irqs], 255)] ++
        [device_control || Name =/= ioapic] ++ [node_control, open_port, code_load].

%% The ranges of 0..Max that none of Ranges (inclusive {First, Last}) has.
-spec gaps([{non_neg_integer(), non_neg_integer()}], non_neg_integer()) ->
          [{non_neg_integer(), non_neg_integer()}].
gaps(Ranges, Max) ->
    gaps(lists:sort(Ranges), 0, Max).

gaps([], From, Max) when From =< Max -> [{From, Max}];
gaps([], _, _) -> [];
gaps([{F, L} | Rest], From, Max) when F > From -> [{From, F - 1} | gaps(Rest, max(From, L + 1), Max)];
gaps([{_, L} | Rest], From, Max) -> gaps(Rest, max(From, L + 1), Max).

%% This node's drivers: [{Device, App, running | stopped}].
-spec state() -> [{atom(), atom(), running | stopped}].
state() ->
    Running = [A || {A, _, _} <- application:which_applications()],
    [{Name, App, case lists:member(App, Running) of true -> running; false -> stopped end} || {Name, App} <- held()].

%% Fun(Handle) with Size bytes of registers at Phys mapped for the call
%% only (so that the device can be given while its driver is idle); a
%% {error, _} thrown by Fun is its answer, and so is map's error.
-spec with_registers(non_neg_integer(), pos_integer(), fun((hydros_io:handle()) -> Result)) -> Result | {error, term()}.
with_registers(Phys, Size, Fun) ->
    case hydros_io:map(Phys, Size) of
        {ok, Regs} ->
            try Fun(Regs) catch throw:{error, _} = Error -> Error after hydros_io:unmap(Regs) end;
        Error ->
            Error
    end.
