"""Erlang distribution over the channels (-proto_dist msgchan), four cores:
the nodes connect in a full mesh at boot; rpc, remote spawn, monitor, link,
global and pg work across it; a token goes 10000 times round a ring of
processes on every node; a 10 MiB binary goes from c1 to c2 intact; and
when c3 halts, every other node gets nodedown at once (its rings close, no
net tick), and keeps working. The workloads are msgchan_bench's."""
import re
import time
import unittest

from shell import Shell

NODES = ["c0@hydros", "c1@hydros", "c2@hydros", "c3@hydros"]
MESH_TIMEOUT = 60
NODEDOWN_MS = 200  # the bound; the rings close in a few ms


def squeeze(text):
    return re.sub(r"\s+", "", text)


class Dist(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sh = Shell("qemu-dist", smp=4).start()

    @classmethod
    def tearDownClass(cls):
        cls.sh.stop()

    def check(self, expr, reply, timeout=60):
        self.assertEqual(squeeze(self.sh.eval(expr, timeout)), reply, expr)

    def test_1_full_mesh(self):
        """Every node lists every other one, without anyone asking."""
        expr = "[{N, lists:sort(rpc:call(N, erlang, nodes, []))} || N <- lists:sort([node() | nodes()])]."
        want = "[%s]" % ",".join("{%s,[%s]}" % (n, ",".join(m for m in NODES if m != n)) for n in NODES)
        deadline = time.monotonic() + MESH_TIMEOUT
        while squeeze(self.sh.eval(expr)) != want:
            self.assertLess(time.monotonic(), deadline, "no full mesh after %d s" % MESH_TIMEOUT)
            time.sleep(1)

    def test_2_rpc_spawn_monitor_link(self):
        self.check("[rpc:call(N, hydros, core, []) || N <- lists:sort(nodes())].", "[1,2,3]")
        self.check("P = spawn(c2@hydros, timer, sleep, [infinity]), R = monitor(process, P), exit(P, kill), "
                   "receive {'DOWN', R, process, P, Why} -> {node(P), Why} after 5000 -> timeout end.",
                   "{c2@hydros,killed}")
        self.check("process_flag(trap_exit, true), L = spawn_link(c3@hydros, timer, sleep, [infinity]), "
                   "exit(L, boom), receive {'EXIT', L, W} -> {node(L), W} after 5000 -> timeout end.",
                   "{c3@hydros,boom}")

    def test_3_global_and_pg(self):
        self.check("G = spawn(c1@hydros, timer, sleep, [infinity]), yes = global:register_name(hydros_test, G), "
                   "node(rpc:call(c2@hydros, global, whereis_name, [hydros_test])).", "c1@hydros")
        self.check("ok = rpc:call(c3@hydros, pg, join, [hydros_group, rpc:call(c3@hydros, erlang, whereis, [init])]), "
                   "F = fun W(0) -> timeout; W(K) -> case rpc:call(c1@hydros, pg, get_members, [hydros_group]) of "
                   "[] -> timer:sleep(100), W(K - 1); Ms -> [node(M) || M <- Ms] end end, F(50).",
                   "[c3@hydros]")

    def test_4_token_ring(self):
        reply = squeeze(self.sh.eval("msgchan_bench:ring(lists:sort([node() | nodes()]), 10000).", 300))
        self.assertRegex(reply, r"^\{10000,\d+\}$")

    def test_5_ten_mib_binary(self):
        self.check("rpc:call(c1@hydros, msgchan_bench, send_binary, [c2@hydros, 10 * 1024 * 1024]).",
                   "{10485760,true}", timeout=300)

    def test_6_bad_ports(self):
        self.check("try open_port({spawn_driver, \"msgchan 0\"}, [binary]) catch error:E0 -> E0 end.", "enxio")
        self.check("try open_port({spawn_driver, \"msgchan 9\"}, [binary]) catch error:E1 -> E1 end.", "enoent")
        self.check("try open_port({spawn_driver, \"msgchan x\"}, [binary]) catch error:E2 -> E2 end.", "badarg")
        self.check("net_adm:ping(c9@hydros).", "pang")

    def test_7_nodedown_when_c3_halts(self):
        reply = squeeze(self.sh.eval(
            "msgchan_bench:nodedown_latency([c0@hydros, c1@hydros, c2@hydros], c3@hydros).", 60))
        got = dict(re.findall(r"\{(c\d@hydros),([\d.]+|timeout)\}", reply))
        print("  nodedown after c3's halt, ms: %s" % ", ".join("%s %s" % kv for kv in sorted(got.items())))
        self.assertEqual(sorted(got), NODES[:3], reply)
        for node, ms in got.items():
            self.assertNotEqual(ms, "timeout", reply)
            self.assertLess(float(ms), NODEDOWN_MS, "%s got nodedown after %s ms" % (node, ms))
        self.sh.boot.expect(r"^node 3: exited with status 0$", 30)
        self.check("lists:sort(nodes()).", "[c1@hydros,c2@hydros]")
        self.check("[rpc:call(N, hydros, core, []) || N <- lists:sort(nodes())].", "[1,2]")
        self.assertRegex(squeeze(self.sh.eval("msgchan_bench:ring(lists:sort([node() | nodes()]), 300).")),
                         r"^\{300,\d+\}$")


if __name__ == "__main__":
    unittest.main()
