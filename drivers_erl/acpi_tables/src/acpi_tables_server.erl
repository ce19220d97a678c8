%% The ACPI tables' one server: every read of the firmware device's memory
%% goes through it. Each call maps the device's ranges, reads, and unmaps
%% them before it answers, so no mapping outlives a call (a device with
%% mapped registers cannot be given away) and a restarted server has
%% nothing to recover.
-module(acpi_tables_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(BIOS_FIRST, 16#E0000). % the RSDP is on a 16-byte boundary of 0xE0000-0xFFFFF
-define(BIOS_SIZE, 16#20000).

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, nostate}.

handle_call(rsdp, _From, St) ->
    {reply, hydros_firmware:with_memory(fun rsdp/1), St};
handle_call(list, _From, St) ->
    {reply, hydros_firmware:with_memory(fun list/1), St};
handle_call({table, Sig}, _From, St) ->
    {reply, hydros_firmware:with_memory(fun(Read) -> table(Read, Sig) end), St}.

handle_cast(_, St) ->
    {noreply, St}.

rsdp(Read) ->
    case Read(?BIOS_FIRST, ?BIOS_SIZE) of
        {ok, Area} -> acpi_decode:rsdp(Area, ?BIOS_FIRST);
        Error -> Error
    end.

tables(Read) ->
    case rsdp(Read) of
        {ok, Rsdp} -> acpi_decode:tables(Rsdp, Read);
        Error -> Error
    end.

list(Read) ->
    case tables(Read) of
        {ok, Tables} -> [case T of {ok, Info, _} -> Info; {error, A, R} -> #{address => A, error => R} end
                         || T <- Tables];
        Error -> Error
    end.

table(Read, Sig) ->
    case tables(Read) of
        {ok, Tables} ->
            case [Bytes || {ok, #{signature := S}, Bytes} <- Tables, S =:= Sig] of
                [Bytes | _] -> {ok, Bytes};
                [] -> {error, not_found}
            end;
        Error ->
            Error
    end.
