"""Erlang distribution over the channels (-proto_dist msgchan), four cores:
the nodes connect in a full mesh at boot; rpc, remote spawn, monitor, link,
global and pg work across it; a token goes 10000 times round a ring of
processes on every node; a 10 MiB binary goes from c1 to c2 intact; and
when c3 halts, every other node gets nodedown at once (its rings close, no
net tick), and keeps working. The workloads are msgchan_bench's. And frames
that break the carrier's rules are dropped and counted, the node carrying on."""
import re
import time
import unittest

from harness import node_args_then, variant_archive, variant_image
from shell import Shell

NODES = ["c0@hydros", "c1@hydros", "c2@hydros", "c3@hydros"]
MESH_TIMEOUT = 60
NODEDOWN_MS = 200  # the bound; the rings close in a few ms


def squeeze(text):
    return re.sub(r"\s+", "", text)


# A logger report of the shell's node (a supervisor's, global's warning
# about a node it disconnects): its header line, then its message, indented
# or global's one line.
REPORT_HEADER = re.compile(r"^=[A-Z ]+ REPORT==== .* ===$")
REPORT_BODY = re.compile(r"^(?:\s|'global' at node |$)")


def last_line(reply):
    """A reply's last line, less the node's own logger reports, which land
    before or after it when a fault or a restart is in the same reply (the
    kernel's lines are no part of a reply already: shell.NOT_REPLY)."""
    lines, kept = reply.strip().split("\n"), []
    i = 0
    while i < len(lines):
        if REPORT_HEADER.match(lines[i]):
            i += 1
            while i < len(lines) and REPORT_BODY.match(lines[i]):
                i += 1
        else:
            kept.append(lines[i])
            i += 1
    return squeeze(kept[-1] if kept else "")


def wait_for_mesh(test, sh, nodes):
    """Waits until each of nodes lists every other one in nodes()."""
    expr = "[{N, lists:sort(rpc:call(N, erlang, nodes, []))} || N <- lists:sort([node() | nodes()])]."
    want = "[%s]" % ",".join("{%s,[%s]}" % (n, ",".join(m for m in nodes if m != n)) for n in nodes)
    deadline = time.monotonic() + MESH_TIMEOUT
    while squeeze(sh.eval(expr)) != want:
        test.assertLess(time.monotonic(), deadline, "no full mesh after %d s" % MESH_TIMEOUT)
        time.sleep(1)


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
        wait_for_mesh(self, self.sh, NODES)

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
        check_nodedown(self, self.sh, "halt", NODES[:3], "c3@hydros")
        self.sh.boot.expect(r"^node 3: exited with status 0$", 30)
        self.check("lists:sort(nodes()).", "[c1@hydros,c2@hydros]")
        self.check("[rpc:call(N, hydros, core, []) || N <- lists:sort(nodes())].", "[1,2]")
        self.assertRegex(squeeze(self.sh.eval("msgchan_bench:ring(lists:sort([node() | nodes()]), 300).")),
                         r"^\{300,\d+\}$")


def check_nodedown(test, sh, how, observers, victim):
    """Ends victim (halt or fault) while observers monitor it: each gets
    nodedown within NODEDOWN_MS."""
    reply = squeeze(sh.eval("msgchan_bench:nodedown_latency([%s], %s, %s)." % (",".join(observers), victim, how), 60))
    got = dict(re.findall(r"\{(c\d@hydros),([\d.]+|timeout)\}", reply))
    print("  nodedown after %s's %s, ms: %s" % (victim, how, ", ".join("%s %s" % kv for kv in sorted(got.items()))))
    test.assertEqual(sorted(got), sorted(observers), reply)
    for node, ms in got.items():
        test.assertNotEqual(ms, "timeout", reply)
        test.assertLess(float(ms), NODEDOWN_MS, "%s got nodedown after %s ms" % (node, ms))


class NodedownOnFault(unittest.TestCase):
    """A node the kernel kills (a store to kernel memory) sends no bye: its
    peers learn of it from the kernel, which closes its rings."""

    def test_nodedown_when_c2_faults(self):
        with Shell("qemu-dist-fault", image=variant_image("dist-fault", cmdline="debug_poke"), smp=3) as sh:
            wait_for_mesh(self, sh, NODES[:3])
            check_nodedown(self, sh, "fault", NODES[:2], "c2@hydros")
            sh.boot.expect(r"^node 2: crashed", 30)
            self.assertEqual(squeeze(sh.eval("nodes().")), "[c1@hydros]")


# Node c1 without distribution writes into its ring to c0: three frames that
# break the rules (an unknown kind, a continuation with no first fragment,
# a first fragment whose total is shorter than itself), then a good one.
BAD_FRAMES = ('{ok, F} = file:open("/dev/chan/0", [write, raw, binary]), '
              '[ok = file:write(F, Fr) || Fr <- [<<"Zjunk">>, <<"Corphan">>, <<"F", 1:32, "xyz">>, <<"Wfine">>]], '
              'io:format("c1 wrote 4 frames~n")')


class BadFrames(unittest.TestCase):
    def test_dropped_and_counted(self):
        archive = variant_archive("dist-bad-frames", {"etc/hydros/c1.args": node_args_then(BAD_FRAMES, dist=False)})
        with Shell("qemu-dist-bad-frames", image=variant_image("dist-bad-frames", archive=archive), smp=2) as sh:
            sh.boot.expect(r"^\[c1\] c1 wrote 4 frames$", 60)
            expr = "[{B, I} || {1, #{bad_frames := B, frames_in := I}} <- msgchan_dist:stats()]."
            deadline = time.monotonic() + 30
            while squeeze(sh.eval(expr)) != "[{3,4}]":
                self.assertLess(time.monotonic(), deadline, "c0's port to c1 did not count 3 bad frames of 4")
                time.sleep(0.5)
            self.assertEqual(sh.eval("1 + 1."), "2")


if __name__ == "__main__":
    unittest.main()
