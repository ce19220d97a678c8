"""The Erlang shell on node 0's console, driven as a person would type at it.

A Shell boots the image under QEMU or Bochs, waits for the first `1> `
prompt, then types one expression at a time. What comes back is only the
REPLY: the console echoes what is typed (the kernel's line discipline), so
every check anchors the echo right at the mark taken before typing and
takes the lines between it and the next prompt, whose number must be one
higher than the last."""
import re
import time
import unittest

from harness import Boot, policy_image

BOOT_TIMEOUT = {"qemu": 60, "bochs": 300}  # Bochs interprets every instruction
BANNER = r"^Eshell V13\.1\.5  \(abort with \^G\)\n"
PROMPT = r"(?:\(c\d+@hydros\))?(?P<n>\d+)> "  # the node is named: (c0@hydros)1>
AGAIN = r"(?:\(c\d+@hydros\))?\d+> "  # the same, printed again
# The node says which core it has, then the kernel that every node is up;
# those lines may come before or after the first prompt: wait for all three.
BOOTED = r"^hydros: all \d+ nodes up, \d+ ms after the first started\n"
# Lines that may land between the echo and the next prompt but are no part of
# the reply: other nodes' output (each line [cN]-prefixed by core 0's kernel),
# a restarted console node's init lines, and the kernel's own lines, which always start a line of their own (its
# fault dumps included: "*** node N ...", then indented register lines).
OTHER_LINE = (r"(?:\[c\d+\] |node \d+[:,] |hydros: |hydros_policy: |c\d+: init: |smp: |devices: |core \d+[ :]|\*\*\* (?:core|node) \d+"
              r"|  (?:rip|rax|rsi|r8 |r9 |r12|r13|at) )")
NOT_REPLY = re.compile("^" + OTHER_LINE)
# Such lines can also cut into the echo of what was typed: the kernel ends
# the echo's partial line, prints its lines, and the echo goes on below.
CUT = r"(?:\n(?:%s[^\n]*\n)+)?" % OTHER_LINE


def echo(expr):
    """A regex for the echo of expr and its newline, whole or cut by other
    cores' lines; a cut just before the newline leaves it on a line of its
    own, which is no part of the reply."""
    return CUT.join(re.escape(ch) for ch in expr) + CUT + "\n"


class Shell:
    def __init__(self, name, image=None, smp=1, extra=(), emulator="qemu", mem="2G"):
        """image: by default the image with every node temporary (a node a
        test kills stays dead until the test restarts it)."""
        self.boot = Boot(emulator, smp=smp, mem=mem, image=image or policy_image("temporary"), name=name, extra=extra)
        self.smp = smp
        self.boot_timeout = BOOT_TIMEOUT[emulator]
        self.prompt = 0

    # ---- starting and stopping
    def start(self):
        self.boot.__enter__()
        try:
            self.boot.expect(BANNER + r"(?:.*\n)*?" + PROMPT, self.boot_timeout)
            self.boot.expect(BOOTED, self.boot_timeout)
            # Other cores' lines reach the console whenever core 0 drains their
            # log rings: wait for every node's boot line before typing, so that
            # none lands between a typed expression and its echo.
            for k in range(1, self.smp):
                self.boot.expect(r"^\[c%d\] c%d: c%d@hydros on core %d up" % (k, k, k, k), self.boot_timeout)
        except BaseException:
            self.stop()
            raise
        self.prompt = 1
        return self

    def stop(self):
        self.boot.__exit__(None, None, None)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- typing expressions
    def timed_eval(self, expr, timeout=30):
        """Types `expr` (one line ending in '.') and returns (reply, seconds):
        the reply lines without the last newline, and the host's time from
        typing to the next prompt."""
        mark = self.boot.mark()
        t0 = time.monotonic()
        self.boot.send(expr + "\n")
        # Before the echo: the rest of a line an earlier expect matched part
        # of, or whole lines other cores' kernels printed meanwhile.
        # The node's own output (a logger warning) may have made the shell
        # print its prompt again just before the echo.
        m = self.boot.expect(r"\A(?:.*\n)*?(?:%s)?%s(?P<out>(?:.*\n)*?)%s" % (AGAIN, echo(expr), PROMPT),
                             timeout, after=mark)
        seconds = time.monotonic() - t0
        if int(m.group("n")) != self.prompt + 1:
            raise AssertionError("%s: after prompt %d came prompt %s; console was:\n%s" % (
                expr, self.prompt, m.group("n"), self.boot.text()[-3000:]))
        self.prompt += 1
        out = "".join(line for line in m.group("out").splitlines(True) if not NOT_REPLY.match(line))
        return (out[:-1] if out.endswith("\n") else out), seconds

    def eval(self, expr, timeout=30):
        """The reply to `expr`, e.g. eval("1+2.") == "3"."""
        return self.timed_eval(expr, timeout)[0]

    def settle(self, quiet=0.5, timeout=15):
        """Waits until the console has been quiet for `quiet` seconds (a
        fault's reports, the node's own warnings about a lost peer, and the
        prompt the shell prints again after them), then takes the last
        prompt's number as the current one."""
        deadline = time.monotonic() + timeout
        seen = self.boot.mark()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.boot.mark()
            if now == seen:
                break
            seen = now
        self.prompt = int(re.findall(PROMPT, self.boot.text())[-1])

    def forget(self):
        """Forgets every shell variable binding (`f().`), so that a test does
        not depend on what an earlier one bound."""
        if self.eval("f().") != "ok":
            raise AssertionError("f(). did not reply ok")

    def halt(self, timeout=30):
        """Types `halt().`: the node exits with status 0, the machine powers
        off and the emulator exits."""
        mark = self.boot.mark()
        self.boot.send("halt().\n")
        self.boot.expect(r"\Ahalt\(\)\.\nnode 0: exited with status 0\nhydros: powering off\n",
                         timeout, after=mark)
        return self.boot.proc.wait(timeout)


class ShellTestCase(unittest.TestCase):
    """One booted shell for the whole class, named NAME, on SMP cores (the
    image IMAGE, the EMULATOR's EXTRA arguments, MEM of memory), and once
    MESH (node names) is given, with those nodes connected; every test
    starts with no bound variables."""
    NAME = None
    CHECK_TIMEOUT = 30
    SMP, IMAGE, EXTRA, MESH, EMULATOR, MEM = 1, None, (), None, "qemu", "2G"

    @classmethod
    def setUpClass(cls):
        cls.sh = Shell(cls.NAME, image=cls.IMAGE, smp=cls.SMP, extra=cls.EXTRA, emulator=cls.EMULATOR,
                       mem=cls.MEM).start()
        if cls.MESH:
            from test_dist import wait_for_mesh  # test_dist imports this module
            wait_for_mesh(unittest.TestCase(), cls.sh, cls.MESH)

    @classmethod
    def tearDownClass(cls):
        cls.sh.stop()

    def setUp(self):
        self.sh.forget()

    def check(self, expr, reply, timeout=None):
        self.assertEqual(self.sh.eval(expr, timeout or self.CHECK_TIMEOUT), reply, expr)
