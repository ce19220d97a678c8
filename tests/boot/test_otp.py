"""The OTP an Erlang engineer expects on every node (issue 16): the
standard applications of the release are in the image (compiler, sasl,
runtime_tools, tools, mnesia, crypto, asn1, public_key, eunit,
common_test, xmerl); c/1 compiles a module written to the node's /tmp and
runs it, nl/1 loads it on every node, OTP's headers are there for
include_lib, EUnit tests a module and Common Test runs a suite across
nodes, l/1 and code:add_path/1 find a user's beams; dbg traces calls on
one node and on another one; eprof and fprof profile; a mnesia table with
a copy on every core takes transactions on one and is read on the others,
and the survivors keep every committed write, and commit more, when a
node dies; restarted, it gets its copy back by itself; os:cmd/1 and spawn
ports fail saying that there are no external programs."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import ROOT
from shell import Shell, ShellTestCase
from test_dist import last_line, squeeze

NODES = ["c0@hydros", "c1@hydros", "c2@hydros", "c3@hydros"]
APPS = ["compiler", "sasl", "runtime_tools", "tools", "mnesia", "crypto", "asn1", "public_key", "eunit", "common_test",
        "xmerl"]

HELLO = "-module(hello).\\n-export([hi/0]).\\nhi() -> {hello, node()}.\\n"
BROKEN = "-module(broken).\\n-export([f/0]).\\nf() -> oops(.\\n"
# A module with a header of OTP's (include_lib) and its EUnit tests.
SIZED = ('-module(sized).\\n-include_lib(\\"kernel/include/file.hrl\\").\\n'
         '-include_lib(\\"eunit/include/eunit.hrl\\").\\n-export([bytes/1]).\\n'
         'bytes(F) -> {ok, #file_info{size = S}} = file:read_file_info(F), S.\\n'
         'size_test() -> ?assertEqual(5, bytes(\\"five.txt\\")).\\n'
         'missing_test() -> ?assertError({badmatch, {error, enoent}}, bytes(\\"none\\")).\\n')
# A Common Test suite whose cases run here and on another node.
SUITE = ('-module(mesh_SUITE).\\n-include_lib(\\"common_test/include/ct.hrl\\").\\n'
         '-export([all/0, here/1, there/1, fails/1]).\\nall() -> [here, there, fails].\\n'
         'here(_) -> c0@hydros = node().\\n'
         'there(_) -> c3@hydros = rpc:call(c3@hydros, erlang, node, []).\\n'
         'fails(_) -> 1 = 2.\\n')


class Otp(ShellTestCase):
    NAME, SMP, MESH = "qemu-otp", 4, NODES

    def eval(self, expr, timeout=60):
        self.sh.forget()
        return squeeze(self.sh.eval(expr, timeout))

    def test_1_the_standard_applications_are_there(self):
        self.assertEqual(self.eval("[{A, application:load(A)} || A <- [%s]]." % ", ".join(APPS)),
                         "[%s]" % ",".join("{%s,ok}" % a for a in APPS))
        self.assertEqual(self.eval("[filename:basename(code:lib_dir(A)) || A <- [compiler, mnesia]]."),
                         '["compiler-8.2.3","mnesia-4.21.3"]')

    def test_2_c_compiles_in_tmp_and_nl_loads_everywhere(self):
        self.assertEqual(self.eval('{file:get_cwd(), file:write_file("hello.erl", "%s"), c(hello), hello:hi()}.'
                                   % HELLO),
                         '{{ok,"/tmp"},ok,{ok,hello},{hello,c0@hydros}}')
        self.assertEqual(self.eval("nl(hello)."), "abcast")
        self.assertEqual(self.eval("lists:sort([rpc:call(N, hello, hi, []) || N <- nodes()])."),
                         "[{hello,c1@hydros},{hello,c2@hydros},{hello,c3@hydros}]")
        # A module that does not compile: the compiler's error, and the node goes on.
        reply = self.sh.eval('file:write_file("broken.erl", "%s"), c(broken).' % BROKEN)
        self.assertRegex(reply, r"broken\.erl:3:\d+: syntax error before")
        self.assertEqual(last_line(reply), "error")

    def test_2_otp_headers_and_eunit(self):
        self.assertEqual(self.eval('file:write_file("five.txt", "12345"), file:write_file("sized.erl", "%s"), '
                                   'c(sized), sized:bytes("five.txt").' % SIZED), "5")
        reply = self.sh.eval("eunit:test(sized).", 60)
        self.assertEqual(reply, "  2 tests passed.\nok")

    def test_2_common_test_runs_a_suite_across_nodes(self):
        # Its logs (HTML, written with xmerl and its style sheets from
        # priv/) go to the node's /tmp; 2 cases pass, one fails.
        reply = self.sh.eval('file:write_file("mesh_SUITE.erl", "%s"), file:make_dir("ct_logs"), '
                             'ct:run_test([{suite, "mesh_SUITE"}, {logdir, "ct_logs"}]).' % SUITE, 180)
        self.assertRegex(reply, r"TEST COMPLETE, 2 ok, 1 failed of 3 test cases")
        self.assertEqual(last_line(reply), "{2,1,{0,0}}")
        self.assertEqual(self.eval('filelib:is_file(filename:join(filename:dirname(hd(filelib:wildcard('
                                   '"ct_logs/ct_run.*/tmp.mesh_SUITE.logs/run.*/suite.log.html"))), '
                                   '"mesh_suite.fails.html")).'), "true")

    def test_3_l_and_add_path_find_a_users_beams(self):
        self.assertEqual(self.eval('ok = filelib:ensure_dir("/tmp/mine/x"), ok = file:write_file("/tmp/mine/mine.erl", '
                                   '"-module(mine).\\n-export([f/0]).\\nf() -> 42.\\n"), '
                                   '{ok, mine} = compile:file("/tmp/mine/mine.erl", [{outdir, "/tmp/mine"}]), '
                                   '{code:add_path("/tmp/mine"), l(mine), mine:f()}.'),
                         "{true,{module,mine},42}")

    def test_4_dbg_traces_here_and_on_another_node(self):
        self.addCleanup(self.eval, "dbg:stop().")
        self.eval('file:write_file("hello.erl", "%s"), c(hello), nl(hello).' % HELLO)
        # Calls here and on c1, traced where they run and printed here.
        reply = self.sh.eval("dbg:tracer(), {ok, _} = dbg:n(c1@hydros), dbg:p(all, c), dbg:tpl(lists, seq, x), "
                             "dbg:tpl(hello, hi, x), lists:seq(1, 3), rpc:call(c1@hydros, hello, hi, []), "
                             "timer:sleep(500).")
        self.assertRegex(reply, r"\(<0\.\d+\.0>\) call lists:seq\(1,3\)")
        self.assertRegex(reply, r"returned from lists:seq/2 -> \[1,2,3\]")
        self.assertRegex(reply, r"\(<[1-9]\d*\.\d+\.0>\) call hello:hi\(\)")  # a pid of another node
        self.assertRegex(reply, r"returned from hello:hi/0 -> \{hello,c1@hydros\}")

    def test_7_external_programs_fail_clearly(self):
        self.assertIn("external programs do not exist here: a HydrOS node cannot fork or exec",
                      self.sh.eval('os:cmd("ls").'))
        self.assertIn("no external program can run here: a HydrOS node cannot fork or exec",
                      self.sh.eval('open_port({spawn, "ls"}, []).'))
        self.assertEqual(self.eval("1 + 1."), "2")

    def test_5_eprof_profiles(self):
        reply = self.sh.eval("eprof:start(), eprof:profile(fun() -> lists:sum(lists:seq(1, 1000)) end), "
                             "eprof:analyze(), eprof:stop().")
        self.assertRegex(reply, r"lists:seq_loop/3 +\d+")
        self.assertEqual(last_line(reply), "stopped")

    def test_5_fprof_profiles_through_its_trace_file(self):
        # fprof traces to a file through trace_file_drv (linked into ERTS),
        # in the node's working directory, /tmp, then reads it back.
        reply = self.sh.eval("fprof:apply(lists, seq, [1, 100]), fprof:profile(), fprof:analyse(), "
                             "filelib:file_size(\"fprof.trace\") > 0.", 120)
        self.assertRegex(reply, r"\{ \{lists,seq_loop,3\}, +26,")
        self.assertEqual(last_line(reply), "true")

    def test_6_mnesia_on_every_core_survives_a_node_kill(self):
        self.assertEqual(self.eval("{R, []} = rpc:multicall([node() | nodes()], mnesia, start, []), lists:usort(R)."),
                         "[ok]")
        self.assertEqual(self.eval("{ok, Ns} = mnesia:change_config(extra_db_nodes, nodes()), lists:sort(Ns)."),
                         "[c1@hydros,c2@hydros,c3@hydros]")
        self.assertEqual(self.eval("mnesia:create_table(kv, [{ram_copies, [node() | nodes()]}])."), "{atomic,ok}")
        # Committed on core 0, read on every other core.
        self.assertEqual(self.eval("{atomic, _} = mnesia:transaction(fun() -> [mnesia:write({kv, K, K * K}) "
                                   "|| K <- lists:seq(1, 100)] end), "
                                   "[rpc:call(N, mnesia, transaction, [fun() -> mnesia:read(kv, 7) end]) "
                                   "|| N <- lists:sort(nodes())]."),
                         "[{atomic,[{kv,7,49}]},{atomic,[{kv,7,49}]},{atomic,[{kv,7,49}]}]")
        # Core 2's node crashed (a fault injected): every committed write is on the survivors,
        # which go on committing, each on its own core.
        self.assertEqual(last_line(self.sh.eval("hydros:inject(2, node_crash), timer:sleep(1000), ok.")), "ok")
        self.assertEqual(self.eval("[{N, rpc:call(N, mnesia, table_info, [kv, size])} || N <- [node(), c1@hydros, c3@hydros]]."),
                         "[{c0@hydros,100},{c1@hydros,100},{c3@hydros,100}]")
        self.assertEqual(self.eval("[rpc:call(N, mnesia, transaction, [fun() -> mnesia:write({kv, N, 0}) end]) "
                                   "|| N <- [c1@hydros, c3@hydros]], "
                                   "{atomic, L} = mnesia:transaction(fun() -> mnesia:all_keys(kv) end), length(L)."),
                         "102")
        # Restarted, the node gets its copy back by itself (hydros_mnesia).
        self.assertEqual(last_line(self.sh.eval("hydros:restart(2).", 90)), "ok")
        self.assertEqual(last_line(self.sh.eval(
            "W = fun Wait(0) -> timeout; Wait(N) -> case rpc:call(c2@hydros, mnesia, table_info, [kv, size]) of "
            "102 -> rpc:call(c2@hydros, mnesia, dirty_read, [kv, 7]); _ -> timer:sleep(500), Wait(N - 1) end end, "
            "W(40).", 60)), "[{kv,7,49}]")


    def test_8_crypto_is_openssl_and_its_randomness_the_kernels(self):
        self.assertRegex(self.eval("crypto:info_lib()."), r'^\[\{<<"OpenSSL">>,\d+,<<"OpenSSL3\.0\.\d+')
        # FIPS 180-2's "abc" and RFC 4231's test case 2.
        self.assertEqual(self.eval('binary:encode_hex(crypto:hash(sha256, "abc")).'),
                         '<<"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD">>')
        self.assertEqual(self.eval('binary:encode_hex(crypto:mac(hmac, sha256, "Jefe", '
                                   '"what do ya want for nothing?")).'),
                         '<<"5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843">>')
        # An AEAD round trip, and a signature made on c0 checked on c1.
        self.assertEqual(self.eval('K = crypto:strong_rand_bytes(32), IV = crypto:strong_rand_bytes(12), '
                                   '{C, T} = crypto:crypto_one_time_aead(aes_256_gcm, K, IV, <<"secret">>, <<"ad">>, true), '
                                   '{C =/= <<"secret">>, crypto:crypto_one_time_aead(aes_256_gcm, K, IV, C, <<"ad">>, T, false), '
                                   'crypto:crypto_one_time_aead(aes_256_gcm, K, IV, C, <<"AD">>, T, false)}.'),
                         '{true,<<"secret">>,error}')
        self.assertEqual(self.eval("{Pub, Priv} = crypto:generate_key(ecdh, secp256r1), "
                                   "S = crypto:sign(ecdsa, sha256, <<\"msg\">>, [Priv, secp256r1]), "
                                   "[rpc:call(c1@hydros, crypto, verify, [ecdsa, sha256, M, S, [Pub, secp256r1]]) "
                                   "|| M <- [<<\"msg\">>, <<\"msh\">>]]."),
                         "[true,false]")
        # strong_rand_bytes: never the same twice, on one node or across them.
        self.assertEqual(self.eval("Rs = [crypto:strong_rand_bytes(32), crypto:strong_rand_bytes(32) "
                                   "| [rpc:call(N, crypto, strong_rand_bytes, [32]) || N <- nodes()]], "
                                   "{length(Rs), length(lists:usort(Rs)), lists:usort([byte_size(R) || R <- Rs]) =:= [32]}."),
                         "{5,5,true}")
        # The kernel's own bytes (/dev/urandom, as getrandom(2)): each node's differ.
        self.assertEqual(self.eval("Us = [rpc:call(N, erlang, apply, [fun() -> %s end, []]) || N <- [node() | nodes()]], "
                                   "{length(lists:usort(Us)), lists:usort([byte_size(U) || U <- Us]) =:= [32]}."
                                   % URANDOM.rstrip(".")),
                         "{4,true}")
        # QEMU's `-cpu max` has RDRAND; the kernel says which source it uses.
        self.assertEqual(self.eval('[L || <<"random ", L/binary>> <- binary:split(element(2, '
                                   'file:read_file("/dev/hydros/kernel")), <<"\\n">>, [global])].'),
                         '[<<"rdrand">>]')


# 16 bytes of the kernel's generator itself, not OpenSSL's on top of it.
URANDOM = ('{ok, F} = file:open("/dev/urandom", [read, binary, raw]), {ok, B} = file:read(F, 16), '
           'ok = file:close(F), binary:encode_hex(B).')


class RandomWithoutCpuSource(unittest.TestCase):
    """A CPU without RDRAND or RDSEED: the kernel seeds from timing and the
    clock, and two boots still give different bytes."""

    def draw(self, n):
        with Shell("qemu-norand-%d" % n, smp=1, extra=["-cpu", "max,rdrand=off,rdseed=off"]) as sh:
            source = squeeze(sh.eval('[L || <<"random ", L/binary>> <- binary:split(element(2, '
                                     'file:read_file("/dev/hydros/kernel")), <<"\\n">>, [global])].'))
            return source, squeeze(sh.eval(URANDOM)), squeeze(sh.eval(URANDOM)), \
                squeeze(sh.eval("binary:encode_hex(crypto:strong_rand_bytes(16)).")),

    def test_two_boots_differ(self):
        (s1, a1, b1, c1), (s2, a2, _, c2) = self.draw(1), self.draw(2)
        self.assertEqual((s1, s2), ('[<<"timing">>]', '[<<"timing">>]'))
        self.assertRegex(a1, r'^<<"[0-9A-F]{32}">>$')
        self.assertNotEqual(a1, b1)  # the kernel's bytes: never the same twice
        self.assertNotEqual(a1, a2)  # nor the same from one boot to the next
        self.assertRegex(c1, r'^<<"[0-9A-F]{32}">>$')
        self.assertNotEqual(c1, c2)


class ImageApps(unittest.TestCase):
    """make image APPS="...": an application that is not installed, or not
    of the installed release, stops the build, named."""

    def mkrootfs(self, erl_root, apps):
        out = tempfile.mkdtemp(prefix="hydros-rootfs-")
        self.addCleanup(shutil.rmtree, out, True)
        return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkrootfs.py"), "--erl-root", erl_root,
                               "--apps", apps, os.path.join(out, "root")], capture_output=True, text=True)

    def test_an_application_not_installed(self):
        r = self.mkrootfs("/usr/lib/erlang", "compiler,nosuch_app")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("OTP application nosuch_app is not installed under /usr/lib/erlang/lib", r.stderr)

    def test_an_application_of_another_release(self):
        # The installation as it is, but for a release that lists another mnesia.
        root = tempfile.mkdtemp(prefix="hydros-erlroot-")
        self.addCleanup(shutil.rmtree, root, True)
        rel = [d for d in os.listdir("/usr/lib/erlang/releases") if d.isdigit()][0]
        shutil.copytree(os.path.join("/usr/lib/erlang/releases", rel), os.path.join(root, "releases", rel))
        os.symlink("/usr/lib/erlang/lib", os.path.join(root, "lib"))
        versions = os.path.join(root, "releases", rel, "installed_application_versions")
        with open(versions) as f:
            text = f.read()
        with open(versions, "w") as f:
            f.write("\n".join("mnesia-1.0" if l.startswith("mnesia-") else l for l in text.split("\n")))
        r = self.mkrootfs(root, "mnesia")
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"lib/mnesia-[\d.]+ was not built for OTP %s \(its release lists mnesia-1.0\)" % rel)


if __name__ == "__main__":
    unittest.main()
