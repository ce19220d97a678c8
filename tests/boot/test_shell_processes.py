"""Processes from the Erlang shell: 10000 spawned processes each sending back
a reply, a ring of 10000, links and exit signals, monitors, ETS, a real OTP
gen_server and a real supervisor restarting a killed child. One boot.

The shell cannot define modules (compile is not in the boot archive), so the
gen_server and the supervised child are `pg` scope servers, a gen_server that
kernel ships, and the supervisor is the running kernel_safe_sup (one_for_one,
4 restarts an hour; kernel_sup itself allows none and would take the node down)."""
import unittest

from shell import ShellTestCase

# Interpreted funs under TCG: 10000 spawns take about 5 s.
SLOW = 60


class ShellProcesses(ShellTestCase):
    NAME = "shell-processes"
    CHECK_TIMEOUT = 10

    def test_spawn_10000_and_sum_replies(self):
        self.check("Base = erlang:system_info(process_count), is_integer(Base).", "true")
        self.check("Self = self(), Pids = [spawn(fun() -> Self ! {square, N * N} end) "
                   "|| N <- lists:seq(1, 10000)], "
                   "{length(lists:usort(Pids)), lists:sum([receive {square, V} -> V end || _ <- Pids])}.",
                   "{10000,%d}" % sum(n * n for n in range(1, 10001)), SLOW)
        # Every one of them has exited.
        self.check("erlang:system_info(process_count) - Base.", "0")

    def test_ring_of_10000(self):
        # Each process adds one to the token and passes it on; the last hands it back.
        self.check("Ring = fun(N) -> Me = self(), First = lists:foldl(fun(_, Next) -> "
                   "spawn(fun() -> receive {token, K} -> Next ! {token, K + 1} end end) end, "
                   "Me, lists:seq(1, N)), First ! {token, 0}, "
                   "receive {token, K} -> K after 30000 -> timeout end end, ok.", "ok")
        self.check("Ring(10000).", "10000", SLOW)

    def test_links_and_exits(self):
        self.assertRegex(self.sh.eval(
            "process_flag(trap_exit, true), P = spawn_link(fun() -> exit(my_reason) end), "
            "receive Msg -> {Msg =:= {'EXIT', P, my_reason}, Msg} after 5000 -> timeout end."),
            r"\A\{true,\{'EXIT',<0\.\d+\.0>,my_reason\}\}\Z")
        self.check("Q = spawn_link(fun() -> receive never -> ok end end), exit(Q, kill), "
                   "receive {'EXIT', Q, Why} -> Why after 5000 -> timeout end.", "killed")
        # Without trap_exit a linked process dies with the same reason.
        self.check("Victim = spawn(fun() -> receive never -> ok end end), Ref = monitor(process, Victim), "
                   "spawn(fun() -> link(Victim), exit(crash) end), "
                   "receive {'DOWN', Ref, process, Victim, R} -> R after 5000 -> timeout end.", "crash")
        # A normal exit does not kill a linked process that does not trap exits.
        self.check("Calm = spawn(fun() -> receive stop -> ok end end), "
                   "spawn(fun() -> link(Calm) end), timer:sleep(100), is_process_alive(Calm).", "true")
        self.check("process_flag(trap_exit, false).", "true")

    def test_monitors(self):
        self.check("{P, Ref} = spawn_monitor(fun() -> exit(boom) end), "
                   "receive Down -> {Down =:= {'DOWN', Ref, process, P, boom}, element(5, Down)} "
                   "after 5000 -> timeout end.", "{true,boom}")
        self.check("{P2, Ref2} = spawn_monitor(fun() -> ok end), "
                   "receive {'DOWN', Ref2, process, P2, Why2} -> Why2 after 5000 -> timeout end.", "normal")
        # A monitor on a process already gone fires at once with noproc.
        self.check("Ref3 = monitor(process, P), "
                   "receive {'DOWN', Ref3, process, P, Why3} -> Why3 after 5000 -> timeout end.", "noproc")
        self.check("P4 = spawn(fun() -> receive stop -> ok end end), Ref4 = monitor(process, P4), "
                   "demonitor(Ref4), P4 ! stop, "
                   "receive {'DOWN', Ref4, _, _, _} -> fired after 500 -> quiet end.", "quiet")

    def test_ets(self):
        self.check("T = ets:new(squares, [set, public]), "
                   "ets:insert(T, [{K, K * K} || K <- lists:seq(1, 100)]).", "true")
        self.check("{ets:lookup(T, 7), ets:lookup(T, 1000), ets:info(T, size)}.", "{[{7,49}],[],100}")
        self.check("lists:sort(ets:select(T, [{{'$1', '$2'}, [{'>', '$1', 97}], ['$2']}])).",
                   "[9604,9801,10000]")
        self.check("{ets:match(T, {'$1', 400}), ets:match_object(T, {'_', 441})}.", "{[[20]],[{21,441}]}")
        self.check("ets:delete(T, 7), {ets:lookup(T, 7), ets:info(T, size)}.", "{[],99}")
        self.check("{ets:select_delete(T, [{{'$1', '_'}, [{'>', '$1', 50}], [true]}]), ets:info(T, size)}.",
                   "{50,49}")
        self.check("O = ets:new(ordered, [ordered_set]), ets:insert(O, [{c, 3}, {a, 1}, {b, 2}]), "
                   "{ets:first(O), ets:next(O, a), ets:tab2list(O)}.", "{a,b,[{a,1},{b,2},{c,3}]}")
        self.check("{ets:delete(T), ets:info(T), ets:delete(O)}.", "{true,undefined,true}")

    def test_gen_server(self):
        # pg's callbacks run by gen_server itself, under a name of our own.
        self.check("{ok, Pg} = gen_server:start({local, shell_scope}, pg, [shell_scope], []), "
                   "{whereis(shell_scope) =:= Pg, element(3, sys:get_status(shell_scope))}.",
                   "{true,{module,gen_server}}")
        self.check("{pg:join(shell_scope, workers, [self(), self()]), pg:which_groups(shell_scope)}.",
                   "{ok,[workers]}")
        self.check("pg:get_members(shell_scope, workers) =:= [self(), self()].", "true")
        self.check("{pg:leave(shell_scope, workers, self()), length(pg:get_members(shell_scope, workers))}.",
                   "{ok,1}")
        self.check("{gen_server:stop(shell_scope), whereis(shell_scope), is_process_alive(Pg)}.",
                   "{ok,undefined,false}")

    def test_supervisor_restarts_killed_child(self):
        self.check("{ok, Old} = supervisor:start_child(kernel_safe_sup, "
                   "#{id => shell_pg, start => {pg, start_link, [shell_sup_scope]}}), "
                   "{ok, Spec} = supervisor:get_childspec(kernel_safe_sup, shell_pg), "
                   "{whereis(shell_sup_scope) =:= Old, maps:with([restart, type], Spec)}.",
                   "{true,#{restart => permanent,type => worker}}")
        # Kill it; wait for the new child, then for the logger to have printed
        # the supervisor's report, so that it lands inside this reply.
        reply = self.sh.eval(
            "exit(Old, kill), Wait = fun W(0) -> timeout; W(N) -> case whereis(shell_sup_scope) of "
            "P when is_pid(P), P =/= Old -> restarted; _ -> timer:sleep(10), W(N - 1) end end, "
            "Result = Wait(300), logger_std_h:filesync(default), Result.")
        self.assertRegex(reply, r"\A=SUPERVISOR REPORT==== .* ===\n"
                         r"    supervisor: \{local,kernel_safe_sup\}\n"
                         r"    errorContext: child_terminated\n"
                         r"    reason: killed\n"
                         r"    offender: \[\{pid,<0\.\d+\.0>\},\n"
                         r"               \{id,shell_pg\},\n"
                         r"(?:.*\n)*\nrestarted\Z")
        self.check("New = whereis(shell_sup_scope), {is_process_alive(Old), New =/= Old, "
                   "lists:keyfind(shell_pg, 1, supervisor:which_children(kernel_safe_sup)) "
                   "=:= {shell_pg, New, worker, [pg]}}.", "{false,true,true}")
        # The restarted server works.
        self.check("{pg:join(shell_sup_scope, g, self()), pg:get_members(shell_sup_scope, g) =:= [self()]}.",
                   "{ok,true}")
        self.check("{supervisor:terminate_child(kernel_safe_sup, shell_pg), "
                   "supervisor:delete_child(kernel_safe_sup, shell_pg), whereis(shell_sup_scope)}.",
                   "{ok,ok,undefined}")


if __name__ == "__main__":
    unittest.main()
