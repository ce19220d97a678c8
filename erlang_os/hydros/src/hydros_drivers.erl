%% The drivers of the devices this node holds. Each driver is an OTP
%% application of drivers_erl/ (docs/drivers.md). hydros:boot/0 starts the
%% driver of every device the node holds. A driver application's start/2
%% calls limit/1 before it starts its top supervisor, so the driver's
%% processes may use their device's ports, registers and lines, and
%% nothing else (hydros_cap).
-module(hydros_drivers).
-export([start/0, driver_of/1, limit/1, exclusions/1, gaps/2, state/0]).

%% The application that drives a device of /etc/hydros/devices, if any.
-spec driver_of(atom()) -> atom() | none.
driver_of(cmos) -> rtc;
driver_of(pit) -> pit;
driver_of(pci) -> pci;
driver_of(_) -> none.

%% Starts the driver of every device this node holds: [{Device, Result}].
-spec start() -> [{atom(), ok | {error, term()}}].
start() ->
    Core = hydros:core(),
    [{Name, start_driver(App)} || #{name := Name, core := C} <- hydros:device_table(), C =:= Core,
                                  (App = driver_of(Name)) =/= none].

start_driver(App) ->
    case application:ensure_all_started(App) of
        {ok, _} -> ok;
        {error, _} = Error -> Error
    end.

%% Keeps the calling process, and every process it starts from then on,
%% from everything but the device App drives. A driver's start/2 calls it.
-spec limit(atom()) -> ok.
limit(App) ->
    [Device] = [D || D = #{name := Name} <- hydros:device_table(), driver_of(Name) =:= App],
    hydros_cap:exclude(exclusions(Device)).

%% What a driver of Device must never do: any port, register range or
%% interrupt line that is not its device's, and the node's controls.
-spec exclusions(map()) -> [hydros_cap:capability()].
exclusions(#{ports := Ports, mmio := Mmio, irqs := Irqs}) ->
    [{port_io, Gap} || Gap <- gaps(Ports, 16#FFFF)] ++
        [{raw_memory, Lo, Hi} || {Lo, Hi} <- gaps([{F, L} || {F, L, _} <- Mmio], 1 bsl 64 - 1)] ++
        [{irq, Gap} || Gap <- gaps([{L, L} || L <- Irqs], 255)] ++
        [device_control, node_control, open_port, code_load].

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
    Core = hydros:core(),
    Running = [A || {A, _, _} <- application:which_applications()],
    [{Name, App, case lists:member(App, Running) of true -> running; false -> stopped end}
     || #{name := Name, core := C} <- hydros:device_table(), C =:= Core, (App = driver_of(Name)) =/= none].
