%% Hardware from Erlang: IO ports, device registers (MMIO), interrupts, and
%% the devices each node holds.
%%
%% A device (a name, IO port ranges and MMIO ranges, docs/devices.md) is
%% held by one node at a time: at boot the one /etc/hydros/devices names
%% (core 0 holds the legacy PC devices), later whoever it was given to.
%% Only the holder's core has the device's ports open, in its TSS I/O
%% permission bitmap, and only the holder can map its registers; a node
%% that dies has them closed until it runs again. RAM is never mapped.
%%
%% Every function checks its arguments (badarg), then the caller's
%% exclusions (error({excluded, Cap}), see hydros_cap), then that this node
%% holds the device: `{error, {owned_by, Core}}' when another node holds
%% it, `{error, no_device}' when no device has that port. Only then is the
%% hardware touched.
%%
%% The functions are BIFs (bifs/hydros_io.c); the bodies below only run on an
%% ERTS without the patch.
-module(hydros_io).
-export([in8/1, in16/1, in32/1, out8/2, out16/2, out32/2, give/2]).
-export([map/2, unmap/1, read/3, write/4, read_block/3, write_block/3]).
-export([irq_subscribe/1, irq_ack/1, irq_unsubscribe/1]).
-export_type([handle/0]).

-type port_number() :: 0..16#FFFF.
-type io_error() :: {error, {owned_by, non_neg_integer()} | no_device | atom()}.
%% A mapping of device registers: usable on this node only, by any process
%% the caller hands it to (each access checks that process's rights).
-opaque handle() :: reference().
-type width() :: 8 | 16 | 32 | 64.

%% Reads one byte from Port (needs {port_io, Port}).
-spec in8(port_number()) -> 0..16#FF | io_error().
in8(_Port) -> erlang:nif_error(undef).

%% Reads 16 bits from Port..Port+1.
-spec in16(port_number()) -> 0..16#FFFF | io_error().
in16(_Port) -> erlang:nif_error(undef).

%% Reads 32 bits from Port..Port+3.
-spec in32(port_number()) -> 0..16#FFFFFFFF | io_error().
in32(_Port) -> erlang:nif_error(undef).

%% Writes one byte to Port.
-spec out8(port_number(), 0..16#FF) -> ok | io_error().
out8(_Port, _Value) -> erlang:nif_error(undef).

%% Writes 16 bits to Port..Port+1.
-spec out16(port_number(), 0..16#FFFF) -> ok | io_error().
out16(_Port, _Value) -> erlang:nif_error(undef).

%% Writes 32 bits to Port..Port+3.
-spec out32(port_number(), 0..16#FFFFFFFF) -> ok | io_error().
out32(_Port, _Value) -> erlang:nif_error(undef).

%% Hands Device over to Core's node (needs device_control). The holder may
%% give what it holds; anyone may give a device whose holder's node is not
%% running. `{error, no_core}' for a core that does not exist.
%% `{error, in_use}' while the holder has the device's registers mapped or
%% one of its lines subscribed.
-spec give(atom(), non_neg_integer()) ->
          ok | {error, {owned_by, non_neg_integer()} | no_device | no_core | in_use}.
give(_Device, _Core) -> erlang:nif_error(undef).

%% Maps Size bytes of device registers at physical address Phys (needs
%% {raw_memory, Phys, Phys + Size - 1}), uncached. `{error, ram}' for
%% memory (a partition's, the kernel's, the firmware's): never mapped;
%% `{error, no_device}' when no device of the table has all of it. The
%% mapping goes at unmap/1, or when the last copy of the handle is
%% garbage collected (which may be long after it was last used: give/2
%% refuses a device whose registers are mapped, so unmap first).
-spec map(non_neg_integer(), pos_integer()) -> {ok, handle()} | {error, ram | io_error()}.
map(_Phys, _Size) -> erlang:nif_error(undef).

%% Unmaps now; later accesses through the handle give {error, unmapped}.
-spec unmap(handle()) -> ok.
unmap(_Handle) -> erlang:nif_error(undef).

%% Reads a Width-bit register at Offset (aligned to Width) of the mapping.
-spec read(handle(), non_neg_integer(), width()) -> non_neg_integer() | {error, unmapped}.
read(_Handle, _Offset, _Width) -> erlang:nif_error(undef).

%% Writes one; {error, read_only} for a device mapped read-only (":ro").
-spec write(handle(), non_neg_integer(), width(), non_neg_integer()) -> ok | {error, unmapped | read_only}.
write(_Handle, _Offset, _Width, _Value) -> erlang:nif_error(undef).

%% Size bytes from Offset, in 32-bit accesses when both are multiples of 4.
-spec read_block(handle(), non_neg_integer(), non_neg_integer()) -> binary() | {error, unmapped}.
read_block(_Handle, _Offset, _Size) -> erlang:nif_error(undef).

%% Writes Bytes at Offset, the same way.
-spec write_block(handle(), non_neg_integer(), binary()) -> ok | {error, unmapped | read_only}.
write_block(_Handle, _Offset, _Bytes) -> erlang:nif_error(undef).

%% Makes the caller the subscriber of ISA interrupt line Line (needs {irq,
%% Line}): at the line's next interrupt it gets `{irq, Line}', and no other
%% until it calls irq_ack/1 (interrupts meanwhile are counted by the kernel,
%% not lost; a level-triggered line stays masked). One subscriber a line
%% and a node: `{error, {subscribed, Pid}}' while another lives.
%% `{error, no_device}' for a line no device has (lines are 0-15).
-spec irq_subscribe(0..255) -> ok | {error, {subscribed, pid()} | io_error()}.
irq_subscribe(_Line) -> erlang:nif_error(undef).

%% The subscriber is done with the interrupt: the next may come.
-spec irq_ack(0..255) -> ok | {error, not_subscribed}.
irq_ack(_Line) -> erlang:nif_error(undef).

%% Lets the line go (its end as subscriber does the same, at the line's
%% next interrupt or the next subscription): it is masked again.
-spec irq_unsubscribe(0..255) -> ok | {error, not_subscribed}.
irq_unsubscribe(_Line) -> erlang:nif_error(undef).
