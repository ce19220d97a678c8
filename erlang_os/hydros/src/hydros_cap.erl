%% Capability exclusions: what a process must never do, enforced by ERTS.
%%
%% Every process carries a list of exclusions; `[]' means no limit. The list
%% is kept by the VM off the process heap (beam-patches/0002): every process
%% a limited one starts inherits it (spawn, spawn_opt, spawn_request,
%% proc_lib, gen_server and supervisor children), and so does a process it
%% spawns on another node (spawn/4, erpc, rpc:call). The list only grows:
%% nothing, this module included, takes an entry away.
%%
%% Built-in capabilities, checked by the VM wherever they are used:
%%   `{port_io, all | Port | {Lo, Hi}}'  (`port_io' alone: all ports)
%%   `{raw_memory, Lo, Hi}'              (`raw_memory' alone: all of it)
%%   `{irq, all | Line | {Lo, Hi}}'      (`irq' alone: every line)
%%   `device_control'   handing devices over (hydros_io:give/2)
%%   `node_control'     inject, kill, restart (hydros), and writing the
%%                      kernel's control files (/dev/hydros/{inject,
%%                      restart,kill,poke}) in any way
%%   `open_port'        open_port/2
%%   `code_load'        erlang:load_module/2, erlang:delete_module/1, and
%%                      the code server's loading, purging and path changes
%% The code and file servers check the process they work for
%% (beam-patches/0003); a server of your own that acts for others should
%% do the same: its API function, which runs in the caller, sends
%% credential() with the request, and the server calls check/2 on it.
%% Any other term is an application's own capability, which its code checks
%% with check/1. A refused call fails with `error({excluded, Cap})'.
%%
%% The functions are BIFs (bifs/hydros_cap.c); the bodies below only run on an
%% ERTS without the patch (the host's erl, for instance).
-module(hydros_cap).
-export([exclude/1, exclusions/0, check/1, credential/0, check/2, check_file/3]).
-export_type([capability/0, credential/0]).

-opaque credential() :: reference().
-type capability() ::
        port_io | {port_io, all | 0..16#FFFF | {0..16#FFFF, 0..16#FFFF}}
      | raw_memory | {raw_memory, all} | {raw_memory, non_neg_integer(), non_neg_integer()}
      | irq | {irq, all | 0..255 | {0..255, 0..255}}
      | device_control | node_control | open_port | code_load
      | term().

%% Adds Caps to the calling process's exclusions (those it has stay).
%% badarg when Caps is not a proper list or names a built-in capability
%% badly (`{port_io, -1}', `{irq, 300}', `{raw_memory, 2, 1}').
-spec exclude([capability()]) -> ok.
exclude(_Caps) ->
    erlang:nif_error(undef).

%% The calling process's exclusions, oldest first.
-spec exclusions() -> [capability()].
exclusions() ->
    erlang:nif_error(undef).

%% ok if the calling process may use Cap; error({excluded, Cap}) if one of
%% its exclusions covers it (ranges overlap, or the same term); badarg for
%% a malformed built-in capability.
-spec check(capability()) -> ok.
check(_Cap) ->
    erlang:nif_error(undef).

%% For a server that works for others. A message says nothing reliable of
%% its sender (a pid in it is whatever the sender wrote), so the caller
%% hands the server this: an unforgeable token of its rights as they are
%% now (they only grow later). It means nothing on another node.
-spec credential() -> credential().
credential() ->
    erlang:nif_error(undef).

%% ok if whoever made Credential may use Cap, error({excluded, Cap}) if
%% not. Anything that is not a credential of this node (`none', a plain
%% reference) has no rights at all.
-spec check(credential() | term(), capability()) -> ok.
check(_Credential, _Cap) ->
    erlang:nif_error(undef).

%% file_server's check: ok if whoever made Credential may access Name
%% (writing the kernel's control files needs node_control, opening
%% /dev/irq/N needs {irq, N}); error({excluded, Cap}) if not.
-spec check_file(credential() | term(), file:name_all(), read | write) -> ok.
check_file(_Credential, _Name, _Access) ->
    erlang:nif_error(undef).
