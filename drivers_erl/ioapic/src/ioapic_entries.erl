%% /dev/hydros/ioapic's text and commands (pure): a line an entry,
%%     ioapic A pin P gsi G vector V dest D core C masked 0|1 trigger edge|level
%%     polarity high|low held 0|1 line L
%% (L -1: no ISA line comes in on that pin), and the commands "mask L",
%% "unmask L", "route L CORE".
-module(ioapic_entries).
-export([parse/1, command/2, result/2]).

-define(IS_LINE(L), (is_integer(L) andalso L >= 0 andalso L =< 15)).
-define(INTS, [<<"ioapic">>, <<"pin">>, <<"gsi">>, <<"vector">>, <<"dest">>, <<"core">>]).

%% The entries, in the kernel's order.
-spec parse(binary()) -> [ioapic:entry()].
parse(Text) ->
    [entry(binary:split(L, <<" ">>, [global, trim_all])) || L <- binary:split(Text, <<"\n">>, [global, trim_all])].

entry(Words) ->
    maps:from_list(pairs(Words)).

pairs([K, V | Rest]) -> [field(K, V) | pairs(Rest)];
pairs([]) -> [].

field(<<"masked">>, V) -> {masked, V =:= <<"1">>};
field(<<"held">>, V) -> {held, V =:= <<"1">>};
field(<<"line">>, <<"-1">>) -> {line, none};
field(<<"line">>, V) -> {line, binary_to_integer(V)};
field(K, V) ->
    case lists:member(K, ?INTS) of
        true -> {binary_to_atom(K), binary_to_integer(V)};
        false -> {binary_to_atom(K), binary_to_atom(V)}
    end.

%% The text of a command, or {error, badarg} for arguments it cannot have.
-spec command(mask | unmask | route, [integer()]) -> {ok, iolist()} | {error, badarg}.
command(Verb, [Line]) when (Verb =:= mask orelse Verb =:= unmask), ?IS_LINE(Line) ->
    {ok, [atom_to_list(Verb), $\s, integer_to_list(Line)]};
command(route, [Line, Core]) when ?IS_LINE(Line), is_integer(Core), Core >= 0 ->
    {ok, ["route ", integer_to_list(Line), $\s, integer_to_list(Core)]};
command(_, _) ->
    {error, badarg}.

%% A write's result as the API gives it, the kernel's errno named.
-spec result(ok | {error, atom()}, [integer()]) -> ok | {error, term()}.
result(ok, _) -> ok;
result({error, enodev}, [Line | _]) -> {error, {no_pin, Line}};
result({error, enoent}, [Line | _]) -> {error, {no_device, Line}};
result({error, esrch}, [_, Core]) -> {error, {no_core, Core}};
result({error, eperm}, [Line | _]) -> {error, {not_holder, Line}};
result({error, ebusy}, [Line | _]) -> {error, {in_use, Line}};
result({error, _} = Error, _) -> Error.
