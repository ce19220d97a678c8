%% PCI configuration space arithmetic (pure): addresses for mechanism 1,
%% header fields, BARs and their sizes, class names as QEMU's `info pci'
%% spells them.
-module(pci_conf).
-export([address/4, ecam_offset/3, vendor/1, device_id/1, header_type/1, multifunction/1, class/1, class_name/1,
         bar/2, bar_size/2]).

%% The value for port 0xcf8 that selects register Reg (dword aligned).
address(Bus, Dev, Fn, Reg) when Bus >= 0, Bus =< 255, Dev >= 0, Dev =< 31, Fn >= 0, Fn =< 7,
                                Reg >= 0, Reg =< 252, Reg rem 4 =:= 0 ->
    16#80000000 bor (Bus bsl 16) bor (Dev bsl 11) bor (Fn bsl 8) bor Reg.

%% Where register Reg of a function lies in its bus's 1 MiB of ECAM
%% (PCI Express's memory-mapped configuration space: 4 KiB a function).
ecam_offset(Dev, Fn, Reg) when Dev >= 0, Dev =< 31, Fn >= 0, Fn =< 7, Reg >= 0, Reg =< 4092, Reg rem 4 =:= 0 ->
    (Dev bsl 15) bor (Fn bsl 12) bor Reg.

%% From the dword at 0x00.
vendor(Dw0) -> Dw0 band 16#FFFF.
device_id(Dw0) -> Dw0 bsr 16.

%% From the dword at 0x0c.
header_type(Dw3) -> (Dw3 bsr 16) band 16#7F.
multifunction(Dw3) -> (Dw3 bsr 23) band 1 =:= 1.

%% From the dword at 0x08: {Class, Subclass, ProgIf}.
class(Dw2) -> {Dw2 bsr 24, (Dw2 bsr 16) band 16#FF, (Dw2 bsr 8) band 16#FF}.

%% A BAR's raw dword: {io | mem32 | mem64, Base, Prefetchable}.
bar(Raw, _) when Raw band 1 =:= 1 -> {io, Raw band 16#FFFFFFFC, false};
bar(Raw, High) ->
    Pf = Raw band 8 =/= 0,
    case (Raw bsr 1) band 3 of
        2 -> {mem64, (High bsl 32) bor (Raw band 16#FFFFFFF0), Pf};
        _ -> {mem32, Raw band 16#FFFFFFF0, Pf}
    end.

%% The size a BAR decodes, from what reads back after all ones were
%% written (Mask, and for a 64-bit BAR the high dword's MaskHigh); 0 for
%% an unused BAR.
bar_size({io, Mask}, _) ->
    size(Mask band 16#FFFFFFFC bor 16#FFFF0000, 32);
bar_size({mem32, Mask}, _) ->
    size(Mask band 16#FFFFFFF0, 32);
bar_size({mem64, Mask}, MaskHigh) ->
    size((MaskHigh bsl 32) bor (Mask band 16#FFFFFFF0), 64).

size(0, _) -> 0;
size(Bits, Width) when Bits =:= 16#FFFF0000, Width =:= 32 -> 0; % an I/O BAR that decodes nothing
size(Bits, Width) -> ((bnot Bits) band ((1 bsl Width) - 1)) + 1.

%% What QEMU's `info pci' calls a class (hw/pci/pci.c's table, the ones a
%% PC has and a few more); "Class XXXX" for the rest, as QEMU prints it.
class_name({16#01, 16#00, _}) -> "SCSI controller";
class_name({16#01, 16#01, _}) -> "IDE controller";
class_name({16#01, 16#06, _}) -> "SATA controller";
class_name({16#01, 16#08, _}) -> "NVMe controller";
class_name({16#01, 16#80, _}) -> "Storage controller";
class_name({16#02, 16#00, _}) -> "Ethernet controller";
class_name({16#03, 16#00, _}) -> "VGA controller";
class_name({16#03, 16#80, _}) -> "Display controller";
class_name({16#04, 16#01, _}) -> "Audio controller";
class_name({16#06, 16#00, _}) -> "Host bridge";
class_name({16#06, 16#01, _}) -> "ISA bridge";
class_name({16#06, 16#04, _}) -> "PCI bridge";
class_name({16#06, 16#80, _}) -> "Bridge";
class_name({16#0c, 16#03, _}) -> "USB controller";
class_name({16#0c, 16#05, _}) -> "SMBus";
class_name({C, S, _}) -> lists:flatten(io_lib:format("Class ~2.16.0b~2.16.0b", [C, S])).
