%% The ioapic driver's one server: it reads and writes /dev/hydros/ioapic.
-module(ioapic_server).
-behaviour(gen_server).
-export([start_link/0, init/1, handle_call/3, handle_cast/2]).

-define(KERNEL_FILE, "/dev/hydros/ioapic").

start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

init([]) ->
    {ok, nostate}.

handle_call(routes, _From, St) ->
    Reply = case prim_file:read_file(?KERNEL_FILE) of
                {ok, Text} -> ioapic_entries:parse(Text);
                {error, _} = Error -> Error
            end,
    {reply, Reply, St};
handle_call({command, Verb, Args}, _From, St) ->
    Reply = case ioapic_entries:command(Verb, Args) of
                {ok, Text} -> ioapic_entries:result(prim_file:write_file(?KERNEL_FILE, Text), Args);
                Error -> Error
            end,
    {reply, Reply, St};
handle_call(_, _From, St) ->
    {reply, {error, badarg}, St}.

handle_cast(_, St) ->
    {noreply, St}.
