%% PCI configuration space's one server: an address written to 0xcf8 and
%% the data read at 0xcfc are one access, never interleaved with another.
%% With ECAM (the device has an MMIO range: the MCFG's, from bus 0), each
%% bus's 1 MiB is mapped while a scan needs it, and unmapped after.
-module(pci_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(ADDRESS, 16#CF8).
-define(DATA, 16#CFC).
-define(COMMAND_DECODE, 16#3). % I/O and memory space enable

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

%% The state: mechanism1, or {ecam, First, Buses}.
init([]) ->
    {ok, case [M || #{name := pci, mmio := M} <- hydros:device_table()] of
             [[{First, Last, rw}]] -> {ecam, First, (Last - First + 1) bsr 20};
             _ -> mechanism1
         end}.

handle_call(list, _From, St) ->
    put(access, St),
    try {reply, scan([0], []), St}
    catch throw:Error -> {reply, Error, St}
    after [hydros_io:unmap(erase(K)) || {{bus, _} = K, _} <- get()]
    end;
handle_call(access, _From, St) ->
    {reply, case St of mechanism1 -> mechanism1; {ecam, _, _} -> ecam end, St}.

handle_cast(_, St) ->
    {noreply, St}.

%% Buses to look at, the first given and every bridge's secondary bus.
scan([], Acc) ->
    lists:sort(fun(A, B) -> key(A) =< key(B) end, Acc);
scan([Bus | Buses], Acc) ->
    Found = [F || Dev <- lists:seq(0, 31), F <- device(Bus, Dev)],
    Secondary = [(read(Bus, D, Fn, 16#18) bsr 8) band 16#FF
                 || #{device := D, function := Fn, header_type := 1} <- Found],
    scan(Buses ++ [S || S <- Secondary, S =/= 0, S =/= Bus], Acc ++ Found).

key(#{bus := B, device := D, function := F}) -> {B, D, F}.

device(Bus, Dev) ->
    case function(Bus, Dev, 0) of
        none -> [];
        F0 = #{multifunction := true} -> [F0 | [F || Fn <- lists:seq(1, 7), (F = function(Bus, Dev, Fn)) =/= none]];
        F0 -> [F0]
    end.

function(Bus, Dev, Fn) ->
    Dw0 = read(Bus, Dev, Fn, 0),
    case pci_conf:vendor(Dw0) of
        16#FFFF ->
            none;
        Vendor ->
            Dw3 = read(Bus, Dev, Fn, 16#0C),
            Class = pci_conf:class(read(Bus, Dev, Fn, 16#08)),
            Type = pci_conf:header_type(Dw3),
            #{bus => Bus, device => Dev, function => Fn, vendor => Vendor, device_id => pci_conf:device_id(Dw0),
              class => Class, class_name => pci_conf:class_name(Class), header_type => Type,
              multifunction => pci_conf:multifunction(Dw3),
              bars => bars(Bus, Dev, Fn, case Type of 0 -> 6; 1 -> 2; _ -> 0 end)}
    end.

%% Sizes BARs with the function's decoding off, then puts it back.
bars(_, _, _, 0) ->
    [];
bars(Bus, Dev, Fn, N) ->
    Cmd = read(Bus, Dev, Fn, 16#04),
    write(Bus, Dev, Fn, 16#04, Cmd band bnot ?COMMAND_DECODE band 16#FFFF),
    Bars = bars(Bus, Dev, Fn, 0, N),
    write(Bus, Dev, Fn, 16#04, Cmd band 16#FFFF),
    Bars.

bars(_, _, _, I, N) when I >= N ->
    [];
bars(Bus, Dev, Fn, I, N) ->
    Reg = 16#10 + 4 * I,
    Raw = read(Bus, Dev, Fn, Reg),
    Mask = sized(Bus, Dev, Fn, Reg, Raw),
    case pci_conf:bar(Raw, 0) of
        {mem64, _, Pf} when I + 1 < N ->
            High = read(Bus, Dev, Fn, Reg + 4),
            MaskHigh = sized(Bus, Dev, Fn, Reg + 4, High),
            {mem64, Base, Pf} = pci_conf:bar(Raw, High),
            bar(I, mem64, Base, pci_conf:bar_size({mem64, Mask}, MaskHigh), Pf) ++ bars(Bus, Dev, Fn, I + 2, N);
        {Type, Base, Pf} ->
            bar(I, Type, Base, pci_conf:bar_size({Type, Mask}, 0), Pf) ++ bars(Bus, Dev, Fn, I + 1, N)
    end.

bar(_, _, _, 0, _) -> [];
bar(I, Type, Base, Size, Pf) -> [#{bar => I, type => Type, base => Base, size => Size, prefetchable => Pf}].

sized(Bus, Dev, Fn, Reg, Orig) ->
    write(Bus, Dev, Fn, Reg, 16#FFFFFFFF),
    Mask = read(Bus, Dev, Fn, Reg),
    write(Bus, Dev, Fn, Reg, Orig),
    Mask.

read(Bus, Dev, Fn, Reg) ->
    case get(access) of
        mechanism1 ->
            ok = io(hydros_io:out32(?ADDRESS, pci_conf:address(Bus, Dev, Fn, Reg))),
            io(hydros_io:in32(?DATA));
        Ecam ->
            io(hydros_io:read(bus(Ecam, Bus), pci_conf:ecam_offset(Dev, Fn, Reg), 32))
    end.

write(Bus, Dev, Fn, Reg, Value) ->
    case get(access) of
        mechanism1 ->
            ok = io(hydros_io:out32(?ADDRESS, pci_conf:address(Bus, Dev, Fn, Reg))),
            ok = io(hydros_io:out32(?DATA, Value));
        Ecam ->
            ok = io(hydros_io:write(bus(Ecam, Bus), pci_conf:ecam_offset(Dev, Fn, Reg), 32, Value))
    end.

%% A bus's ECAM, mapped the first time the scan reads it; all ones (no
%% function) for a bus beyond the MCFG's.
bus({ecam, First, Buses}, Bus) when Bus < Buses ->
    case get({bus, Bus}) of
        undefined ->
            {ok, H} = io(hydros_io:map(First + (Bus bsl 20), 1 bsl 20)),
            put({bus, Bus}, H),
            H;
        H ->
            H
    end;
bus(_, Bus) ->
    throw({error, {no_ecam_for_bus, Bus}}).

%% The device gone (given away): the call's answer says so.
io({error, _} = Error) -> throw(Error);
io(Value) -> Value.
