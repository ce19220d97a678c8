%% The firmware's SMBIOS tables (device `firmware', read-only memory: the
%% F segment holding the entry point and the pages of the structure
%% table), read from Erlang: the entry point, every structure, and the
%% BIOS, system, processors and memory decoded (smbios_decode says what
%% each map holds). Tables are untrusted: a bad one is an {error, Reason},
%% never a crash; `{error, no_smbios}' when there is no valid entry point.
-module(smbios).
-export([entry_point/0, structures/0, bios/0, system/0, processors/0, memory/0]).

%% #{version := {Major, Minor}, address (the entry point's), table_address,
%% table_length, structures (their count, undefined for a 3.x one)}.
-spec entry_point() -> {ok, smbios_decode:entry_point()} | {error, term()}.
entry_point() ->
    gen_server:call(smbios_server, entry_point, 30000).

%% Every structure, in table order, up to the end-of-table one (type 127).
-spec structures() -> [smbios_decode:structure()] | {error, term()}.
structures() ->
    gen_server:call(smbios_server, structures, 30000).

%% The BIOS (type 0): vendor, version, release_date, rom_size, release.
-spec bios() -> smbios_decode:structure() | {error, term()}.
bios() ->
    first(0).

%% The system (type 1): manufacturer, product, version, serial, uuid (as
%% QEMU's -uuid spells it), sku, family.
-spec system() -> smbios_decode:structure() | {error, term()}.
system() ->
    first(1).

%% The processors (type 4), a map a socket: socket, manufacturer, version,
%% core_count, thread_count, max_speed, current_speed (MHz), populated.
-spec processors() -> [smbios_decode:structure()] | {error, term()}.
processors() ->
    of_types([4]).

%% The memory arrays (type 16: location, use, max_capacity in KiB,
%% devices) and devices (type 17: size in MiB, form_factor, locator, bank,
%% memory_type, speed, manufacturer), in table order.
-spec memory() -> [smbios_decode:structure()] | {error, term()}.
memory() ->
    of_types([16, 17]).

first(Type) ->
    case of_types([Type]) of
        [S | _] -> S;
        [] -> {error, not_found};
        Error -> Error
    end.

of_types(Types) ->
    case structures() of
        Structures when is_list(Structures) -> [S || S = #{type := T} <- Structures, lists:member(T, Types)];
        Error -> Error
    end.
