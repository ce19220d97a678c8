"""The kernel's channel files over the msgchan rings: a message written to
/dev/chan/2 on core 1 is read whole from /dev/chan/1 on core 2 (the doorbell
IPI wakes the blocked reader), and when a node dies its peers' channels to
it read end-of-file at once. Each core's kernel sees the region through its
own page tables: it may write its own block and no other."""
import unittest

from harness import Boot, node_args_then, variant_archive, variant_image
from shell import Shell

# Other cores' lines may come between core 1's two (its report is one print).
POKE_FAULT = (r"^core 1: stored into its own channel block; now into core 2's\n(?:.*\n)*?"
              r"\*\*\* core 1: exception 14 \(page fault\), error code 0x3, kernel mode\n"
              r"  rip 0x[0-9a-f]{16}  rsp 0x[0-9a-f]{16}  rflags 0x[0-9a-f]+  cr2 0x%s[0-9a-f]{8}\n"
              r"(  .*\n){5}(?:.*\n)*?"
              r"\*\*\* core 1 stopped \(kernel exception 14 \(page fault\) at rip 0x[0-9a-f]{16}\); "
              r"the other cores keep running$")
# chan_poke's way in: the core's channel view, the direct map, the kernel image's alias.
ALIASES = {"": "ffffff00", ":direct": "ffff8000", ":image": "ffffffff"}


C1 = ('hydros:wait_up(), {ok, F} = file:open("/dev/chan/2", [write, raw, binary]), '
      'ok = file:write(F, <<"hello from c1">>), timer:sleep(500), halt()')
C2 = ('{ok, F} = file:open("/dev/chan/1", [read, raw, binary]), '
      '{ok, M} = file:read(F, 13), io:format("c2 got ~p~n", [M])')
C3 = ('{ok, F} = file:open("/dev/chan/1", [read, raw, binary]), '
      'io:format("c3 reads ~p~n", [file:read(F, 1)])')


class Channels(unittest.TestCase):
    def test_message_and_peer_death(self):
        # Nodes without distribution: its listener would read these rings.
        overlay = {"etc/hydros/c1.args": node_args_then(C1, dist=False),
                   "etc/hydros/c2.args": node_args_then(C2, dist=False),
                   "etc/hydros/c3.args": node_args_then(C3, dist=False)}
        image = variant_image("channels", archive=variant_archive("channels", overlay))
        with Shell("qemu-channels", image=image, smp=4) as sh:
            b = sh.boot
            b.expect(r'^\[c2\] c2 got <<"hello from c1">>$', 60)
            b.expect(r"^node 1: exited with status 0$", 60)
            b.expect(r"^\[c3\] c3 reads eof$", 30)
            rows = {l.split()[0]: l.split()[1] for l in sh.eval("hydros:nodes().").split("\n") if l[:1] == "c"}
            self.assertEqual(rows, {"c0": "running", "c1": "node_dead", "c2": "running", "c3": "running"})


class ChannelView(unittest.TestCase):
    def test_a_core_cannot_write_another_cores_block(self):
        for how, prefix in ALIASES.items():
            with self.subTest(how=how or ":view"):
                name = "chan-poke" + how.replace(":", "-")
                image = variant_image(name, cmdline="chan_poke=1" + how)
                with Boot("qemu", smp=3, image=image, name="qemu-" + name) as b:
                    b.expect(POKE_FAULT % prefix, 60)
                    b.expect(r"^\[c2\] c2: c2@hydros on core 2 up", 60)
                    self.assertNotIn("did not fault", b.text())


if __name__ == "__main__":
    unittest.main()
