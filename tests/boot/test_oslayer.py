"""The OS layer's first parts (issue 14), on 4 cores. Spawn placement:
hydros:spawn/1 puts 1,000 waiting processes
on the four idle nodes within 10 % of even, and keeps off a node whose CPU
is kept busy; the other policies put a process on a given core, or not
beside a given process; a bad policy is an error; a placed process whose
node dies is reported to its monitor like any remote process. The
operator's commands (help, top, ps, run) against a live node, a dead node and
a bad argument; top refreshes until Enter and the shell goes on. State:
every node's load, and events: a subscriber hears a node die and come back,
and a device move."""
import re
import unittest

from shell import ShellTestCase
from test_dist import last_line, squeeze

# The shell's next prompt, at the start of a line.
PROMPT_AFTER = r"^(?:\(c0@hydros\))?%d> "
NODES = ["c0@hydros", "c1@hydros", "c2@hydros", "c3@hydros"]

# Spawns N processes that wait for `stop`: how many landed on each node.
SPREAD = ("Ps = [hydros:spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, %d)], "
          "Count = lists:foldl(fun(P, M) -> maps:update_with(node(P), fun(X) -> X + 1 end, 1, M) end, #{}, Ps), "
          "[P ! stop || P <- Ps], lists:sort(maps:to_list(Count)).")


class OsLayer(ShellTestCase):
    NAME, SMP, MESH = "qemu-oslayer", 4, NODES

    def eval(self, expr, timeout=60):
        self.sh.forget()
        return squeeze(self.sh.eval(expr, timeout))

    def restart(self, core):
        """hydros:restart(Core), then its node's boot, so that no line of it
        lands in a later reply."""
        mark = self.sh.boot.mark()
        self.assertEqual(last_line(self.sh.eval("hydros:restart(%d)." % core, 90)), "ok")
        self.sh.boot.expect(r"^node %d: up$" % core, 60, after=mark)
        self.sh.settle()

    def counts(self, n):
        reply = self.eval(SPREAD % n, 120)
        return {node: int(k) for node, k in re.findall(r"\{(c\d@hydros),(\d+)\}", reply)}, reply

    def test_1_a_thousand_spread_evenly_over_idle_nodes(self):
        counts, reply = self.counts(1000)
        print("  hydros:spawn/1 x 1000 on idle nodes: %s" % reply, flush=True)
        self.assertEqual(sorted(counts), NODES, reply)
        for node, k in counts.items():
            self.assertTrue(225 <= k <= 275, reply)

    def test_2_a_busy_node_is_avoided_and_top_shows_it(self):
        self.addCleanup(self.eval, "exit(get(busy), kill).")
        self.eval("put(busy, spawn(c2@hydros, fun Spin() -> Spin() end)), timer:sleep(1500).")
        counts, reply = self.counts(300)
        print("  hydros:spawn/1 x 300 with c2 kept busy: %s" % reply, flush=True)
        self.assertLess(counts.get("c2@hydros", 0), 30, reply)
        top = self.sh.eval("hydros:top(0).")
        print("  hydros:top(0):\n" + top, flush=True)
        cpu = {int(c): int(p) for c, p in re.findall(r"^c(\d) +running +(\d+) ", top, re.M)}
        self.assertEqual(sorted(cpu), [0, 1, 2, 3], top)
        self.assertGreaterEqual(cpu[2], 90, top)
        self.assertLess(cpu[3], 50, top)

    def test_3_policies(self):
        self.assertEqual(self.eval("lists:usort([node(hydros:spawn(fun() -> ok end, #{policy => {core, 3}})) "
                                   "|| _ <- lists:seq(1, 20)])."), "[c3@hydros]")
        self.assertEqual(self.eval("P = spawn(c1@hydros, fun() -> receive stop -> ok end end), "
                                   "Ns = lists:usort([node(hydros:spawn(fun() -> ok end, #{policy => {not_with, P}})) "
                                   "|| _ <- lists:seq(1, 40)]), P ! stop, lists:member(c1@hydros, Ns)."), "false")
        self.assertEqual(self.eval("lists:usort([node(hydros:spawn(fun() -> ok end, #{policy => round_robin})) "
                                   "|| _ <- lists:seq(1, 8)])."), "[c0@hydros,c1@hydros,c2@hydros,c3@hydros]")
        self.assertEqual(self.eval("{hydros:spawn(fun() -> ok end, #{policy => fastest}), "
                                   "hydros:spawn(fun() -> ok end, #{policy => {core, 9}}), hydros:spawn(nofun)}."),
                         "{{error,{bad_policy,fastest}},{error,{no_live_node_on_core,9}},{error,{badarg,[nofun,#{}]}}}")
        self.assertIn("c3@hydros", self.eval("hydros:placed()."))

    def test_4_a_placed_process_whose_node_dies_is_reported(self):
        reply = last_line(self.sh.eval(
            "P = hydros:spawn(fun() -> receive stop -> ok end end, #{policy => {core, 1}}), R = monitor(process, P), "
            "hydros:kill(1), receive {'DOWN', R, process, P, Why} -> {down, node(P), Why} after 5000 -> none end.", 60))
        self.assertEqual(reply, "{down,c1@hydros,noconnection}")
        self.restart(1)

    def test_5_operator_commands(self):
        reply = self.sh.eval("hydros:help().")
        for cmd in ("hydros:ps(Core)", "hydros:run(Core, M, F, A)", "hydros:spawn(Fun[, Opts])", "hydros:kill(Core)",
                    "hydros:top([Seconds])"):
            self.assertIn(cmd, reply)
        reply = self.sh.eval("hydros:ps(1).")
        self.assertRegex(reply, r"code_server +code_server:loop/1")
        self.assertRegex(reply, r"\n\d+ processes on c1\n")
        self.assertEqual(self.eval("{hydros:run(2, erlang, node, []), hydros:run(2, erlang, error, [boom]), "
                                   "hydros:run(2, nosuch, f, [])}."),
                         "{{ok,c2@hydros},{error,{exception,error,boom}},{error,{exception,error,undef}}}")
        self.assertEqual(self.eval("{hydros:ps(9), hydros:ps(x), hydros:run(x, erlang, node, []), "
                                   "hydros:run(1, erlang, node, notalist)}."),
                         "{{error,{no_core,9}},{error,{bad_core,x}},{error,{bad_core,x}},"
                         "{error,{badarg,[erlang,node,notalist]}}}")
        # A dead node: said so, and the shell goes on.
        self.assertEqual(last_line(self.sh.eval("hydros:kill(3), timer:sleep(500), ok.")), "ok")
        self.assertEqual(self.eval("{hydros:ps(3), hydros:run(3, erlang, node, []), hydros:top(x)}."),
                         "{{error,{not_running,3,node_dead}},{error,{not_running,3,node_dead}},{error,{bad_seconds,x}}}")
        # A fault of the node where none runs, a core that is alive, bad arguments.
        self.assertEqual(self.eval("{hydros:inject(3, halt), hydros:kill(3), hydros:restart(1), hydros:inject(9, halt), "
                                   "hydros:inject(1, bogus), hydros:inject(x, halt), hydros:inject(1, \"halt\")}."),
                         "{{error,{not_running,3}},{error,{not_running,3}},{error,{not_dead,1}},{error,{no_core,9}},"
                         "{error,{bad_fault,bogus}},{error,{bad_core,x}},{error,{bad_fault,\"halt\"}}}")
        self.assertEqual(self.eval("{hydros:kill(x), hydros:restart(-1), hydros:policy(x), hydros:policy(x, temporary), "
                                   "hydros:policy(1, bogus), hydros:services(x)}."),
                         "{{error,{bad_core,x}},{error,{bad_core,-1}},{error,{bad_core,x}},{error,{bad_core,x}},"
                         "{error,{bad_policy,bogus}},{error,{bad_core,x}}}")
        self.assertRegex(self.sh.eval("hydros:top(0)."), r"\nc3 +node_dead +- +- +\d+ +- +- +0\n")
        self.restart(3)

    def test_6_state_events(self):
        # A subscriber hears a node die and come back, and a device move.
        self.eval("ok = hydros:subscribe().")
        self.assertEqual(last_line(self.sh.eval("hydros:kill(2), receive {hydros, {node_down, 2, Why}} -> Why "
                                                "after 5000 -> none end.", 60)), '"killed"')
        mark = self.sh.boot.mark()
        self.assertEqual(last_line(self.sh.eval("hydros:restart(2), receive {hydros, {node_restarted, 2}} -> back "
                                                "after 20000 -> none end.", 60)), "back")
        self.sh.boot.expect(r"^node 2: up$", 60, after=mark)
        self.sh.settle()
        self.assertEqual(self.eval("hydros_io:give(post, 1), receive {hydros, {device_moved, post, F, T}} -> {F, T} "
                                   "after 5000 -> none end."), "{0,1}")
        self.assertEqual(self.eval("rpc:call(c1@hydros, hydros_io, give, [post, 0]), "
                                   "receive {hydros, {device_moved, post, F, T}} -> {F, T} after 5000 -> none end."), "{1,0}")
        self.assertEqual(self.eval("#{cores := Cs, devices := Ds} = hydros:state(), {length(Cs), lists:keyfind(post, 1, Ds)}."),
                         "{4,{post,0}}")
        self.assertEqual(self.eval("hydros:unsubscribe()."), "ok")

    def test_7_top_refreshes_until_enter(self):
        mark = self.sh.boot.mark()
        self.sh.boot.send("hydros:top().\n")
        header = r"^core +state +cpu% +reds/s +mem KiB +runq +processes +restarts\n"
        self.sh.boot.expect(r"(?:%s(?:.*\n)*?){3}" % header, 30, after=mark)
        self.assertIsNone(re.search(PROMPT_AFTER % (self.sh.prompt + 1), self.sh.boot.since(mark), re.M))
        mark = self.sh.boot.mark()
        self.sh.boot.send("\n")
        self.sh.boot.expect(PROMPT_AFTER % (self.sh.prompt + 1), 30, after=mark)
        self.sh.settle()
        self.assertEqual(self.eval("6 * 7."), "42")
        tables = self.sh.eval("hydros:top(2).").count("restarts\n")
        self.assertEqual(tables, 3)

    def test_8_state_has_every_nodes_load(self):
        reply = self.eval("#{loads := L} = hydros:state(), "
                          "[{N, is_float(B), R > 0, M > 0, Q >= 0} || {N, #{busy := B, reductions_per_s := R, "
                          "memory_kib := M, run_queue := Q}} <- lists:sort(maps:to_list(L))].")
        self.assertEqual(reply, "[" + ",".join("{%s,true,true,true,true}" % n for n in NODES) + "]")


if __name__ == "__main__":
    unittest.main()
