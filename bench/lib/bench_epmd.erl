%% The epmd of bench/msgchan's Linux nodes (-epmd_module bench_epmd): node
%% cN@hydros listens on TCP port 4370 + N of 127.0.0.1, so two nodes in one
%% Linux machine find each other with no epmd daemon in the initramfs.
-module(bench_epmd).
-export([start_link/0, register_node/2, register_node/3, listen_port_please/2,
         port_please/2, port_please/3, address_please/3, names/0, names/1]).

-define(BASE_PORT, 4370).
-define(DIST_VERSION, 6).

start_link() -> ignore.

register_node(_Name, _Port) -> {ok, creation()}.
register_node(_Name, _Port, _Family) -> {ok, creation()}.

listen_port_please(Name, _Host) -> {ok, port_of(Name)}.

port_please(Name, Ip) -> port_please(Name, Ip, infinity).
port_please(Name, _Ip, _Timeout) -> {port, port_of(Name), ?DIST_VERSION}.

address_please(Name, _Host, inet) -> {ok, {127, 0, 0, 1}, port_of(Name), ?DIST_VERSION};
address_please(_Name, _Host, Family) -> {error, {unsupported_family, Family}}.

names() -> names(localhost).
names(_Host) -> {error, no_epmd}.

port_of(Name) when is_atom(Name) -> port_of(atom_to_list(Name));
port_of("c" ++ Digits) -> ?BASE_PORT + list_to_integer(Digits).

creation() -> rand:uniform(16#fffffff0) + 3.
