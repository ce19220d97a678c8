%% Random calls of the hydros_io and hydros_cap BIFs, with random arguments,
%% each from a new process with a random exclusion list: every call must
%% either work within its rights or fail with a clear error (badarg,
%% error({excluded, Cap}) or {error, Reason}), and the node must keep
%% running. The rights are judged here again, independently of the VM
%% (covers/2), so a call that works although it was excluded, or is
%% refused although it was not, counts as wrong.
%%
%% Writes only go where they cannot hurt: to port 0x80 (the POST port) or to
%% ports of no device (refused by the kernel); give/2 only moves 'post' to
%% this node's own core, or names what does not exist; map/2 asks for
%% device registers, RAM and nothing at all (a mapping goes with its
%% process); interrupt lines are subscribed to by processes that end at
%% once (the next subscriber takes the line over).
-module(hydros_cap_fuzz).
-export([run/1, run/2, covers/2]).
-export([init/1, handle_call/3, handle_cast/2]). % the runner (below)

%% Runs N calls; returns #{calls, ok, excluded, badarg, error, wrong},
%% wrong being the first few calls judged wrong, with what they did (and
%% wrong_calls how many there were).
run(N) -> run(N, erlang:unique_integer([positive])).

run(N, Seed) when is_integer(N), N > 0 ->
    rand:seed(exsss, Seed),
    Core = hydros:core(),
    lists:foldl(fun(_, Acc) -> tally(one(Core), Acc) end,
                #{calls => 0, ok => 0, excluded => 0, badarg => 0, error => 0, wrong => []},
                lists:seq(1, N)).

tally({wrong, What}, Acc = #{calls := C, wrong := W}) ->
    Acc#{calls := C + 1, wrong := lists:sublist(W ++ [What], 5), wrong_calls => maps:get(wrong_calls, Acc, 0) + 1};
tally(Kind, Acc = #{calls := C}) ->
    maps:update_with(Kind, fun(V) -> V + 1 end, Acc#{calls := C + 1}).

%% One call in a new process: ok | excluded | badarg | error | {wrong, What}.
one(Core) ->
    Excl = exclusions(),
    {M, F, A} = Call = call(Core),
    Parent = self(),
    Body = fun() -> Parent ! {self(), judge(Excl, Call, try {value, apply(M, F, A)}
                                                      catch error:R -> {raised, R} end)} end,
    try spawn_opt(Body, [{exclusions, Excl}]) of
        Pid ->
            receive {Pid, Verdict} -> Verdict
            after 5000 -> {wrong, {no_answer, Excl, Call}}
            end
    catch error:badarg ->
        case valid_list(Excl) of
            false -> badarg; % spawn refused a malformed list, as it must
            true -> {wrong, {spawn_refused, Excl}}
        end
    end.

judge(Excl, {M, F, A} = Call, Got) ->
    Want = want(M, F, A),
    Allowed = Want =:= none orelse not covers(Excl, Want),
    case {Got, Allowed} of
        {{raised, {excluded, _}}, false} -> excluded;
        {{raised, badarg}, _} when Want =:= none -> badarg;
        {{raised, badarg}, _} -> {wrong, {badarg_for_good_args, Excl, Call}};
        {{value, {error, _}}, true} -> error;
        {{value, V}, true} -> case good_value(F, V) of true -> ok; false -> {wrong, {value, Excl, Call, V}} end;
        _ -> {wrong, {Got, Excl, Call}}
    end.

good_value(F, V) when F =:= in8 -> is_integer(V) andalso V >= 0 andalso V =< 16#FF;
good_value(F, V) when F =:= in16 -> is_integer(V) andalso V >= 0 andalso V =< 16#FFFF;
good_value(F, V) when F =:= in32 -> is_integer(V) andalso V >= 0 andalso V =< 16#FFFFFFFF;
good_value(map, {ok, H}) -> is_reference(H);
good_value(_, V) -> V =:= ok orelse is_list(V).

%% The capability a call needs, none when its arguments are bad (then it
%% must raise badarg before looking at any right).
want(hydros_io, F, [P | Rest]) when F =:= in8; F =:= in16; F =:= in32; F =:= out8; F =:= out16; F =:= out32 ->
    W = width(F),
    GoodValue = case Rest of
                    [] -> true;
                    [V] -> is_integer(V) andalso V >= 0 andalso V < 1 bsl (8 * W)
                end,
    case is_integer(P) andalso P >= 0 andalso P + W - 1 =< 16#FFFF andalso GoodValue of
        true -> {port_io, P, P + W - 1};
        false -> none
    end;
want(hydros_io, give, [D, C]) when is_atom(D), is_integer(C), C >= 0 -> {term, device_control};
want(hydros_io, map, [P, S]) when is_integer(P), P >= 0, is_integer(S), S > 0, P + S - 1 < 1 bsl 64 ->
    {raw_memory, P, P + S - 1};
want(hydros_io, F, [L]) when (F =:= irq_subscribe orelse F =:= irq_ack orelse F =:= irq_unsubscribe),
                             is_integer(L), L >= 0, L =< 255 ->
    {irq, L, L};
want(hydros_cap, check, [Cap]) -> case norm(Cap) of bad -> none; N -> N end;
want(_, _, _) -> none.

width(F) when F =:= in8; F =:= out8 -> 1;
width(F) when F =:= in16; F =:= out16 -> 2;
width(_) -> 4.

%% Does an exclusion list cover a capability (built-in ones by range)?
covers(Excl, Want) ->
    lists:any(fun(E) -> overlap(norm(E), Want) end, Excl).

overlap({K, L1, H1}, {K, L2, H2}) -> L1 =< H2 andalso L2 =< H1;
overlap({term, T}, {term, T2}) -> T =:= T2;
overlap(_, _) -> false.

norm(port_io) -> {port_io, 0, 16#FFFF};
norm({port_io, all}) -> {port_io, 0, 16#FFFF};
norm({port_io, {L, H}}) when is_integer(L), is_integer(H), 0 =< L, L =< H, H =< 16#FFFF -> {port_io, L, H};
norm({port_io, P}) when is_integer(P), 0 =< P, P =< 16#FFFF -> {port_io, P, P};
norm({port_io, _}) -> bad;
norm(irq) -> {irq, 0, 255};
norm({irq, all}) -> {irq, 0, 255};
norm({irq, L}) when is_integer(L), 0 =< L, L =< 255 -> {irq, L, L};
norm({irq, {L, H}}) when is_integer(L), is_integer(H), 0 =< L, L =< H, H =< 255 -> {irq, L, H};
norm({irq, _}) -> bad;
norm(raw_memory) -> {raw_memory, 0, 1 bsl 64 - 1};
norm({raw_memory, all}) -> {raw_memory, 0, 1 bsl 64 - 1};
norm({raw_memory, L, H}) when is_integer(L), is_integer(H), 0 =< L, L =< H, H < 1 bsl 64 -> {raw_memory, L, H};
norm(T) when element(1, T) =:= port_io; element(1, T) =:= irq; element(1, T) =:= raw_memory -> bad;
norm(T) -> {term, T}.

valid_list(L) when is_list(L) -> lists:all(fun(E) -> norm(E) =/= bad end, L);
valid_list(_) -> false.

exclusions() ->
    case rand:uniform(20) of
        1 -> not_a_list;
        _ -> [pick([port_io, {port_io, all}, {port_io, rand:uniform(16#FFFF)}, {port_io, range()},
                    {port_io, {5, 1}}, {port_io, -1}, {irq, rand:uniform(300)}, {irq, {3, 9}}, {irq, {9, 3}},
                    {raw_memory, 1, 0},
                    device_control, node_control, open_port, {app, rand:uniform(3)}, #{k => v},
                    {raw_memory, 16#FED00000, 16#FED00FFF}, raw_memory, {raw_memory, 0, 1 bsl 32}])
              || _ <- lists:seq(1, rand:uniform(4) - 1)]
    end.

range() ->
    L = rand:uniform(16#FFFF + 1) - 1,
    {L, min(16#FFFF, L + rand:uniform(64))}.

call(Core) ->
    case rand:uniform(8) of
        1 -> {hydros_io, pick([in8, in16, in32]), [port()]};
        2 -> {hydros_io, pick([out8, out16, out32]), [safe_port(), value()]};
        3 -> {hydros_io, give, [pick([post, nosuch, <<"post">>]), pick([Core, 999, -1, x])]};
        4 -> {hydros_cap, check, [pick([port_io, {port_io, port()}, {port_io, range()}, {irq, 3}, {irq, 999},
                                        device_control, {app, rand:uniform(3)}, {raw_memory, 0, 4096}])]};
        5 -> {hydros_cap, exclusions, []};
        6 -> {hydros_io, pick([in8, in16, in32]), [pick([16#40, 16#61, 16#70, 16#71, 16#80, 16#60, 16#cf8])]};
        7 -> {hydros_io, map, [pick([16#FED00000, 16#FEE00000, 16#FEC00000, 0, rand:uniform(1 bsl 32),
                                     1 bsl 64 - 8, -1, x]),
                               pick([1, 8, 4096, 16#2000, 0, 1 bsl 40, -3])]};
        8 -> {hydros_io, pick([irq_subscribe, irq_ack, irq_unsubscribe]),
              [pick([1, 3, 5, 8, 12, 15, 16, 255, 256, -1, x])]}
    end.

%% Any port, or garbage.
port() -> pick([rand:uniform(16#10000) - 1, -1, 16#10000, 16#FFFF, 1.5, foo, 1 bsl 70]).

%% Writes: the POST port, ports no device has, or garbage.
safe_port() -> pick([16#80, 16#3F8, 16#1000 + rand:uniform(16#1000), 16#F000, -5, bar]).

value() -> pick([0, rand:uniform(16#FF), rand:uniform(16#FFFF), 16#FFFFFFFF, 16#100000000, -1, "x"]).

pick(L) -> lists:nth(rand:uniform(length(L)), L).

%% A server and a supervisor that run a fun, for the inheritance checks:
%% gen_server:start(hydros_cap_fuzz, Fun, []) runs Fun in the server at
%% gen_server:call(S, run); supervisor:start_link(hydros_cap_fuzz, {sup,
%% Fun}) starts one such server as its child.
init({sup, Fun}) ->
    {ok, {#{}, [#{id => runner, start => {gen_server, start_link, [?MODULE, Fun, []]}}]}};
init(Fun) when is_function(Fun, 0) ->
    {ok, Fun}.

handle_call(run, _From, Fun) -> {reply, Fun(), Fun}.

handle_cast(_, Fun) -> {noreply, Fun}.
