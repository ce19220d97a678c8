%% EUnit for acpi_decode, on hand-made tables whose checksums are computed
%% here: the RSDP scan, the walk from it (memory as a list of regions),
%% the FADT, MADT and HPET, and what bad checksums, truncated tables and
%% lengths past the data give.
-module(acpi_decode_tests).
-include_lib("eunit/include/eunit.hrl").

-define(BIOS, 16#E0000).

%% ---------------------------------------------------------------- builders

%% Bytes with the byte at At set so that all of them add up to 0.
seal(Bin, At) ->
    <<Before:At/binary, _, After/binary>> = Bin,
    Zeroed = <<Before/binary, 0, After/binary>>,
    Sum = lists:sum(binary_to_list(Zeroed)) band 16#FF,
    <<Before/binary, ((256 - Sum) band 16#FF), After/binary>>.

sdt(Sig, Rev, Body) ->
    seal(<<Sig/binary, (36 + byte_size(Body)):32/little, Rev, 0, "HYDROS", "TEST    ",
           1:32/little, "HYDR", 1:32/little, Body/binary>>, 9).

rsdp_v1(Rsdt) ->
    seal(<<"RSD PTR ", 0, "OEMID ", 0, Rsdt:32/little>>, 8).

rsdp_v2(Rsdt, Xsdt) ->
    V1 = seal(<<"RSD PTR ", 0, "OEMID ", 2, Rsdt:32/little>>, 8),
    seal(<<V1/binary, 36:32/little, Xsdt:64/little, 0, 0:24>>, 32).

%% The BIOS area with Rsdp at offset Off.
bios(Off, Rsdp) ->
    <<0:(Off * 8), Rsdp/binary, 0:((16#20000 - Off - byte_size(Rsdp)) * 8)>>.

%% Memory as [{Addr, Bytes}]: a read outside every region fails as the
%% server's does.
reader(Regions) ->
    fun(Addr, Len) ->
            case [binary:part(B, Addr - A, Len) || {A, B} <- Regions, A =< Addr, Addr + Len =< A + byte_size(B)] of
                [Bytes | _] -> {ok, Bytes};
                [] -> {error, {not_mapped, Addr}}
            end
    end.

fadt_body(Facs, Dsdt) ->
    %% ACPI 1.0's 116 bytes: SCI 9, SMI 0xB2, PM1a at 0x600/0x604, timer at 0x608 (4 bytes), century 0x32.
    <<Facs:32/little, Dsdt:32/little, 0, 0, 9:16/little, 16#B2:32/little, 16#F1, 16#F0, 0, 0,
      16#600:32/little, 0:32, 16#604:32/little, 0:32, 0:32, 16#608:32/little, 16#AFE0:32/little, 0:32,
      4, 2, 0, 4, 4, 0, 0, 0, 0:16, 0:16, 0:16, 0:16, 0, 0, 0, 0, 16#32, 16#0003:16/little, 0,
      16#80A5:32/little>>.

fadt(Facs, Dsdt) ->
    sdt(<<"FACP">>, 1, fadt_body(Facs, Dsdt)).

%% ACPI 2.0+ length (244): reset register, then the X_ pointers and blocks.
fadt_x(XFacs, XDsdt) ->
    Gas = fun(Space, Width, Addr) -> <<Space, Width, 0, 0, Addr:64/little>> end,
    Tail = <<(Gas(1, 8, 16#CF9))/binary, 16#0F, 0:16, 0, XFacs:64/little, XDsdt:64/little,
             (Gas(1, 32, 16#600))/binary, (Gas(0, 0, 0))/binary, (Gas(1, 16, 16#604))/binary,
             (Gas(0, 0, 0))/binary, (Gas(0, 0, 0))/binary, (Gas(1, 32, 16#608))/binary,
             (Gas(1, 128, 16#620))/binary, (Gas(0, 0, 0))/binary>>,
    sdt(<<"FACP">>, 3, <<(fadt_body(0, 0))/binary, Tail/binary>>).

facs() ->
    <<"FACS", 64:32/little, 0:(24 * 8), 1, 0:(31 * 8)>>.

madt(Entries) ->
    sdt(<<"APIC">>, 1, <<16#FEE00000:32/little, 1:32/little, (iolist_to_binary(Entries))/binary>>).

lapic(Uid, Id) -> <<0, 8, Uid, Id, 1:32/little>>.
ioapic() -> <<1, 12, 0, 0, 16#FEC00000:32/little, 0:32/little>>.
override(Src, Gsi, Flags) -> <<2, 10, 0, Src, Gsi:32/little, Flags:16/little>>.
lapic_nmi() -> <<4, 6, 16#FF, 0:16, 1>>.

hpet() ->
    sdt(<<"HPET">>, 1, <<16#8086A201:32/little, 0, 64, 0, 0, 16#FED00000:64/little, 0, 128:16/little, 0>>).

%% A whole firmware: RSDP in the BIOS area, RSDT listing FADT, MADT, HPET,
%% and the FADT's DSDT and FACS.
firmware() ->
    Tables = [{16#7FE0000, facs()}, {16#7FE0040, sdt(<<"DSDT">>, 1, <<16#10, 0, 0>>)},
              {16#7FE1000, fadt(16#7FE0000, 16#7FE0040)}, {16#7FE1100, madt([lapic(0, 0), ioapic()])},
              {16#7FE1200, hpet()}],
    Rsdt = sdt(<<"RSDT">>, 1, <<16#7FE1000:32/little, 16#7FE1100:32/little, 16#7FE1200:32/little>>),
    [{?BIOS, bios(16#159D0, rsdp_v1(16#7FE2000))}, {16#7FE2000, Rsdt} | Tables].

walk(Regions) ->
    Read = reader(Regions),
    {ok, Area} = Read(?BIOS, 16#20000),
    {ok, Rsdp} = acpi_decode:rsdp(Area, ?BIOS),
    acpi_decode:tables(Rsdp, Read).

signatures({ok, Tables}) ->
    [case T of {ok, #{signature := S}, _} -> S; {error, _, R} -> R end || T <- Tables].

%% ---------------------------------------------------------------- RSDP

rsdp_test_() ->
    V2 = rsdp_v2(16#1000, 16#2000),
    Bad = <<"RSD PTR ", 1, "OEMID ", 0, 16#1000:32/little>>,
    [?_assertEqual({ok, #{revision => 0, oem_id => <<"OEMID">>, address => ?BIOS + 16#159D0,
                          rsdt => 16#1000, xsdt => undefined}},
                   acpi_decode:rsdp(bios(16#159D0, rsdp_v1(16#1000)), ?BIOS)),
     ?_assertMatch({ok, #{revision := 2, rsdt := 16#1000, xsdt := 16#2000}}, acpi_decode:rsdp(bios(16#20, V2), ?BIOS)),
     %% Only on 16-byte boundaries; a bad checksum is passed over for the next one.
     ?_assertEqual({error, no_rsdp}, acpi_decode:rsdp(bios(16#24, rsdp_v1(16#1000)), ?BIOS)),
     ?_assertEqual({error, no_rsdp}, acpi_decode:rsdp(bios(16#20, Bad), ?BIOS)),
     ?_assertMatch({ok, #{address := 16#E0040}},
                   acpi_decode:rsdp(bios(16#20, <<Bad/binary, 0:(12 * 8), (rsdp_v1(16#1000))/binary>>), ?BIOS)),
     %% Revision 2 with a bad extended checksum, or a length past the area.
     ?_assertEqual({error, no_rsdp},
                   acpi_decode:rsdp(bios(16#20, <<(binary:part(V2, 0, 35))/binary, 1>>), ?BIOS)),
     ?_assertEqual({error, no_rsdp}, acpi_decode:rsdp(binary:part(V2, 0, 30), ?BIOS)),
     ?_assertEqual({error, no_rsdp}, acpi_decode:rsdp(<<>>, ?BIOS))].

%% ---------------------------------------------------------------- walk

walk_test_() ->
    {ok, [{ok, Root, _} | _] = Tables} = walk(firmware()),
    Infos = [I || {ok, I, _} <- Tables],
    [?_assertEqual([<<"RSDT">>, <<"FACP">>, <<"APIC">>, <<"HPET">>, <<"DSDT">>, <<"FACS">>], signatures({ok, Tables})),
     ?_assertEqual(#{signature => <<"RSDT">>, oem_id => <<"HYDROS">>, oem_table_id => <<"TEST">>, revision => 1,
                     length => 48, address => 16#7FE2000, checksum_ok => true}, Root),
     ?_assert(lists:all(fun(#{checksum_ok := Ok}) -> Ok end, Infos)),
     ?_assertMatch([#{oem_id := <<>>, revision := 1, length := 64}],
                   [I || I = #{signature := <<"FACS">>} <- Infos])].

walk_xsdt_test() ->
    %% Revision 2: the XSDT is the root, not the RSDT.
    Xsdt = sdt(<<"XSDT">>, 1, <<16#7FE1200:64/little>>),
    Regions = [{?BIOS, bios(16#40, rsdp_v2(16#7FE2000, 16#7FE3000))}, {16#7FE3000, Xsdt}
               | tl(tl(firmware()))],
    ?assertEqual([<<"XSDT">>, <<"HPET">>], signatures(walk(Regions))).

walk_bad_test_() ->
    [{?BIOS, Bios}, {RsdtAt, _} | Tables] = firmware(),
    Rsdt = fun(Addrs) -> sdt(<<"RSDT">>, 1, << <<A:32/little>> || A <- Addrs >>) end,
    Hpet = hpet(),
    BadHpet = <<(binary:part(Hpet, 0, 55))/binary, 1>>,
    LongHpet = <<"HPET", 4000:32/little, (binary:part(Hpet, 8, 48))/binary>>,
    With = fun(Root, Extra) -> [{?BIOS, Bios}, {RsdtAt, Root} | Extra ++ Tables] end,
    [%% A table with a bad checksum is listed as such.
     ?_assertMatch({ok, [_, {ok, #{signature := <<"HPET">>, checksum_ok := false}, _}]},
                   walk(With(Rsdt([16#9000]), [{16#9000, BadHpet}]))),
     %% A pointer to nothing, and a length past what is there.
     ?_assertEqual([<<"RSDT">>, {not_mapped, 16#50000}], signatures(walk(With(Rsdt([16#50000]), [])))),
     ?_assertEqual([<<"RSDT">>, {not_mapped, 16#9000}], signatures(walk(With(Rsdt([16#9000]), [{16#9000, LongHpet}])))),
     ?_assertEqual([<<"RSDT">>, {bad_length, <<"HPET">>, 8}],
                   signatures(walk(With(Rsdt([16#9000]), [{16#9000, <<"HPET", 8:32/little>>}])))),
     %% A root that cannot be trusted ends the walk.
     ?_assertEqual({error, {bad_checksum, <<"RSDT">>}},
                   walk(With(<<(binary:part(Rsdt([]), 0, 35))/binary, 7>>, []))),
     ?_assertEqual({error, {bad_length, <<"RSDT">>, 38}},
                   walk(With(sdt(<<"RSDT">>, 1, <<1, 2>>), []))),
     ?_assertEqual({error, {bad_root, <<"HPET">>}}, walk(With(Hpet, []))),
     ?_assertEqual({error, {not_mapped, RsdtAt}}, walk([{?BIOS, Bios}]))].

%% ---------------------------------------------------------------- FADT

fadt_test_() ->
    {ok, F} = acpi_decode:fadt(fadt(16#7FE0000, 16#7FE0040)),
    {ok, X} = acpi_decode:fadt(fadt_x(16#1_0000_0000, 16#1_0000_1000)),
    [?_assertMatch(#{facs := 16#7FE0000, dsdt := 16#7FE0040, sci_int := 9, smi_cmd := 16#B2,
                     acpi_enable := 16#F1, pm1a_evt_blk := 16#600, pm1a_cnt_blk := 16#604, pm_tmr_blk := 16#608,
                     pm_tmr_len := 4, gpe0_blk := 16#AFE0, century := 16#32, flags := 16#80A5,
                     iapc_boot_arch := [legacy_devices, i8042], revision := 1}, F),
     ?_assertNot(maps:is_key(x_dsdt, F)),
     ?_assertNot(maps:is_key(reset_reg, F)),
     ?_assertMatch(#{revision := 3, x_facs := 16#1_0000_0000, x_dsdt := 16#1_0000_1000, reset_value := 16#0F,
                     reset_reg := #{space := system_io, bit_width := 8, address := 16#CF9},
                     x_pm_tmr_blk := #{space := system_io, bit_width := 32, address := 16#608},
                     x_pm1b_evt_blk := #{space := system_memory, address := 0}}, X)].

fadt_x_pointers_test() ->
    %% The X_ pointers win over the 32-bit ones when they are set.
    [{?BIOS, Bios}, {RsdtAt, _} | _] = firmware(),
    Regions = [{?BIOS, Bios}, {RsdtAt, sdt(<<"RSDT">>, 1, <<16#9000:32/little>>)},
               {16#9000, fadt_x(16#A000, 16#A100)}, {16#A000, facs()}, {16#A100, sdt(<<"DSDT">>, 2, <<>>)}],
    ?assertMatch({ok, [_, _, {ok, #{signature := <<"DSDT">>, address := 16#A100}, _},
                       {ok, #{signature := <<"FACS">>, address := 16#A000}, _}]}, walk(Regions)).

fadt_bad_test_() ->
    Good = fadt(0, 0),
    [?_assertEqual({error, {bad_checksum, <<"FACP">>}}, acpi_decode:fadt(<<(binary:part(Good, 0, 115))/binary, 1>>)),
     ?_assertEqual({error, {truncated, <<"FACP">>}}, acpi_decode:fadt(binary:part(Good, 0, 100))),
     ?_assertEqual({error, {truncated, <<"FACP">>}}, acpi_decode:fadt(<<"FAC">>)),
     ?_assertEqual({error, {too_short, <<"FACP">>, 60}}, acpi_decode:fadt(sdt(<<"FACP">>, 1, <<0:(24 * 8)>>))),
     ?_assertEqual({error, {not_a, <<"FACP">>, <<"APIC">>}}, acpi_decode:fadt(madt([])))].

%% ---------------------------------------------------------------- MADT

madt_test() ->
    Unknown = <<16#7F, 5, 1, 2, 3>>,
    X2apic = <<9, 16, 0:16, 300:32/little, 1:32/little, 7:32/little>>,
    ?assertEqual({ok, #{lapic_address => 16#FEE00000, flags => 1,
                        entries => [#{type => lapic, processor_id => 1, apic_id => 2, enabled => true,
                                      online_capable => false},
                                    #{type => ioapic, id => 0, address => 16#FEC00000, gsi_base => 0},
                                    #{type => override, bus => 0, source => 0, gsi => 2, flags => 0,
                                      polarity => conforms, trigger => conforms},
                                    #{type => override, bus => 0, source => 9, gsi => 9, flags => 16#D,
                                      polarity => active_high, trigger => level},
                                    #{type => nmi, processor_id => 16#FF, lint => 1, flags => 0,
                                      polarity => conforms, trigger => conforms},
                                    #{type => x2apic, apic_id => 300, processor_uid => 7, enabled => true,
                                      online_capable => false},
                                    #{type => {unknown, 16#7F}, length => 5, data => <<1, 2, 3>>}]}},
                 acpi_decode:madt(madt([lapic(1, 2), ioapic(), override(0, 2, 0), override(9, 9, 16#D),
                                        lapic_nmi(), X2apic, Unknown]))).

madt_bad_test_() ->
    Good = madt([lapic(0, 0)]),
    [%% An entry of length 0 (would loop), one past the end, one too short for its type.
     ?_assertEqual({error, {bad_madt_entry, 52}}, acpi_decode:madt(madt([lapic(0, 0), <<0, 0>>]))),
     ?_assertEqual({error, {bad_madt_entry, 44}}, acpi_decode:madt(madt([<<0, 9, 0, 0, 1:32/little>>]))),
     ?_assertEqual({error, {bad_madt_entry, 44}}, acpi_decode:madt(madt([<<1, 8, 0, 0, 0:32>>]))),
     ?_assertEqual({error, {bad_madt_entry, 44}}, acpi_decode:madt(madt([<<0>>]))),
     ?_assertEqual({error, {bad_checksum, <<"APIC">>}}, acpi_decode:madt(<<(binary:part(Good, 0, 51))/binary, 9>>)),
     ?_assertEqual({error, {truncated, <<"APIC">>}}, acpi_decode:madt(binary:part(Good, 0, 50))),
     ?_assertEqual({error, {too_short, <<"APIC">>, 40}}, acpi_decode:madt(sdt(<<"APIC">>, 1, <<0:32>>)))].

%% ---------------------------------------------------------------- HPET

hpet_test_() ->
    Good = hpet(),
    [?_assertEqual({ok, #{event_timer_block_id => 16#8086A201, address => 16#FED00000, address_space => system_memory,
                          hpet_number => 0, min_tick => 128, page_protection => 0, hardware_rev => 1,
                          comparators => 3, counter_64bit => true, legacy_capable => true, pci_vendor => 16#8086}},
                   acpi_decode:hpet(Good)),
     ?_assertEqual({error, {bad_checksum, <<"HPET">>}}, acpi_decode:hpet(<<(binary:part(Good, 0, 55))/binary, 1>>)),
     ?_assertEqual({error, {truncated, <<"HPET">>}}, acpi_decode:hpet(binary:part(Good, 0, 55))),
     ?_assertEqual({error, {too_short, <<"HPET">>, 40}}, acpi_decode:hpet(sdt(<<"HPET">>, 1, <<0:32>>)))].

%% ---------------------------------------------------------------- info

info_test() ->
    %% OEM fields padded with NULs as well as spaces; inner spaces kept.
    [{?BIOS, Bios}, {RsdtAt, _} | _] = firmware(),
    Ssdt = seal(<<"SSDT", 40:32/little, 2, 0, "AB", 0, " ", 0, 0, "X Y", 0:40, 0:128>>, 9),
    Regions = [{?BIOS, Bios}, {RsdtAt, sdt(<<"RSDT">>, 1, <<16#9000:32/little>>)}, {16#9000, Ssdt}],
    ?assertMatch({ok, [_, {ok, #{signature := <<"SSDT">>, oem_id := <<"AB">>, oem_table_id := <<"X Y">>,
                                 revision := 2, length := 40, address := 16#9000, checksum_ok := true}, Ssdt}]},
                 walk(Regions)).
