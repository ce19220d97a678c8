%% ACPI tables from their bytes (pure): the RSDP found in the BIOS area,
%% the walk from it to every table (memory read only through the caller's
%% Read fun), and the FADT, MADT and HPET decoded. Firmware tables are
%% untrusted: every length and checksum is checked, and garbage gives
%% {error, Reason}, never an exception.
-module(acpi_decode).
-export([rsdp/2, tables/2, fadt/1, madt/1, hpet/1]).
-export_type([read/0, rsdp/0, info/0]).

%% Len bytes at physical address Addr, all of them or an error.
-type read() :: fun((non_neg_integer(), non_neg_integer()) -> {ok, binary()} | {error, term()}).
-type rsdp() :: #{revision := byte(), oem_id := binary(), address := non_neg_integer(),
                  rsdt := non_neg_integer(), xsdt := non_neg_integer() | undefined}.
-type info() :: #{signature := binary(), oem_id := binary(), oem_table_id := binary(), revision := byte(),
                  length := non_neg_integer(), address := non_neg_integer(), checksum_ok := boolean()}.
-type walked() :: {ok, info(), binary()} | {error, non_neg_integer(), term()}.

-define(MAX_TABLE, 1 bsl 24). % the most hydros_io:read_block/3 gives at once; real tables are far smaller

%% The first valid RSDP on a 16-byte boundary of Area, which starts at
%% physical address Base: its checksum, and from revision 2 on its extended
%% checksum, must be right. A candidate that fails is passed over.
-spec rsdp(binary(), non_neg_integer()) -> {ok, rsdp()} | {error, no_rsdp}.
rsdp(Area, Base) ->
    rsdp(Area, Base, 0).

rsdp(Area, Base, Off) when Off + 20 =< byte_size(Area) ->
    <<_:Off/binary, At/binary>> = Area,
    case rsdp_at(At, Base + Off) of
        {ok, _} = Ok -> Ok;
        error -> rsdp(Area, Base, Off + 16)
    end;
rsdp(_, _, _) ->
    {error, no_rsdp}.

rsdp_at(<<"RSD PTR ", _, Oem:6/binary, Rev, Rsdt:32/little, Ext/binary>> = At, Addr) ->
    V1 = #{revision => Rev, oem_id => trim(Oem), address => Addr, rsdt => Rsdt, xsdt => undefined},
    case {checksum_ok(binary:part(At, 0, 20)), Ext} of
        {true, _} when Rev < 2 ->
            {ok, V1};
        {true, <<Len:32/little, Xsdt:64/little, _/binary>>} when Len >= 36, Len =< byte_size(At) ->
            case checksum_ok(binary:part(At, 0, Len)) of
                true -> {ok, V1#{xsdt => Xsdt}};
                false -> error
            end;
        _ ->
            error
    end;
rsdp_at(_, _) ->
    error.

%% Every table reachable from the RSDP, in this order: the root (the XSDT
%% from revision 2 on when there is one, else the RSDT), each table it
%% lists, then the DSDT and the FACS of the first FADT whose checksum is
%% right (its X_ pointers first). A table is {ok, Info, Bytes}, or {error,
%% Addr, Reason} where its pointer leads to nothing readable. A root that
%% cannot be read or trusted is {error, Reason} for the whole walk.
-spec tables(rsdp(), read()) -> {ok, [walked()]} | {error, term()}.
tables(#{revision := Rev, rsdt := Rsdt, xsdt := Xsdt}, Read) ->
    RootAddr = case Rev >= 2 andalso is_integer(Xsdt) andalso Xsdt =/= 0 of
                   true -> Xsdt;
                   false -> Rsdt
               end,
    case fetch(Read, RootAddr) of
        {ok, #{checksum_ok := false, signature := Sig}, _} ->
            {error, {bad_checksum, Sig}};
        {ok, Info, Root} ->
            case pointers(Root) of
                {ok, Addrs} ->
                    Listed = [fetch(Read, A) || A <- Addrs],
                    Known = [RootAddr | Addrs],
                    FromFadt = [A || A <- fadt_pointers(Listed), not lists:member(A, Known)],
                    {ok, [{ok, Info, Root} | Listed] ++ [fetch(Read, A) || A <- lists:uniq(FromFadt)]};
                Error ->
                    Error
            end;
        {error, _, Reason} ->
            {error, Reason}
    end.

%% The addresses an RSDT (32-bit) or XSDT (64-bit) lists, null ones left out.
pointers(<<"RSDT", Len:32/little, _:28/binary, Entries/binary>>) when (Len - 36) rem 4 =:= 0 ->
    {ok, [A || <<A:32/little>> <= Entries, A =/= 0]};
pointers(<<"XSDT", Len:32/little, _:28/binary, Entries/binary>>) when (Len - 36) rem 8 =:= 0 ->
    {ok, [A || <<A:64/little>> <= Entries, A =/= 0]};
pointers(<<Sig:4/binary, Len:32/little, _/binary>>) when Sig =:= <<"RSDT">>; Sig =:= <<"XSDT">> ->
    {error, {bad_length, Sig, Len}};
pointers(<<Sig:4/binary, _/binary>>) ->
    {error, {bad_root, Sig}}.

fadt_pointers(Listed) ->
    case [F || {ok, #{signature := <<"FACP">>, checksum_ok := true}, Bytes} <- Listed,
               {ok, F} <- [fadt(Bytes)]] of
        [#{dsdt := Dsdt, facs := Facs} = F | _] ->
            [A || A <- [wide(F, x_dsdt, Dsdt), wide(F, x_facs, Facs)], A =/= 0];
        [] ->
            []
    end.

wide(F, Key, Narrow) ->
    case maps:get(Key, F, 0) of
        0 -> Narrow;
        Wide -> Wide
    end.

%% A table read whole, as long as its header says it is (the FACS has a
%% header of its own, without checksum, 64 bytes at least).
fetch(Read, Addr) ->
    case Read(Addr, 8) of
        {ok, <<Sig:4/binary, Len:32/little>>} ->
            Min = case Sig of <<"FACS">> -> 64; _ -> 36 end,
            case Len >= Min andalso Len =< ?MAX_TABLE of
                false ->
                    {error, Addr, {bad_length, Sig, Len}};
                true ->
                    case Read(Addr, Len) of
                        {ok, Bytes} -> {ok, info(Addr, Bytes), Bytes};
                        {error, Reason} -> {error, Addr, Reason}
                    end
            end;
        {error, Reason} ->
            {error, Addr, Reason}
    end.

%% What list/0 shows of a table, from its header (Bytes: the whole table,
%% as long as its header says). The FACS has no OEM fields and no
%% checksum: its revision is its version byte, and its checksum_ok is
%% true, nothing being there to check.
info(Addr, <<"FACS", Len:32/little, _:24/binary, Version, _/binary>>) ->
    #{signature => <<"FACS">>, oem_id => <<>>, oem_table_id => <<>>, revision => Version,
      length => Len, address => Addr, checksum_ok => true};
info(Addr, <<Sig:4/binary, Len:32/little, Rev, _Sum, Oem:6/binary, OemTable:8/binary, _/binary>> = Bytes) ->
    #{signature => Sig, oem_id => trim(Oem), oem_table_id => trim(OemTable), revision => Rev,
      length => Len, address => Addr, checksum_ok => checksum_ok(Bytes)}.

%% The FADT ("FACP"): at least the 116 bytes of ACPI 1.0. Each field later
%% versions added is there when the table is long enough for it (the 64-bit
%% X_ pointers and register blocks from 244 bytes on); a register block is
%% a generic address: #{space, bit_width, bit_offset, access_size, address}.
-spec fadt(binary()) -> {ok, map()} | {error, term()}.
fadt(Bytes) ->
    case checked(<<"FACP">>, 116, Bytes) of
        {ok, T} ->
            Fields = [{Key, field(Kind, binary:part(T, Off, size_of(Kind)))}
                      || {Key, Off, Kind} <- fadt_fields(), Off + size_of(Kind) =< byte_size(T)],
            F = maps:from_list(Fields),
            {ok, F#{revision => binary:at(T, 8), iapc_boot_arch => boot_arch(maps:get(iapc_boot_arch, F))}};
        Error ->
            Error
    end.

%% {Key, Offset, Kind}: where the ACPI spec puts each FADT field, Kind its
%% width in bits or gas (a 12-byte generic address).
fadt_fields() ->
    [{facs, 36, 32}, {dsdt, 40, 32}, {preferred_pm_profile, 45, 8}, {sci_int, 46, 16}, {smi_cmd, 48, 32},
     {acpi_enable, 52, 8}, {acpi_disable, 53, 8}, {s4bios_req, 54, 8},
     {pm1a_evt_blk, 56, 32}, {pm1b_evt_blk, 60, 32}, {pm1a_cnt_blk, 64, 32}, {pm1b_cnt_blk, 68, 32},
     {pm2_cnt_blk, 72, 32}, {pm_tmr_blk, 76, 32}, {gpe0_blk, 80, 32}, {gpe1_blk, 84, 32},
     {pm1_evt_len, 88, 8}, {pm1_cnt_len, 89, 8}, {pm2_cnt_len, 90, 8}, {pm_tmr_len, 91, 8},
     {gpe0_blk_len, 92, 8}, {gpe1_blk_len, 93, 8}, {gpe1_base, 94, 8},
     {day_alrm, 106, 8}, {mon_alrm, 107, 8}, {century, 108, 8}, {iapc_boot_arch, 109, 16}, {flags, 112, 32},
     {reset_reg, 116, gas}, {reset_value, 128, 8}, {minor_revision, 131, 8},
     {x_facs, 132, 64}, {x_dsdt, 140, 64},
     {x_pm1a_evt_blk, 148, gas}, {x_pm1b_evt_blk, 160, gas}, {x_pm1a_cnt_blk, 172, gas},
     {x_pm1b_cnt_blk, 184, gas}, {x_pm2_cnt_blk, 196, gas}, {x_pm_tmr_blk, 208, gas},
     {x_gpe0_blk, 220, gas}, {x_gpe1_blk, 232, gas}].

size_of(gas) -> 12;
size_of(Bits) -> Bits div 8.

field(gas, Gas) -> gas(Gas);
field(_Bits, Bin) -> binary:decode_unsigned(Bin, little).

gas(<<Space, Width, Offset, Access, Addr:64/little>>) ->
    #{space => case Space of 0 -> system_memory; 1 -> system_io; 2 -> pci_config; 16#7F -> fixed_hw; S -> S end,
      bit_width => Width, bit_offset => Offset, access_size => Access, address => Addr}.

%% IA-PC boot architecture flags, those set, by name.
boot_arch(Flags) ->
    Names = [legacy_devices, i8042, no_vga, no_msi, no_pcie_aspm, no_cmos_rtc],
    [Name || {Bit, Name} <- lists:zip(lists:seq(0, 5), Names), Flags band (1 bsl Bit) =/= 0]
        ++ [{bit, B} || B <- lists:seq(6, 15), Flags band (1 bsl B) =/= 0].

%% The MADT ("APIC"): the local APIC's address, its flags (bit 0: 8259s
%% present) and every entry. An entry too short for its type, or one whose
%% length is under 2 or runs past the table, makes the table bad.
-spec madt(binary()) -> {ok, map()} | {error, term()}.
madt(Bytes) ->
    case checked(<<"APIC">>, 44, Bytes) of
        {ok, <<_:36/binary, Lapic:32/little, Flags:32/little, Entries/binary>>} ->
            case madt_entries(Entries, 44, []) of
                {ok, Es} -> {ok, #{lapic_address => Lapic, flags => Flags, entries => Es}};
                Error -> Error
            end;
        Error ->
            Error
    end.

madt_entries(<<>>, _, Acc) ->
    {ok, lists:reverse(Acc)};
madt_entries(<<Type, Len, _/binary>> = Bin, Off, Acc) when Len >= 2, Len =< byte_size(Bin) ->
    <<Entry:Len/binary, Rest/binary>> = Bin,
    case madt_entry(Type, Entry) of
        bad -> {error, {bad_madt_entry, Off}};
        E -> madt_entries(Rest, Off + Len, [E | Acc])
    end;
madt_entries(_, Off, _) ->
    {error, {bad_madt_entry, Off}}.

%% Entries may be longer than the spec's size (later revisions add to them).
madt_entry(0, <<_, _, Uid, ApicId, Flags:32/little, _/binary>>) ->
    #{type => lapic, processor_id => Uid, apic_id => ApicId, enabled => Flags band 1 =:= 1,
      online_capable => Flags band 2 =/= 0};
madt_entry(1, <<_, _, Id, _, Addr:32/little, GsiBase:32/little, _/binary>>) ->
    #{type => ioapic, id => Id, address => Addr, gsi_base => GsiBase};
madt_entry(2, <<_, _, Bus, Source, Gsi:32/little, Flags:16/little, _/binary>>) ->
    (inti(Flags))#{type => override, bus => Bus, source => Source, gsi => Gsi};
madt_entry(3, <<_, _, Flags:16/little, Gsi:32/little, _/binary>>) ->
    (inti(Flags))#{type => nmi_source, gsi => Gsi};
madt_entry(4, <<_, _, Uid, Flags:16/little, Lint, _/binary>>) -> % Uid 0xFF: every processor
    (inti(Flags))#{type => nmi, processor_id => Uid, lint => Lint};
madt_entry(5, <<_, _, _:16, Addr:64/little, _/binary>>) ->
    #{type => lapic_address_override, address => Addr};
madt_entry(9, <<_, _, _:16, X2ApicId:32/little, Flags:32/little, Uid:32/little, _/binary>>) ->
    #{type => x2apic, apic_id => X2ApicId, processor_uid => Uid, enabled => Flags band 1 =:= 1,
      online_capable => Flags band 2 =/= 0};
madt_entry(10, <<_, _, Flags:16/little, Uid:32/little, Lint, _/binary>>) -> % Uid 0xFFFFFFFF: every one
    (inti(Flags))#{type => x2apic_nmi, processor_uid => Uid, lint => Lint};
madt_entry(Type, _) when Type =< 5; Type =:= 9; Type =:= 10 ->
    bad;
madt_entry(Type, <<_, Len, Data/binary>>) ->
    #{type => {unknown, Type}, length => Len, data => Data}.

%% MPS INTI flags: polarity in bits 0-1, trigger mode in bits 2-3.
inti(Flags) ->
    #{flags => Flags,
      polarity => element(Flags band 3 + 1, {conforms, active_high, reserved, active_low}),
      trigger => element((Flags bsr 2) band 3 + 1, {conforms, edge, reserved, level})}.

%% The HPET table: its first timer block's address and what its Event
%% Timer Block ID says (the block's capabilities register, low half:
%% comparators holds the count, the ID the last index).
-spec hpet(binary()) -> {ok, map()} | {error, term()}.
hpet(Bytes) ->
    case checked(<<"HPET">>, 56, Bytes) of
        {ok, <<_:36/binary, Id:32/little, Gas:12/binary, Number, MinTick:16/little, Protection, _/binary>>} ->
            #{space := Space, address := Addr} = gas(Gas),
            {ok, #{event_timer_block_id => Id, address => Addr, address_space => Space, hpet_number => Number,
                   min_tick => MinTick, page_protection => Protection band 16#F,
                   hardware_rev => Id band 16#FF, comparators => (Id bsr 8) band 16#1F + 1,
                   counter_64bit => Id band (1 bsl 13) =/= 0, legacy_capable => Id band (1 bsl 15) =/= 0,
                   pci_vendor => Id bsr 16}};
        Error ->
            Error
    end.

%% The table's Length bytes, once its signature, length and checksum check.
checked(Sig, Min, Bytes) ->
    case Bytes of
        <<Sig:4/binary, Len:32/little, _/binary>> when Len > byte_size(Bytes) -> {error, {truncated, Sig}};
        <<Sig:4/binary, Len:32/little, _/binary>> when Len < Min -> {error, {too_short, Sig, Len}};
        <<Sig:4/binary, Len:32/little, _/binary>> ->
            T = binary:part(Bytes, 0, Len),
            case checksum_ok(T) of
                true -> {ok, T};
                false -> {error, {bad_checksum, Sig}}
            end;
        <<Other:4/binary, _:32, _/binary>> -> {error, {not_a, Sig, Other}};
        _ -> {error, {truncated, Sig}}
    end.

%% Whether the bytes add up to 0 (mod 256), as every ACPI checksum wants.
-spec checksum_ok(binary()) -> boolean().
checksum_ok(Bin) ->
    sum(Bin, 0) =:= 0.

sum(<<B, Rest/binary>>, S) -> sum(Rest, (S + B) band 16#FF);
sum(<<>>, S) -> S.

%% OEM fields are padded with spaces (or NULs); any other byte is kept.
trim(Bin) ->
    trim(Bin, byte_size(Bin)).

trim(Bin, N) when N > 0 ->
    case binary:at(Bin, N - 1) of
        B when B =:= $\s; B =:= 0 -> trim(Bin, N - 1);
        _ -> binary:part(Bin, 0, N)
    end;
trim(_, 0) ->
    <<>>.
