%% EUnit for smbios_decode, on hand-made bytes whose checksums are computed
%% here: both kinds of entry point, found or refused, and structure tables
%% with strings, missing strings, short (older) structures and truncated
%% ones.
-module(smbios_decode_tests).
-include_lib("eunit/include/eunit.hrl").

-define(SEG, 16#F0000).

%% ---------------------------------------------------------------- builders

%% Bytes with the byte at At set so that all of them add up to 0.
seal(Bin, At) ->
    <<Before:At/binary, _, After/binary>> = Bin,
    Sum = lists:sum(binary_to_list(<<Before/binary, 0, After/binary>>)) band 16#FF,
    <<Before/binary, ((256 - Sum) band 16#FF), After/binary>>.

ep2(Table, Len, Count) ->
    Dmi = seal(<<"_DMI_", 0, Len:16/little, Table:32/little, Count:16/little, 16#28>>, 5),
    seal(<<"_SM_", 0, 16#1F, 2, 8, 256:16/little, 0, 0:40, Dmi/binary>>, 4).

ep3(Table, Max) ->
    seal(<<"_SM3_", 0, 16#18, 3, 0, 0, 1, 0, Max:32/little, Table:64/little>>, 5).

%% The F segment with each {Offset, Bytes} in place.
seg(Parts) ->
    lists:foldl(fun({Off, Bin}, Seg) ->
                        <<Before:Off/binary, _:(byte_size(Bin))/binary, After/binary>> = Seg,
                        <<Before/binary, Bin/binary, After/binary>>
                end, <<0:(16#10000 * 8)>>, Parts).

%% A structure: header, the rest of the formatted area, its strings.
st(Type, Handle, Formatted, Strings) ->
    Set = case Strings of
              [] -> <<0, 0>>;
              _ -> <<(iolist_to_binary([[S, 0] || S <- Strings]))/binary, 0>>
          end,
    <<Type, (4 + byte_size(Formatted)), Handle:16/little, Formatted/binary, Set/binary>>.

bios() ->
    st(0, 0, <<1, 2, 16#E800:16/little, 3, 0, 0:64, 0:16, 0, 0, 16#FF, 16#FF>>,
       ["SeaBIOS", "1.16.2", "04/01/2014"]).

%% QEMU's -uuid 12345678-9abc-def0-1122-334455667788, as SMBIOS 2.6 on stores it.
-define(UUID, <<16#78, 16#56, 16#34, 16#12, 16#BC, 16#9A, 16#F0, 16#DE, 16#11, 16#22, 16#33, 16#44, 16#55, 16#66, 16#77, 16#88>>).

system() ->
    %% No serial (string 0), and a family string that is not there (9).
    st(1, 16#100, <<1, 2, 3, 0, ?UUID/binary, 6, 4, 9>>, ["QEMU", "Standard PC", "pc-7.2", "SKU1"]).

processor(Cores, Threads, Formatted3) ->
    <<Base:38/binary>> = <<1, 3, 16#FE, 2, 0:64, 3, 0, 0:16, 2000:16/little, 1800:16/little, 16#41, 1,
                           16#FFFF:16/little, 16#FFFF:16/little, 16#FFFF:16/little, 0, 0, 0,
                           Cores, Cores, Threads, 0:16, 16#FE:16/little>>,
    st(4, 16#400, <<Base/binary, Formatted3/binary>>, ["CPU 0", "QEMU", "pc-7.2"]).

array() ->
    st(16, 16#1000, <<1, 3, 6, 16#80000000:32/little, 16#FFFE:16/little, 2:16/little, (1 bsl 40):64/little>>, []).

dimm(Size, Extended) ->
    st(17, 16#1100, <<16#1000:16/little, 16#FFFE:16/little, 64:16/little, 64:16/little, Size:16/little, 9, 0,
                      1, 0, 7, 2:16/little, 3200:16/little, 2, 0, 0, 0, 0, Extended:32/little>>,
       ["DIMM 0", "QEMU"]).

the_end() ->
    st(127, 16#7F00, <<>>, []).

table(Structures) ->
    iolist_to_binary(Structures).

decode(Structures) ->
    smbios_decode:structures(table(Structures), {2, 8}, undefined).

%% ---------------------------------------------------------------- entry points

entry_point_test_() ->
    Two = ep2(16#F5A10, 388, 9),
    Three = ep3(16#7FF0000, 16#2000),
    [?_assertEqual({ok, #{version => {2, 8}, address => 16#F59F0, table_address => 16#F5A10, table_length => 388,
                          structures => 9}}, smbios_decode:entry_point(seg([{16#59F0, Two}]), ?SEG)),
     ?_assertEqual({ok, #{version => {3, 0}, address => 16#F0100, table_address => 16#7FF0000, table_length => 16#2000,
                          structures => undefined}}, smbios_decode:entry_point(seg([{16#100, Three}]), ?SEG)),
     %% 3.x wins, even above a 2.x one.
     ?_assertMatch({ok, #{version := {3, 0}}}, smbios_decode:entry_point(seg([{16#10, Two}, {16#100, Three}]), ?SEG)),
     %% A 3.x one with a bad checksum is passed over.
     ?_assertMatch({ok, #{version := {2, 8}}},
                   smbios_decode:entry_point(seg([{16#10, Two}, {16#100, <<Three/binary, 0>>}, {16#117, <<1>>}]), ?SEG))].

entry_point_bad_test_() ->
    Two = ep2(16#F5A10, 388, 9),
    <<Head:16/binary, Dmi/binary>> = Two,
    <<DmiHead:6/binary, _, DmiTail/binary>> = Dmi,
    %% "_DMI_" part changed, the outer checksum made right again: still refused.
    BadDmi = seal(<<Head/binary, DmiHead/binary, 16#99, DmiTail/binary>>, 4),
    ShortLen = seal(<<(binary:part(Two, 0, 5))/binary, 16#1E, (binary:part(Two, 6, 25))/binary>>, 4),
    [?_assertEqual({error, no_smbios}, smbios_decode:entry_point(seg([{16#18, Two}]), ?SEG)), % not 16-aligned
     ?_assertEqual({error, no_smbios}, smbios_decode:entry_point(seg([{16#10, BadDmi}]), ?SEG)),
     ?_assertEqual({error, no_smbios}, smbios_decode:entry_point(seg([{16#10, ShortLen}]), ?SEG)),
     ?_assertEqual({error, no_smbios}, smbios_decode:entry_point(seg([{16#10, ep2(16#F5A10, 0, 9)}]), ?SEG)),
     ?_assertEqual({error, no_smbios}, smbios_decode:entry_point(seg([{16#10, ep3(16#7FF0000, 0)}]), ?SEG)),
     %% Cut off at the end of the segment.
     ?_assertEqual({error, no_smbios}, smbios_decode:entry_point(binary:part(Two, 0, 20), ?SEG)),
     ?_assertEqual({error, no_smbios}, smbios_decode:entry_point(<<>>, ?SEG))].

%% ---------------------------------------------------------------- structures

structures_test_() ->
    {ok, [Bios, System, Cpu, Array, Dimm, Other, End]} =
        decode([bios(), system(), processor(2, 4, <<>>), array(), dimm(16#7FFF, 40960), st(3, 16#300, <<1>>, ["x"]),
                the_end(), bios()]),
    [?_assertEqual(#{type => 0, handle => 0, length => 24, vendor => <<"SeaBIOS">>, version => <<"1.16.2">>,
                     release_date => <<"04/01/2014">>, start_segment => 16#E800, rom_size => 64, release => {0, 0},
                     ec_release => {255, 255}}, Bios),
     ?_assertEqual(#{type => 1, handle => 16#100, length => 27, manufacturer => <<"QEMU">>,
                     product => <<"Standard PC">>, version => <<"pc-7.2">>, serial => <<>>,
                     uuid => <<"12345678-9abc-def0-1122-334455667788">>, sku => <<"SKU1">>, family => <<>>}, System),
     ?_assertMatch(#{type := 4, socket := <<"CPU 0">>, manufacturer := <<"QEMU">>, version := <<"pc-7.2">>,
                     max_speed := 2000, current_speed := 1800, core_count := 2, core_enabled := 2, thread_count := 4,
                     populated := true, serial := <<>>}, Cpu),
     ?_assertMatch(#{type := 16, location := other, use := system_memory, error_correction := multi_bit_ecc,
                     max_capacity := 1073741824, devices := 2}, Array),
     ?_assertMatch(#{type := 17, size := 40960, form_factor := dimm, locator := <<"DIMM 0">>, bank := <<>>,
                     memory_type := ram, speed := 3200, manufacturer := <<"QEMU">>}, Dimm),
     ?_assertEqual(#{type => 3, handle => 16#300, length => 5}, Other),
     ?_assertEqual(#{type => 127, handle => 16#7F00, length => 4}, End)].

fields_test_() ->
    Size = fun(S, E) -> {ok, [#{size := M}]} = decode([dimm(S, E)]), M end,
    Short = st(1, 1, <<1, 2, 0, 0>>, ["A", "B"]), % SMBIOS 2.0: no UUID, SKU or family
    [?_assertEqual(512, Size(512, 0)),
     ?_assertEqual(2, Size(16#8000 bor 2048, 0)), % in KiB
     ?_assertEqual(0, Size(0, 0)), % slot empty
     ?_assertEqual(undefined, Size(16#FFFF, 0)),
     ?_assertMatch({ok, [#{manufacturer := <<"A">>, product := <<"B">>, version := <<>>, uuid := undefined,
                           sku := undefined, family := undefined}]}, decode([Short])),
     %% Before 2.6 a UUID's bytes are taken in order.
     ?_assertMatch({ok, [#{uuid := <<"78563412-bc9a-f0de-1122-334455667788">>}]},
                   smbios_decode:structures(system(), {2, 5}, undefined)),
     %% SMBIOS 3.0's counts for more than 254 cores.
     ?_assertMatch({ok, [#{core_count := 300, thread_count := 600}]},
                   decode([processor(16#FF, 16#FF, <<300:16/little, 300:16/little, 600:16/little>>)])),
     ?_assertEqual({ok, []}, decode([]))].

structures_end_test_() ->
    %% The end: a count reached, or the table's last byte.
    [?_assertMatch({ok, [#{type := 0}, #{type := 1}]},
                   smbios_decode:structures(table([bios(), system(), the_end()]), {2, 8}, 2)),
     ?_assertMatch({ok, [#{type := 0}]}, decode([bios()]))].

truncated_test_() ->
    Bios = bios(),
    [?_assertEqual({error, {truncated, 0}}, decode([binary:part(Bios, 0, byte_size(Bios) - 1)])), % one NUL missing
     ?_assertEqual({error, {truncated, 0}}, decode([binary:part(Bios, 0, 24)])), % no strings at all
     ?_assertEqual({error, {truncated, 0}}, decode([binary:part(Bios, 0, 10)])), % formatted area cut
     ?_assertEqual({error, {truncated, 0}}, decode([<<0, 3, 0, 0, 0, 0>>])), % length under 4
     ?_assertEqual({error, {truncated, byte_size(Bios)}}, decode([Bios, <<1, 27>>])),
     ?_assertEqual({error, {truncated, 0}}, decode([<<1, 200, 0, 0, 0, 0>>]))].
