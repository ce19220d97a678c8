%% SMBIOS from its bytes (pure): the entry point found in the F segment,
%% and the structure table decoded. Firmware data is untrusted: lengths and
%% checksums are checked, and garbage gives {error, Reason}, never an
%% exception.
%%
%% A structure is #{type, handle, length} (length: its formatted area),
%% plus for the types decoded here every field of the spec's list below,
%% undefined where the structure is too short to hold it (an older
%% version). A string field is <<>> for string 0 (none) or an index past
%% the structure's strings.
-module(smbios_decode).
-export([entry_point/2, structures/3]).
-export_type([entry_point/0, structure/0]).

-type version() :: {byte(), byte()}.
-type entry_point() :: #{version := version(), address := non_neg_integer(), table_address := non_neg_integer(),
                         table_length := non_neg_integer(), structures := non_neg_integer() | undefined}.
-type structure() :: #{type := byte(), handle := 0..16#FFFF, length := byte(), atom() => term()}.

-define(EP2_LEN, 16#1F). % "_SM_", 2.1 and later
-define(EP3_LEN, 16#18). % "_SM3_"
-define(EP_MAX, 16#40).  % what the kernel's finder (percore/smbios.c) accepts too

%% The entry point on a 16-byte boundary of Area, which starts at physical
%% address Base: a 3.x one ("_SM3_") wins over a 2.x one ("_SM_", whose
%% "_DMI_" part must check too). For 3.x, table_length is the table's
%% maximum size and structures is undefined.
-spec entry_point(binary(), non_neg_integer()) -> {ok, entry_point()} | {error, no_smbios}.
entry_point(Area, Base) ->
    case scan(Area, Base, 0, fun smbios3/2) of
        {ok, _} = Ok ->
            Ok;
        error ->
            case scan(Area, Base, 0, fun smbios2/2) of
                {ok, _} = Ok -> Ok;
                error -> {error, no_smbios}
            end
    end.

scan(Area, Base, Off, Decode) when Off + 16 =< byte_size(Area) ->
    <<_:Off/binary, At/binary>> = Area,
    case Decode(At, Base + Off) of
        {ok, _} = Ok -> Ok;
        error -> scan(Area, Base, Off + 16, Decode)
    end;
scan(_, _, _, _) ->
    error.

smbios3(<<"_SM3_", _, Len, _/binary>> = At, Addr) when Len >= ?EP3_LEN, Len =< ?EP_MAX, Len =< byte_size(At) ->
    <<_:7/binary, Major, Minor, _DocRev, _EpRev, _, Max:32/little, Table:64/little, _/binary>> = At,
    case checksum_ok(binary:part(At, 0, Len)) andalso Max > 0 of
        true -> {ok, #{version => {Major, Minor}, address => Addr, table_address => Table,
                       table_length => Max, structures => undefined}};
        false -> error
    end;
smbios3(_, _) ->
    error.

smbios2(<<"_SM_", _, Len, _/binary>> = At, Addr) when Len >= ?EP2_LEN, Len =< ?EP_MAX, Len =< byte_size(At) ->
    <<_:6/binary, Major, Minor, _:8/binary, Dmi:15/binary, _/binary>> = At,
    case {checksum_ok(binary:part(At, 0, Len)), checksum_ok(Dmi), Dmi} of
        {true, true, <<"_DMI_", _, TLen:16/little, Table:32/little, Count:16/little, _>>} when TLen > 0 ->
            {ok, #{version => {Major, Minor}, address => Addr, table_address => Table,
                   table_length => TLen, structures => Count}};
        _ ->
            error
    end;
smbios2(_, _) ->
    error.

%% The structures of Table (the structure table's bytes) in order, up to
%% and with the end-of-table one (type 127), Count of them (undefined: no
%% limit) or the end of Table, whichever comes first. Version is the entry
%% point's (a UUID's first three fields are little-endian from 2.6 on). A
%% structure that runs past the table is {error, {truncated, Offset}}.
-spec structures(binary(), version(), non_neg_integer() | undefined) -> {ok, [structure()]} | {error, term()}.
structures(Table, Version, Count) ->
    structures(Table, 0, Version, Count, []).

structures(Table, Off, _, Count, Acc) when Off =:= byte_size(Table); length(Acc) =:= Count ->
    {ok, lists:reverse(Acc)};
structures(Table, Off, Version, Count, Acc) ->
    case Table of
        <<_:Off/binary, Type, Len, Handle:16/little, _/binary>> when Len >= 4, Off + Len =< byte_size(Table) ->
            %% The strings end at the first double NUL: a string is never empty.
            case binary:match(Table, <<0, 0>>, [{scope, {Off + Len, byte_size(Table) - Off - Len}}]) of
                {End, 2} ->
                    Strings = binary:split(binary:part(Table, Off + Len, End - Off - Len), <<0>>, [global, trim_all]),
                    S = {binary:part(Table, Off, Len), Strings},
                    Structure = maps:merge(#{type => Type, handle => Handle, length => Len},
                                           fields(Type, S, Version)),
                    case Type of
                        127 -> {ok, lists:reverse(Acc, [Structure])};
                        _ -> structures(Table, End + 2, Version, Count, [Structure | Acc])
                    end;
                nomatch ->
                    {error, {truncated, Off}}
            end;
        _ ->
            {error, {truncated, Off}}
    end.

%% Sizes: rom_size in KiB, max_capacity in KiB, a memory device's size in
%% MiB (0: slot empty, undefined: unknown), speeds in MHz (MT/s for memory).
fields(0, S, _) ->
    #{vendor => str(S, 4), version => str(S, 5), start_segment => word(S, 6), release_date => str(S, 8),
      rom_size => case byte(S, 9) of undefined -> undefined; N -> 64 * (N + 1) end,
      release => pair(byte(S, 16#14), byte(S, 16#15)), ec_release => pair(byte(S, 16#16), byte(S, 16#17))};
fields(1, S, Version) ->
    #{manufacturer => str(S, 4), product => str(S, 5), version => str(S, 6), serial => str(S, 7),
      uuid => uuid(bytes(S, 8, 16), Version), sku => str(S, 16#19), family => str(S, 16#1A)};
fields(4, S, _) ->
    #{socket => str(S, 4), processor_type => byte(S, 5), family => byte(S, 6), manufacturer => str(S, 7),
      id => qword(S, 8), version => str(S, 16#10), external_clock => word(S, 16#12),
      max_speed => word(S, 16#14), current_speed => word(S, 16#16),
      populated => case byte(S, 16#18) of undefined -> undefined; St -> St band 16#40 =/= 0 end,
      serial => str(S, 16#20), asset_tag => str(S, 16#21), part_number => str(S, 16#22),
      core_count => count(byte(S, 16#23), word(S, 16#2A)), core_enabled => count(byte(S, 16#24), word(S, 16#2C)),
      thread_count => count(byte(S, 16#25), word(S, 16#2E))};
fields(16, S, _) ->
    #{location => name(byte(S, 4), [{1, other}, {2, unknown}, {3, system_board}]),
      use => name(byte(S, 5), [{1, other}, {2, unknown}, {3, system_memory}, {4, video_memory}]),
      error_correction => name(byte(S, 6), [{1, other}, {2, unknown}, {3, none}, {4, parity},
                                            {5, single_bit_ecc}, {6, multi_bit_ecc}, {7, crc}]),
      max_capacity => case {dword(S, 7), qword(S, 16#0F)} of
                          {16#80000000, Bytes} when is_integer(Bytes) -> Bytes div 1024;
                          {KiB, _} -> KiB
                      end,
      devices => word(S, 16#0D)};
fields(17, S, _) ->
    #{array_handle => word(S, 4), size => memory_size(word(S, 16#0C), dword(S, 16#1C)),
      form_factor => name(byte(S, 16#0E), [{1, other}, {2, unknown}, {3, simm}, {9, dimm}, {16#0D, sodimm}]),
      locator => str(S, 16#10), bank => str(S, 16#11),
      memory_type => name(byte(S, 16#12), [{1, other}, {2, unknown}, {3, dram}, {7, ram}, {16#0F, sdram},
                                          {16#12, ddr}, {16#13, ddr2}, {16#18, ddr3}, {16#1A, ddr4},
                                          {16#22, ddr5}]),
      speed => word(S, 16#15), manufacturer => str(S, 16#17), serial => str(S, 16#18),
      part_number => str(S, 16#1A)};
fields(_, _, _) ->
    #{}.

%% Field readers: undefined past the formatted area.
bytes({Formatted, _}, Off, N) when Off + N =< byte_size(Formatted) -> binary:part(Formatted, Off, N);
bytes(_, _, _) -> undefined.

int(S, Off, N) ->
    case bytes(S, Off, N) of
        undefined -> undefined;
        Bin -> binary:decode_unsigned(Bin, little)
    end.

byte(S, Off) -> int(S, Off, 1).
word(S, Off) -> int(S, Off, 2).
dword(S, Off) -> int(S, Off, 4).
qword(S, Off) -> int(S, Off, 8).

str({_, Strings} = S, Off) ->
    case byte(S, Off) of
        undefined -> undefined;
        I when I >= 1, I =< length(Strings) -> lists:nth(I, Strings);
        _ -> <<>>
    end.

pair(undefined, _) -> undefined;
pair(_, undefined) -> undefined;
pair(Major, Minor) -> {Major, Minor}.

name(undefined, _) -> undefined;
name(Value, Names) ->
    case lists:keyfind(Value, 1, Names) of
        {_, Name} -> Name;
        false -> Value
    end.

%% A processor's counts: 0xFF in the byte means "see the 3.0 word".
count(16#FF, Word) when is_integer(Word) -> Word;
count(Byte, _) -> Byte.

memory_size(undefined, _) -> undefined;
memory_size(16#FFFF, _) -> undefined;
memory_size(16#7FFF, Extended) when is_integer(Extended) -> Extended band 16#7FFFFFFF;
memory_size(Size, _) when Size band 16#8000 =/= 0 -> (Size band 16#7FFF) div 1024; % in KiB
memory_size(Size, _) -> Size.

%% As QEMU prints one (lowercase, 8-4-4-4-12), the bytes read the way
%% QEMU's -uuid wrote them: from SMBIOS 2.6 on, the first three fields
%% little-endian.
uuid(undefined, _) ->
    undefined;
uuid(<<A:32/little, B:16/little, C:16/little, Rest:8/binary>>, Version) when Version >= {2, 6} ->
    uuid_text(<<A:32, B:16, C:16, Rest/binary>>);
uuid(Bytes, _) ->
    uuid_text(Bytes).

uuid_text(<<A:4/binary, B:2/binary, C:2/binary, D:2/binary, E:6/binary>>) ->
    string:lowercase(iolist_to_binary(lists:join($-, [binary:encode_hex(X) || X <- [A, B, C, D, E]]))).

checksum_ok(Bin) ->
    lists:sum(binary_to_list(Bin)) band 16#FF =:= 0.
