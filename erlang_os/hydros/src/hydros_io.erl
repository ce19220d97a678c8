%% Hardware from Erlang: IO ports, and the devices each node holds.
%%
%% A device (a named set of IO port ranges, docs/devices.md) is held by one
%% node at a time: at boot the one /etc/hydros/devices names (core 0 holds
%% the legacy PC devices), later whoever it was given to. Only the holder's
%% core has the device's ports open, in its TSS I/O permission bitmap; a
%% node that dies has them closed until it runs again.
%%
%% Every function checks its arguments (badarg), then the caller's
%% exclusions (error({excluded, Cap}), see hydros_cap), then that this node
%% holds the device: `{error, {owned_by, Core}}' when another node holds
%% it, `{error, no_device}' when no device has that port. Only then is the
%% hardware touched.
%%
%% The functions are BIFs (hydros_bif.c); the bodies below only run on an
%% ERTS without the patch.
-module(hydros_io).
-export([in8/1, in16/1, in32/1, out8/2, out16/2, out32/2, give/2]).

-type port_number() :: 0..16#FFFF.
-type io_error() :: {error, {owned_by, non_neg_integer()} | no_device | atom()}.

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
-spec give(atom(), non_neg_integer()) -> ok | {error, {owned_by, non_neg_integer()} | no_device | no_core}.
give(_Device, _Core) -> erlang:nif_error(undef).
