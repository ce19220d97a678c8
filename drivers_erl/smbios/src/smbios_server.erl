%% SMBIOS's one server: every read of the firmware device's memory goes
%% through it. Each call maps the device's ranges, reads, and unmaps them
%% before it answers, so no mapping outlives a call (a device with mapped
%% registers cannot be given away) and a restarted server has nothing to
%% recover.
-module(smbios_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(SEG_FIRST, 16#F0000). % the entry point is on a 16-byte boundary of 0xF0000-0xFFFFF
-define(SEG_SIZE, 16#10000).
-define(MAX_TABLE, 1 bsl 24). % the most hydros_io:read_block/3 gives at once

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, nostate}.

handle_call(entry_point, _From, St) ->
    {reply, hydros_firmware:with_memory(fun entry_point/1), St};
handle_call(structures, _From, St) ->
    {reply, hydros_firmware:with_memory(fun structures/1), St}.

handle_cast(_, St) ->
    {noreply, St}.

entry_point(Read) ->
    case Read(?SEG_FIRST, ?SEG_SIZE) of
        {ok, Seg} -> smbios_decode:entry_point(Seg, ?SEG_FIRST);
        Error -> Error
    end.

structures(Read) ->
    case entry_point(Read) of
        {ok, #{table_length := Len}} when Len > ?MAX_TABLE ->
            {error, {bad_length, Len}};
        {ok, #{table_address := Addr, table_length := Len, version := Version, structures := Count}} ->
            case Read(Addr, Len) of
                {ok, Table} ->
                    case smbios_decode:structures(Table, Version, Count) of
                        {ok, Structures} -> Structures;
                        Error -> Error
                    end;
                Error ->
                    Error
            end;
        Error ->
            Error
    end.
