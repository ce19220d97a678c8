%% The firmware's ACPI tables (device `firmware', read-only memory: the
%% BIOS area holding the RSDP and the pages of the tables), read from
%% Erlang: what tables there are, their bytes, and the FADT, MADT and HPET
%% decoded (acpi_decode says what each map holds). Tables are untrusted:
%% a bad one is an {error, Reason}, never a crash.
-module(acpi_tables).
-export([rsdp/0, list/0, table/1, fadt/0, madt/0, hpet/0]).

%% The RSDP: #{revision, oem_id, address, rsdt, xsdt (undefined before
%% revision 2)}. `{error, no_rsdp}' when the BIOS area has no valid one.
-spec rsdp() -> {ok, acpi_decode:rsdp()} | {error, term()}.
rsdp() ->
    gen_server:call(acpi_tables_server, rsdp, 30000).

%% Every table reachable from the RSDP: the root (RSDT, or XSDT from
%% revision 2 on), the tables it lists, then the FADT's DSDT and FACS. A
%% pointer that leads to nothing readable is listed as #{address, error}.
-spec list() -> [acpi_decode:info() | #{address := non_neg_integer(), error := term()}] | {error, term()}.
list() ->
    gen_server:call(acpi_tables_server, list, 30000).

%% The bytes of the first table with that signature (<<"FACP">>,
%% <<"DSDT">>...), as long as its header says, whatever its checksum.
-spec table(binary()) -> {ok, binary()} | {error, term()}.
table(Signature) ->
    gen_server:call(acpi_tables_server, {table, Signature}, 30000).

%% The FADT decoded: dsdt, facs, sci_int, smi_cmd, the PM1, PM2, timer and
%% GPE blocks and their lengths, century (the CMOS century register, 0 if
%% none), iapc_boot_arch (the flags set, by name), flags, and the X_ fields
%% when the table is long enough.
-spec fadt() -> {ok, map()} | {error, term()}.
fadt() ->
    decoded(<<"FACP">>, fun acpi_decode:fadt/1).

%% The MADT: lapic_address, flags, entries (lapic, ioapic, override, nmi,
%% nmi_source, lapic_address_override, x2apic, x2apic_nmi, {unknown, T}).
-spec madt() -> {ok, map()} | {error, term()}.
madt() ->
    decoded(<<"APIC">>, fun acpi_decode:madt/1).

%% The HPET table: the timer block's address, comparators, counter_64bit,
%% legacy_capable, pci_vendor, hardware_rev, hpet_number, min_tick.
-spec hpet() -> {ok, map()} | {error, term()}.
hpet() ->
    decoded(<<"HPET">>, fun acpi_decode:hpet/1).

%% Decoded here, in the caller: decoding touches no device.
decoded(Signature, Decode) ->
    case table(Signature) of
        {ok, Bytes} -> Decode(Bytes);
        Error -> Error
    end.
