"""Files and ports from the Erlang shell: files of the boot archive read back
byte for byte, /tmp (the core's tmpfs) written, appended, listed and deleted,
and a port program refused cleanly (the node cannot spawn: ENOTSUP) with the
shell still evaluating afterwards. One boot."""
import hashlib
import os
import sys
import unittest

from harness import ROOT
from shell import ShellTestCase

sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkrootfs  # noqa: E402  (the archive's etc/inetrc and etc/hosts come from it)


def digest(data):
    """What the node prints for {byte_size(B), binary:encode_hex(erlang:md5(B))}."""
    return '{%d,<<"%s">>}' % (len(data), hashlib.md5(data).hexdigest().upper())


class ShellFiles(ShellTestCase):
    NAME = "shell-files"

    def check_archive_file(self, path, data):
        self.check('(fun({ok, B}) -> {byte_size(B), binary:encode_hex(erlang:md5(B))} end)'
                   '(file:read_file("%s")).' % path, digest(data))

    def test_read_archive_files(self):
        self.check_archive_file("/etc/inetrc", mkrootfs.INETRC)
        self.check_archive_file("/etc/hosts", mkrootfs.HOSTS)
        with open(os.path.join(ROOT, "rootfs", "etc", "hydros", "console.args"), "rb") as f:
            self.check_archive_file("/etc/hydros/console.args", f.read())
        self.check('file:consult("/etc/inetrc").', "{ok,[{lookup,[file]}]}")
        self.check('file:read_file("/etc/no-such-file").', "{error,enoent}")

    def test_tmp_write_read_list_delete(self):
        # The files other tests here write are gone first, whatever ran before.
        self.check('[file:delete("/tmp/" ++ N) || N <- element(2, file:list_dir("/tmp"))], '
                   'file:list_dir("/tmp").', "{ok,[]}")
        self.check('file:write_file("/tmp/hello.txt", <<"hydros\\n", 0, 255>>).', "ok")
        self.check('file:read_file("/tmp/hello.txt").', "{ok,<<104,121,100,114,111,115,10,0,255>>}")
        self.check('file:write_file("/tmp/hello.txt", <<"more">>, [append]), '
                   'file:read_file("/tmp/hello.txt").',
                   "{ok,<<104,121,100,114,111,115,10,0,255,109,111,114,101>>}")
        # 100000 bytes, more than a page, with every byte value.
        self.check("Big = << <<(N rem 256)>> || N <- lists:seq(1, 100000) >>, "
                   'ok = file:write_file("/tmp/big.bin", Big), {ok, Back} = file:read_file("/tmp/big.bin"), '
                   '{byte_size(Back), Back =:= Big, filelib:file_size("/tmp/big.bin")}.', "{100000,true,100000}")
        self.check('{ok, Names} = file:list_dir("/tmp"), lists:sort(Names).', '["big.bin","hello.txt"]')
        self.check('{file:delete("/tmp/big.bin"), file:list_dir("/tmp"), file:read_file("/tmp/big.bin")}.',
                   '{ok,{ok,["hello.txt"]},{error,enoent}}')
        self.check('file:delete("/tmp/hello.txt"), file:list_dir("/tmp").', "{ok,[]}")

    def test_open_port_spawn_is_refused(self):
        self.check('try open_port({spawn, "ls"}, []) catch error:Why -> Why end.', "enotsup")
        self.check('try open_port({spawn_executable, "/bin/beam.smp"}, []) catch error:Why2 -> Why2 end.',
                   "enotsup")
        # os:cmd/1 spawns through a port too: a badarg naming the cause.
        self.check('try os:cmd("ls") catch error:badarg:St -> '
                   'maps:get(cause, proplists:get_value(error_info, element(4, hd(St)))) end.',
                   "{open_port,enotsup}")
        self.check("1000+1000.", "2000")


if __name__ == "__main__":
    unittest.main()
