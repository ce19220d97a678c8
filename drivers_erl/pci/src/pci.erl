%% PCI configuration space (device `pci': ports 0xcf8-0xcff, mechanism 1,
%% and PCI Express's ECAM where ACPI's MCFG has one: the kernel adds its
%% range to the device), driven from Erlang: the functions on every bus
%% reachable from bus 0, their classes and their BARs (base and size).
-module(pci).
-export([list/0, access/0]).

-type bar() :: #{bar := 0..5, type := io | mem32 | mem64, base := non_neg_integer(),
                 size := pos_integer(), prefetchable := boolean()}.
-type pci_function() :: #{bus := 0..255, device := 0..31, function := 0..7, vendor := 0..16#FFFF,
                      device_id := 0..16#FFFF, class := {byte(), byte(), byte()}, class_name := string(),
                      header_type := 0..2, bars := [bar()]}.
-export_type([pci_function/0, bar/0]).

%% Every function present, in bus, device, function order. A BAR's size is
%% found the standard way (all ones written, read back, the base written
%% again) with the function's decoding off meanwhile.
-spec list() -> [pci_function()] | {error, term()}.
list() ->
    gen_server:call(pci_server, list, 30000).

%% How configuration space is reached: ecam when the device has the MCFG's
%% range, else mechanism1 (ports 0xcf8 and 0xcfc).
-spec access() -> ecam | mechanism1.
access() ->
    gen_server:call(pci_server, access).
