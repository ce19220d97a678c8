"""A user's release on the nodes (issue 16): examples/hello_rel, built by
rebar3 as a user would, goes into an image (tools/mkrelease.py, as `make
image REL=DIR` runs it) whose nodes boot it with its sys.config and
vm.args: its application runs on the cores its sys.config names (0 and
2) with the greeting from sys.config, is loaded with that configuration on
the others, and vm.args's emulator flag and kernel setting hold on every
node. A release with no boot file, of another ERTS, with a bad sys.config
or a vm.args line HydrOS cannot honour, or a REL that is no directory,
stops the build with a line naming the file."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import BUILD, ROOT, variant_archive, variant_image
from shell import Shell
from test_dist import last_line, squeeze

EXAMPLE = os.path.join(ROOT, "examples", "hello_rel")
_built = []


def built_release():
    """examples/hello_rel through `rebar3 release`, once: the release's directory."""
    if not _built:
        top = os.path.join(BUILD, "test-release")
        shutil.rmtree(top, ignore_errors=True)
        shutil.copytree(EXAMPLE, os.path.join(top, "hello_rel"), ignore=shutil.ignore_patterns("_build"))
        env = dict(os.environ, HOME=top)  # rebar3's cache, not the user's
        subprocess.run(["rebar3", "release"], cwd=os.path.join(top, "hello_rel"), env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _built.append(os.path.join(top, "hello_rel", "_build", "default", "rel", "hello_rel"))
    return _built[0]


def mkrelease(rel, out):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkrelease.py"),
                           "--lib", os.path.join(BUILD, "rootfs", "lib"), "--lib", os.path.join(BUILD, "erlang_os", "lib"),
                           "--args", os.path.join(ROOT, "rootfs", "etc", "hydros"), "--rel", rel, out],
                          capture_output=True, text=True)


class Release(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = os.path.join(BUILD, "test-images", "rel-hello.release")
        r = mkrelease(built_release(), out)
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        cls.built = r.stdout
        image = variant_image("rel-hello", archive=variant_archive("rel-hello", {}, release=out))
        cls.sh = Shell("qemu-release", image=image, smp=4).start()

    @classmethod
    def tearDownClass(cls):
        cls.sh.stop()

    def eval(self, expr):
        self.sh.forget()
        return squeeze(self.sh.eval(expr, 60))

    def test_built_from_the_rebar3_release(self):
        self.assertIn("mkrelease: release hello_rel 0.1.0: 1 applications of its own (hello_rel), "
                      "started kernel stdlib hello_rel sasl on cores 0 2", self.built)

    def test_runs_on_the_cores_sys_config_names(self):
        self.assertEqual(self.eval("[rpc:call(N, hello_rel, greet, []) || N <- [node(), c2@hydros]]."),
                         '[{"hellofromarelease",c0@hydros},{"hellofromarelease",c2@hydros}]')
        self.assertEqual(self.eval("[lists:keymember(hello_rel, 1, rpc:call(N, application, which_applications, [])) "
                                   "|| N <- [c0@hydros, c1@hydros, c2@hydros, c3@hydros]]."),
                         "[true,false,true,false]")
        text = self.sh.boot.text()
        self.assertRegex(text, r"(?m)^c0: release hello_rel 0\.1\.0 started: kernel, stdlib, hello_rel, sasl$")
        self.assertRegex(text, r"(?m)^\[c2\] c2: release hello_rel 0\.1\.0 started: ")
        self.assertRegex(text, r"(?m)^\[c1\] c1: release hello_rel 0\.1\.0: loaded, started on cores \[0,2\] only$")

    def test_sys_config_and_vm_args_on_every_node(self):
        self.assertEqual(self.eval("[rpc:call(N, application, get_env, [hello_rel, greeting]) || N <- [c1@hydros, c3@hydros]]."),
                         '[{ok,"hellofromarelease"},{ok,"hellofromarelease"}]')
        self.assertEqual(self.eval("[{rpc:call(N, erlang, system_info, [process_limit]), "
                                   "rpc:call(N, application, get_env, [kernel, net_ticktime])} || N <- [node(), c3@hydros]]."),
                         "[{262144,{ok,30}},{262144,{ok,30}}]")
        # The nodes are still HydrOS's, and so is the shell.
        self.assertEqual(self.eval("lists:sort(nodes())."), "[c1@hydros,c2@hydros,c3@hydros]")


class BadRelease(unittest.TestCase):
    def broken(self, change):
        """A copy of the built release, changed by change(dir); mkrelease's result."""
        top = tempfile.mkdtemp(prefix="hydros-rel-")
        self.addCleanup(shutil.rmtree, top, True)
        rel = os.path.join(top, "hello_rel")
        shutil.copytree(built_release(), rel)
        change(os.path.join(rel, "releases", "0.1.0"))
        r = mkrelease(rel, os.path.join(top, "out"))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        return r.stderr

    def edit(self, path, old, new):
        with open(path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(path, "w") as f:
            f.write(text.replace(old, new))

    def test_no_boot_file(self):
        err = self.broken(lambda d: os.remove(os.path.join(d, "start.boot")))
        self.assertRegex(err, r"releases/0\.1\.0: no boot file \(hello_rel\.boot or start\.boot\) beside hello_rel\.rel")

    def test_another_erts(self):
        err = self.broken(lambda d: self.edit(os.path.join(d, "hello_rel.rel"), '{erts,"13.1.5"}', '{erts,"14.0"}'))
        self.assertRegex(err, r"releases/0\.1\.0/hello_rel\.rel: ERTS 14\.0, but the image's is 13\.1\.5 \(OTP 25\)")

    def test_bad_sys_config(self):
        err = self.broken(lambda d: self.edit(os.path.join(d, "sys.config"), "{hello_rel,", "{hello_rel, oops, "))
        self.assertRegex(err, r"releases/0\.1\.0/sys\.config: not \{Application, \[\{Key, Value\}\]\}: \{hello_rel,oops,")

    def test_sys_config_that_does_not_parse(self):
        err = self.broken(lambda d: self.edit(os.path.join(d, "sys.config"), "].", "]"))
        self.assertRegex(err, r"releases/0\.1\.0/sys\.config: .+")

    def test_vm_args_line_hydros_cannot_honour(self):
        err = self.broken(lambda d: self.edit(os.path.join(d, "vm.args"), "+P 262144", "+P 262144\n-env HOME /root"))
        self.assertRegex(err, r"releases/0\.1\.0/vm\.args:\d+: `-env HOME /root`: HydrOS takes emulator flags")

    def test_make_image_with_no_such_directory(self):
        r = subprocess.run(["make", "-C", ROOT, "image", "REL=/nonexistent/rel"], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("mkrelease: REL=/nonexistent/rel: no such directory", r.stderr)


if __name__ == "__main__":
    unittest.main()
