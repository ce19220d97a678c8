"""Elixir on every node, and IEx as the console (issue 16): the image as
`make image ELIXIR=1 REL=...` builds it, with Debian's Elixir 1.14 and
examples/hello_ex, an Elixir application built by `mix release` as a user
would. IEx on c0 evaluates an expression, sees every node, calls Elixir
on another node through :rpc and a Task; the release runs on the cores its
config names (0 and 1) with the greeting from its config."""
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

from harness import BUILD, ROOT, Boot, variant_archive, variant_image
from shell import CUT, NOT_REPLY

ELIXIR_APPS = "elixir logger iex eex ex_unit"
PROMPT = r"iex\(c0@hydros\)(?P<n>\d+)> "
TOP = os.path.join(BUILD, "test-elixir")


def run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def elixir_image():
    """The root with Elixir's applications (tools/mkrootfs.py --elixir), the
    mix release of examples/hello_ex, the node's release with both and IEx
    (tools/mkrelease.py --iex --rel), as an image."""
    shutil.rmtree(TOP, ignore_errors=True)
    os.makedirs(TOP)
    rootfs = os.path.join(TOP, "rootfs")
    kernel_mods = "code_server,file_server,file,erl_erts_errors,erl_kernel_errors"
    run([sys.executable, os.path.join(ROOT, "tools", "mkrootfs.py"), "--beam", os.path.join(BUILD, "erts", "beam.smp.stripped"),
         "--patched", "%s:kernel:%s" % (os.path.join(BUILD, "otp"), kernel_mods),
         "--apps", "compiler sasl runtime_tools tools mnesia crypto asn1 public_key", "--elixir", ELIXIR_APPS, rootfs])
    project = os.path.join(TOP, "hello_ex")
    shutil.copytree(os.path.join(ROOT, "examples", "hello_ex"), project, ignore=shutil.ignore_patterns("_build"))
    run(["mix", "release"], cwd=project, env=dict(os.environ, HOME=TOP, MIX_ENV="prod"))
    release = os.path.join(TOP, "release")
    run([sys.executable, os.path.join(ROOT, "tools", "mkrelease.py"), "--lib", os.path.join(rootfs, "lib"),
         "--lib", os.path.join(BUILD, "erlang_os", "lib"), "--args", os.path.join(ROOT, "rootfs", "etc", "hydros"),
         "--iex", "--rel", os.path.join(project, "_build", "prod", "rel", "hello_ex"), release])
    return variant_image("elixir", archive=variant_archive("elixir", {}, release=release, rootfs=rootfs))


class Iex(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.boot = Boot("qemu", smp=4, image=elixir_image(), name="qemu-elixir")
        cls.boot.__enter__()
        try:
            cls.boot.expect(r"^Interactive Elixir \(1\.14\.\d+\)", 90)
            cls.boot.expect(PROMPT, 30)
            cls.boot.expect(r"^hydros: all 4 nodes up", 30)
            for k in range(1, 4):
                cls.boot.expect(r"^\[c%d\] c%d: init: release started" % (k, k), 30)
        except BaseException:
            cls.boot.__exit__(None, None, None)
            raise
        cls.prompt = 1

    @classmethod
    def tearDownClass(cls):
        cls.boot.__exit__(None, None, None)

    def iex(self, line, timeout=30):
        """The reply to one line typed at IEx, between its echo and the next prompt."""
        mark = self.boot.mark()
        self.boot.send(line + "\n")
        echo = CUT.join(re.escape(ch) for ch in line) + CUT + "\n"
        m = self.boot.expect(r"\A(?:.*\n)*?%s(?P<out>(?:.*\n)*?)%s" % (echo, PROMPT), timeout, after=mark)
        self.assertEqual(int(m.group("n")), type(self).prompt + 1, self.boot.text()[-2000:])
        type(self).prompt += 1
        return "".join(l for l in m.group("out").splitlines(True) if not NOT_REPLY.match(l)).strip()

    def test_1_iex_evaluates(self):
        self.assertEqual(self.iex("Enum.map([1, 2, 3], &(&1 * 7)) |> Enum.sum()"), "42")
        self.assertEqual(self.iex("System.version()"), '"1.14.0"')

    def test_2_every_node(self):
        self.assertEqual(self.iex("Node.list() |> Enum.sort()"), "[:c1@hydros, :c2@hydros, :c3@hydros]")
        self.assertEqual(self.iex(':rpc.call(:"c2@hydros", String, :upcase, ["hydros"])'), '"HYDROS"')
        self.assertEqual(self.iex('Task.async(fn -> :rpc.call(:"c3@hydros", Kernel, :node, []) end) |> Task.await()'),
                         ":c3@hydros")
        self.assertEqual(self.iex("me = self(); Node.spawn(:\"c1@hydros\", fn -> send(me, {:from, node()}) end); "
                                  "receive do m -> m after 5000 -> :timeout end"), "{:from, :c1@hydros}")

    def test_3_the_mix_release_runs_where_its_config_says(self):
        self.assertEqual(self.iex("HelloEx.greet()"), '{"hello from Elixir", :c0@hydros}')
        self.assertEqual(self.iex(':rpc.call(:"c1@hydros", HelloEx, :greet, [])'), '{"hello from Elixir", :c1@hydros}')
        self.assertEqual(self.iex('for n <- [:"c2@hydros", :"c3@hydros"], do: :rpc.call(n, Process, :whereis, [HelloEx])'),
                         "[nil, nil]")
        self.assertRegex(self.boot.text(), r"(?m)^\[c2\] c2: release hello_ex 0\.1\.0: loaded, started on cores \[0,1\] only$")


if __name__ == "__main__":
    unittest.main()
