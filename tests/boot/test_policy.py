"""The restart policy (erlang_os/hydros_policy), on the image as shipped:
every node permanent, at most 3 restarts in 10 s. The lowest running node
leads and restarts a dead node or a dead core by itself; a node the
operator killed stays down; a transient node that ended normally stays
down; a node that keeps crashing at start is restarted as often as its
intensity allows, then left down with a console line. When no node is
left at all, the kernel of the lowest live core starts its node again."""
import os
import re
import time
import unittest

from harness import IMAGE, ROOT, Boot, node_args, variant_archive, variant_image, policy_image
from shell import Shell, ShellTestCase
from test_dist import last_line, squeeze, wait_for_mesh
from test_faults import NO_RESET

NODES = ["c%d@hydros" % k for k in range(3)]
# Every fault of the detection issue, each on core 1: a restart after each
# (the whole-core faults restart the core), but chan_garbage, which ends
# no node: its connections close and form again over the resynced rings;
# and heap_panic, a core that dies holding the kernel heap's lock, which
# the others take from it (spinlock.h) instead of stopping at it.
FAULTS = ["halt", "node_crash", "node_hang", "kernel_panic", "core_hang", "wild_write", "mce", "chan_garbage",
          "heap_panic"]


# The leader's lines, through the kernel's log: whole lines, [cN]-prefixed.
SAYS = r"^\[c\d\] hydros_policy: "


class Policy(ShellTestCase):
    NAME, IMAGE, SMP, EXTRA, MESH = "qemu-policy", IMAGE, 3, NO_RESET, NODES

    def test_1_policy_from_the_archive(self):
        self.assertEqual(squeeze(self.sh.eval("hydros:policy(1).")),
                         "#{intensity=>3,period=>10,restart=>permanent}")
        self.assertEqual(squeeze(self.sh.eval("rpc:call(c2@hydros, hydros, policy, [default]).")),
                         "#{intensity=>3,period=>10,restart=>permanent}")
        self.assertEqual(self.sh.eval("hydros:policy(1, sometimes)."), "{error,{bad_policy,sometimes}}")
        self.assertEqual(squeeze(self.sh.eval("hydros:policy(1, #{period => 0}).")),
                         "{error,{bad_policy,#{period=>0}}}")

    def test_2_every_fault_comes_back(self):
        """Each fault on core 1: nodedown, then the leader (c0) restarts it;
        it answers rpc:call, and c2 never stopped answering c0."""
        # Eight deaths in a row: more than the shipped intensity allows.
        self.assertEqual(self.sh.eval("hydros:policy(1, #{intensity => 100})."), "ok")
        self.assertEqual(self.sh.eval("rpc:call(c2@hydros, hydros, policy, [1]) =:= hydros:policy(1)."), "true")
        self.sh.eval("P = restart_bench:answering([c2@hydros]).")
        for fault in FAULTS:
            reply = last_line(self.sh.eval("restart_bench:comes_back(1, %s)." % fault, 90))
            m = re.fullmatch(r"\{ok,#\{nodedown_ms=>(\d+),nodeup_ms=>(\d+)\}\}", reply)
            self.assertIsNotNone(m, "%s: %s" % (fault, reply))
            print("  %s on c1: nodedown after %s ms, back (nodeup at c0) after %s ms" % (
                fault, m.group(1), m.group(2)), flush=True)
            self.sh.settle()
            self.assertEqual(self.sh.eval("rpc:call(c1@hydros, hydros, core, [])."), "1", fault)
        wait_for_mesh(self, self.sh, NODES)
        reply = squeeze(self.sh.eval("restart_bench:answered(P)."))
        m = re.fullmatch(r"\{(\d+),\[\]\}", reply)
        self.assertIsNotNone(m, "c2 did not answer every call: %s" % reply)
        self.assertGreater(int(m.group(1)), 100)
        self.assertRegex(self.sh.boot.text(), r"(?m)" + SAYS + r"c1 died \(panic: injected kernel panic\): restarted$")

    def test_3_killed_stays_down(self):
        mark = self.sh.boot.mark()
        self.assertEqual(last_line(self.sh.eval("hydros:kill(2).")), "ok")
        self.sh.boot.expect(SAYS + r"c2 died \(killed\): killed by the operator; left down$", 30,
                            after=mark)
        self.sh.settle()
        time.sleep(1)
        self.assertEqual(self.sh.eval("[S || #{core := 2, state := S} <- hydros:status()]."), "[node_dead]")
        self.assertEqual(self.sh.eval("hydros:kill(2)."), "{error,{not_running,2}}")
        self.assertEqual(self.sh.eval("hydros:kill(7)."), "{error,{no_core,7}}")
        self.assertEqual(self.sh.eval("hydros:restart(2)."), "ok")
        wait_for_mesh(self, self.sh, NODES)

    def test_4_transient_ended_normally_stays_down(self):
        self.assertEqual(self.sh.eval("hydros:policy(2, transient)."), "ok")
        mark = self.sh.boot.mark()
        self.assertEqual(last_line(self.sh.eval("hydros:inject(2, halt).")), "ok")
        self.sh.boot.expect(SAYS + r"c2 died \(exit:0\): it ended normally and its policy is transient; "
                            r"left down$", 30, after=mark)
        self.sh.settle()
        self.assertEqual(self.sh.eval("hydros:restart(2)."), "ok")
        wait_for_mesh(self, self.sh, NODES)
        # An abnormal end of a transient node: restarted.
        mark = self.sh.boot.mark()
        self.assertEqual(last_line(self.sh.eval("restart_bench:comes_back(2, node_crash).", 90))[:4], "{ok,")
        self.sh.boot.expect(SAYS + r"c2 died \(.*\): restarted$", 30, after=mark)
        self.sh.settle()


class CoreZeroComesBack(unittest.TestCase):
    def test_kernel_panic_then_core_hang_on_core0(self):
        """Core 0 dies: the console moves to c1, whose node now leads and
        restarts core 0 through the BIOS's warm reset; c0 answers rpc:call
        again, twice, and c2 kept answering c1 all along."""
        with Shell("qemu-policy-core0", image=IMAGE, smp=3, extra=NO_RESET) as sh:
            wait_for_mesh(self, sh, NODES)
            self.assertEqual(sh.eval("is_pid(rpc:call(c2@hydros, restart_bench, answering, [[c1@hydros]]))."),
                             "true")
            for fault, prompt in (("kernel_panic", 1), ("core_hang", None)):
                mark = sh.boot.mark()
                sh.boot.send("hydros:inject(0, %s).\n" % fault)
                if prompt:  # the console moves to c1 once, for good
                    sh.boot.expect(r"^hydros: the console moves to core 1: core 0 is dead$", 30, after=mark)
                    sh.boot.expect(r"\(c1@hydros\)1> ", 30, after=mark)
                    sh.prompt = 1
                sh.boot.expect(r"^smp: restarting core 0 \(INIT, the BIOS's warm reset\)$", 30, after=mark)
                sh.boot.expect(r"^core 0 online \(lapic id 0\)$", 30, after=mark)
                sh.boot.expect(SAYS + r"c0 died \(.*\): restarted$", 30, after=mark)
                sh.boot.expect(r"^\[c0\] c0: c0@hydros on core 0 up", 60, after=mark)
                sh.settle()
                wait_for_mesh(self, sh, NODES)
                self.assertEqual(sh.eval("rpc:call(c0@hydros, hydros, core, [])."), "0", fault)
                self.assertEqual(sh.eval("hydros:console_core()."), "1")
            reply = squeeze(sh.eval("restart_bench:answered({restart_bench_pinger, c2@hydros})."))
            m = re.fullmatch(r"\{(\d+),\[\]\}", reply)
            self.assertIsNotNone(m, "c1 did not answer every call from c2: %s" % reply)
            self.assertGreater(int(m.group(1)), 50)


class Intensity(unittest.TestCase):
    def test_crashing_at_start_is_left_down(self):
        """c2's node exits with status 7 as soon as it boots; its policy
        allows 2 restarts in 60 s: it is restarted twice, then left down."""
        with open(os.path.join(ROOT, "rootfs", "etc", "hydros", "node.args")) as f:
            args = f.read().split("\n")[:-1]
        args[args.index("hydros:boot()")] = "erlang:halt(7)"
        archive = variant_archive("policy-intensity", {
            "etc/hydros/c2.args": node_args(*args),
            "etc/hydros/policy.config": b"{2, #{intensity => 2, period => 60}}.\n"})
        with Boot("qemu", smp=3, image=variant_image("policy-intensity", archive=archive),
                  name="qemu-policy-intensity", extra=NO_RESET) as b:
            b.expect(SAYS + r"c2 died \(exit:7\): restarted 2 times within 60 s already, "
                     r"as many as its policy allows; left down$", 120)
            time.sleep(3)
            text = b.text()
            self.assertEqual(len(re.findall(r"(?m)" + SAYS + r"c2 died \(exit:7\): restarted$", text)), 2, text)
            self.assertEqual(len(re.findall(r"(?m)^node 2: started", text)), 3, text)
            self.assertNotRegex(text, r"hydros_policy: c[01]")
            self.assertRegex(text, r"(?m)^\[c0\] hydros_policy: c2 died")  # c0 leads


class KernelFallback(unittest.TestCase):
    def test_no_node_left(self):
        """Every node temporary: with both nodes gone, the kernel of core 0
        starts its node again by itself, and the console has a shell."""
        with Shell("qemu-policy-fallback", smp=2, extra=NO_RESET) as sh:
            wait_for_mesh(self, sh, NODES[:2])
            self.assertEqual(last_line(sh.eval("hydros:inject(1, halt).")), "ok")
            sh.boot.expect(r"^node 1: exited with status 0$", 30)
            sh.settle()
            mark = sh.boot.mark()
            sh.boot.send("hydros:inject(0, halt).\n")
            sh.boot.expect(r"^node 0: exited with status 0$", 30, after=mark)
            sh.boot.expect(r"^hydros: no node is alive: core 0 starts its node again$", 30, after=mark)
            sh.boot.expect(r"^node 0: up$", 60, after=mark)
            sh.settle(quiet=2, timeout=60)
            self.assertEqual(sh.eval("hydros:core()."), "0")
            self.assertEqual(sh.eval("[S || #{core := 1, state := S} <- hydros:status()]."), "[node_dead]")


if __name__ == "__main__":
    unittest.main()
