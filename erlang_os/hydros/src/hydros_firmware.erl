%% The firmware's tables as the `firmware' device holds them (read-only
%% ranges: the BIOS area and the pages the kernel found the ACPI and SMBIOS
%% tables in, docs/devices.md), for the drivers that read them
%% (acpi_tables, smbios).
-module(hydros_firmware).
-export([with_memory/1]).

-type read() :: fun((non_neg_integer(), non_neg_integer()) -> {ok, binary()} | {error, term()}).
-export_type([read/0]).

%% Fun(Read) with every range of the device mapped, unmapped after. Read
%% gives the bytes at an address, across adjacent ranges, or {error,
%% {not_mapped, Addr}} for the first byte outside them all.
-spec with_memory(fun((read()) -> Result)) -> Result | {error, no_device}.
with_memory(Fun) ->
    case ranges() of
        {ok, Ranges} ->
            Maps = [{First, Last, hydros_io:map(First, Last - First + 1)} || {First, Last, _} <- Ranges],
            try Fun(fun(Addr, Len) -> read(Maps, Addr, Len) end)
            after [hydros_io:unmap(H) || {_, _, {ok, H}} <- Maps]
            end;
        Error ->
            Error
    end.

ranges() ->
    try [Mmio || #{name := firmware, mmio := Mmio} <- hydros:device_table()] of
        [Mmio] -> {ok, Mmio};
        [] -> {error, no_device}
    catch
        error:_ -> {error, no_device} % no /dev/hydros/devices: not on HydrOS
    end.

read(_, _, 0) ->
    {ok, <<>>};
read(Maps, Addr, Len) ->
    case [M || {First, Last, _} = M <- Maps, First =< Addr, Addr =< Last] of
        [] ->
            {error, {not_mapped, Addr}};
        [{_, _, {error, _} = Error} | _] ->
            Error;
        [{First, Last, {ok, H}} | _] ->
            Here = min(Len, Last - Addr + 1),
            case hydros_io:read_block(H, Addr - First, Here) of
                Bytes when is_binary(Bytes) ->
                    case read(Maps, Addr + Here, Len - Here) of
                        {ok, More} -> {ok, <<Bytes/binary, More/binary>>};
                        Error -> Error
                    end;
                Error ->
                    Error
            end
    end.
