"""The OS layer as OTP applications, and the node's init (issue 14).

Every node boots a systools boot script (tools/mkrelease.py) that starts
kernel, stdlib and hydros; hydros's init (hydros_init) starts the node's
services, each as soon as what it requires is up, and says one line for
each: the lines come in dependency order, and application:which_applications()
lists hydros and the services' applications on every node. A service that
fails is retried per its policy, reported, and blocks only what requires
it: the node comes up anyway. A graph with a cycle stops the node's boot
with the cycle named."""
import os
import re
import unittest

from harness import ROOT, Boot, node_args, variant_archive, variant_image
from shell import Shell, ShellTestCase
from test_dist import last_line, squeeze

NODES = ["c0@hydros", "c1@hydros", "c2@hydros", "c3@hydros"]
# The default graph (erlang_os/hydros/src/hydros.app.src): service ->
# what must be settled before it starts (requires and 'after').
NEEDS = {"archive": [], "tmp": ["archive"], "drivers": ["archive"], "console": ["archive"],
         "state": ["archive"], "placer": ["archive", "tmp", "drivers", "console", "state", "policy"],
         "policy": ["archive"],
         "ready": ["archive", "tmp", "drivers", "console", "state", "placer", "policy"],
         "mesh": ["ready"], "mnesia": ["mesh"], "release": ["mesh"]}
UP = re.compile(r"^(?:\[c(\d)\] )?c(\d): init: (\w+) started at (\d+) ms, up in (\d+) ms$", re.M)


def args_with(core_args, services):
    """node.args with the hydros application's services key set (-hydros
    services TERM, before the -eval)."""
    with open(os.path.join(ROOT, "rootfs", "etc", "hydros", core_args)) as f:
        args = f.read().split("\n")[:-1]
    i = args.index("-eval")
    return node_args(*(args[:i] + ["-hydros", "services", services] + args[i:]))


class Init(ShellTestCase):
    NAME, SMP, MESH = "qemu-init", 4, NODES

    def eval(self, expr, timeout=60):
        self.sh.forget()
        return squeeze(self.sh.eval(expr, timeout))

    def test_1_booted_from_the_systools_boot_script(self):
        self.assertEqual(self.eval("{init:script_id(), code:lib_dir(hydros), code:lib_dir(rtc)}."),
                         '{{"hydros","1"},"/lib/hydros-1.0.0","/lib/rtc-1.0.0"}')

    def test_2_every_node_runs_the_applications(self):
        reply = self.eval("[{N, lists:sort([A || {A, _, _} <- rpc:call(N, application, which_applications, [])])} "
                          "|| N <- lists:sort([node() | nodes()])].")
        for node in NODES:
            m = re.search(r"\{%s,\[([a-z0-9_,]*)\]\}" % node, reply)
            self.assertIsNotNone(m, reply)
            apps = m.group(1).split(",")
            for app in ("hydros", "hydros_policy", "kernel", "stdlib"):
                self.assertIn(app, apps, "%s on %s: %s" % (app, node, reply))
        # Core 0 holds the clock, the PIT, PCI...: their drivers run there.
        c0 = re.search(r"\{c0@hydros,\[([a-z0-9_,]*)\]\}", reply).group(1).split(",")
        for app in ("rtc", "pit", "pci", "acpi_tables"):
            self.assertIn(app, c0, reply)

    def test_3_init_lines_in_dependency_order(self):
        text = self.sh.boot.text()
        for core in range(4):
            lines = [(m.start(), m.group(3), int(m.group(4)), int(m.group(4)) + int(m.group(5)))
                     for m in UP.finditer(text) if int(m.group(2)) == core and m.group(1) in (None, str(core))]
            seen = {name: (pos, start, up) for pos, name, start, up in lines}
            self.assertEqual(sorted(seen), sorted(NEEDS), "c%d's init lines: %s" % (core, lines))
            for name, needs in NEEDS.items():
                pos, start, _ = seen[name]
                for need in needs:
                    npos, _, nup = seen[need]
                    self.assertLess(npos, pos, "c%d: %s's line before %s's" % (core, name, need))
                    self.assertLessEqual(nup, start, "c%d: %s started before %s was up" % (core, name, need))
        # Concurrently: the services that need only the archive overlap.
        c0 = {m.group(3): (int(m.group(4)), int(m.group(4)) + int(m.group(5))) for m in UP.finditer(text)
              if m.group(1) is None}
        self.assertLess(c0["console"][0], c0["drivers"][1], c0)

    def test_4_services_shows_the_graph(self):
        reply = self.sh.eval("hydros:services().")
        for name, needs in NEEDS.items():
            self.assertRegex(reply, r"(?m)^%s +up +(task|worker) +\d+ +\d+ +1 " % name)
        self.assertRegex(reply, r"(?m)^ready +up .* archive \(tmp\) \(drivers\) \(console\) \(state\) "
                                r"\(placer\) \(policy\)$")
        self.assertRegex(reply, r"(?m)^placer +up .* archive \(tmp\) \(drivers\) \(console\) \(state\) "
                                r"\(policy\)$")
        self.assertRegex(self.sh.eval("hydros:services(3)."), r"(?m)^mnesia +up +task .* mesh$")
        self.assertEqual(self.eval("hydros:services(9)."), "{error,{no_core,9}}")
        self.assertEqual(self.eval("hydros:services(x)."), "{error,{bad_core,x}}")


FLAKY = ("[#{name => archive, start => {hydros, trust_the_archive_only, []}}, "
         "#{name => flaky, start => {erlang, error, [boom]}, retries => 1, backoff_ms => 50}, "
         "#{name => after_flaky, start => {io, format, [\"after_flaky ran~n\"]}, requires => [flaky]}, "
         "#{name => ready, start => {hydros, ready, []}, requires => [archive], 'after' => [flaky, after_flaky]}, "
         "#{name => mesh, start => {msgchan_dist, connect_all, []}, requires => [ready]}]")
CYCLE = ("[#{name => a, start => {erlang, node, []}, requires => [b]}, "
         "#{name => b, start => {erlang, node, []}, requires => [a]}]")


class FailingServices(unittest.TestCase):
    def test_a_failed_service_is_retried_reported_and_the_node_comes_up(self):
        archive = variant_archive("init-flaky", {"etc/hydros/c2.args": args_with("node.args", FLAKY)})
        with Shell("qemu-init-flaky", image=variant_image("init-flaky", archive=archive), smp=3) as sh:
            text = sh.boot.text()
            self.assertRegex(text, r"(?m)^\[c2\] c2: init: flaky failed \(try 1 of 2\): \{error,boom\}; again in 50 ms$")
            self.assertRegex(text, r"(?m)^\[c2\] c2: init: flaky failed \(try 2 of 2\): \{error,boom\}; given up$")
            self.assertRegex(text, r"(?m)^\[c2\] c2: init: after_flaky not started: it requires flaky, which failed$")
            self.assertRegex(text, r"(?m)^\[c2\] c2: init: ready started at \d+ ms, up in \d+ ms$")
            self.assertNotIn("after_flaky ran", text)
            reply = sh.eval("hydros:services(2).")
            self.assertRegex(reply, r"(?m)^flaky +failed +task +\d+ +\d+ +2 +\{error,boom\}$")
            self.assertRegex(reply, r"(?m)^after_flaky +blocked +task +- +- +0  flaky$")
            self.assertRegex(reply, r"(?m)^mesh +up ")
            self.assertEqual(last_line(sh.eval("rpc:call(c2@hydros, erlang, node, []).")), "c2@hydros")

    def test_a_cycle_stops_the_nodes_boot_naming_it(self):
        archive = variant_archive("init-cycle", {"etc/hydros/c1.args": args_with("node.args", CYCLE)})
        with Boot("qemu", smp=2, image=variant_image("init-cycle", archive=archive), name="qemu-init-cycle") as b:
            b.expect(r"^\[c1\] c1: init: the services cannot start: \{cycle,\[a,b,a\]\}$", 60)
            b.expect(r"^\[c1\] init terminating in do_boot \(hydros_not_started\)$", 30)
            b.expect(r"^node 1: exited with status 1$", 30)
            b.expect(r"^c0: init: ready started at \d+ ms", 60)


if __name__ == "__main__":
    unittest.main()
