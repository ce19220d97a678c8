"""Drivers of drivers_erl/, each an OTP application that the node holding
its device starts, kept by hydros_cap from every other device: the CMOS
clock (rtc) against the host's clock, set and read back; the PIT (pit)
counting and timing a one-shot; PCI (pci) listing what QEMU's monitor
lists; bad input answered with an error; a
driver's server killed and its supervisor restarting it, the device
working again; hydros:devices() naming each device's driver and its
state."""
import calendar
import os
import re
import socket
import tempfile
import time
import unittest

from shell import ShellTestCase
from test_dist import last_line, squeeze

NODES = ["c0@hydros", "c1@hydros"]

# Runs Probe inside the registered server Name (sys:replace_state runs a
# fun there), and gives back what it returned.
IN_SERVER = ("begin sys:replace_state(%s, fun(S) -> put(probe, (%s)()), S end), "
             "{dictionary, Dict} = process_info(whereis(%s), dictionary), proplists:get_value(probe, Dict) end")

# Kills the registered server Name and waits for its supervisor to start
# another: the milliseconds until Check() answers again through it.
RESTART = ("begin Old = whereis(%s), T0 = erlang:monotonic_time(microsecond), exit(Old, kill), "
           "Wait = fun W() -> case whereis(%s) of P when is_pid(P), P =/= Old -> ok; _ -> timer:sleep(1), W() end end, "
           "Wait(), R = (%s)(), {restarted, (erlang:monotonic_time(microsecond) - T0) / 1000, R} end.")


class Drivers(ShellTestCase):
    NAME, SMP, MESH = "qemu-drivers", 2, NODES

    def eval(self, expr, timeout=60):
        """A reply, with no variable of an earlier expression still bound."""
        self.sh.forget()
        return squeeze(self.sh.eval(expr, timeout))

    def test_devices_list_their_drivers(self):
        reply = self.eval("[{N, C, D, S} || #{name := N, core := C, driver := D, driver_state := S} "
                          "<- hydros:devices()].")
        self.assertIn("{cmos,0,rtc,running}", reply)
        self.assertIn("{pit,0,pit,running}", reply)
        self.assertIn("{pci,0,pci,running}", reply)
        self.assertIn("{vga,0,none,none}", reply)
        self.assertEqual(self.eval("rpc:call(c1@hydros, hydros_drivers, state, [])."), "[]")

    def test_rtc_reads_the_host_clock_and_sets_it(self):
        m = re.fullmatch(r"\{\{(\d+),(\d+),(\d+)\},\{(\d+),(\d+),(\d+)\}\}", self.eval("rtc:now()."))
        self.assertIsNotNone(m)
        rtc = calendar.timegm(tuple(int(g) for g in m.groups()))
        print("  rtc:now() %d, host %d" % (rtc, time.time()), flush=True)
        self.assertLess(abs(rtc - time.time()), 5)
        self.assertEqual(self.eval("{rtc:set({{2031, 7, 14}, {9, 26, 53}}), rtc:now()}."),
                         "{ok,{{2031,7,14},{9,26,53}}}")
        self.assertEqual(self.eval("rtc:set(calendar:universal_time())."), "ok")
        self.assertEqual(self.eval("[rtc:set(T) || T <- [nonsense, {{1999, 1, 1}, {0, 0, 0}}, "
                                   "{{2026, 2, 30}, {0, 0, 0}}]]."),
                         "[{error,{out_of_range,nonsense}},{error,{out_of_range,{{1999,1,1},{0,0,0}}}},"
                         "{error,{out_of_range,{{2026,2,30},{0,0,0}}}}]")

    def test_pit_counts_and_times_a_one_shot(self):
        reply = self.eval("{A, B} = {pit:read(), pit:read()}, {is_integer(A), A =/= B, pit:one_shot(65535), "
                          "pit:one_shot(11932), pit:one_shot(0), pit:one_shot(70000)}.")
        m = re.fullmatch(r"\{true,true,\{ok,(\d+)\},\{ok,(\d+)\},\{error,\{out_of_range,0\}\},"
                         r"\{error,\{out_of_range,70000\}\}\}", reply)
        self.assertIsNotNone(m, reply)
        long_us, short_us = int(m.group(1)), int(m.group(2))
        print("  pit:one_shot: 65535 counts in %.1f ms (54.9 expected), 11932 in %.1f ms (10.0)"
              % (long_us / 1000, short_us / 1000), flush=True)
        self.assertTrue(45000 < long_us < 500000, reply)
        self.assertTrue(8000 < short_us < 200000, reply)

    def test_drivers_reach_their_own_device_only(self):
        probe = "fun() -> [try hydros_io:in8(P) of V when is_integer(V) -> ok; E -> E catch error:{excluded, _} -> excluded end || P <- [%s]] end"
        self.assertEqual(self.eval(IN_SERVER % ("rtc_server", probe % "16#71, 16#40, 16#61, 16#cf8", "rtc_server") + "."),
                         "[ok,excluded,excluded,excluded]")
        self.assertEqual(self.eval(IN_SERVER % ("pit_server", probe % "16#40, 16#61, 16#71", "pit_server") + "."),
                         "[ok,ok,excluded]")
        self.assertEqual(self.eval(IN_SERVER % ("pci_server", probe % "16#cfc, 16#71, 16#40", "pci_server") + "."),
                         "[ok,excluded,excluded]")
        self.assertEqual(self.eval(IN_SERVER % ("rtc_server", "fun() -> try hydros:kill(1) catch error:E -> E end end",
                                                "rtc_server") + "."), "{excluded,node_control}")

    def test_killed_drivers_come_back(self):
        for name, check in (("rtc_server", "fun() -> is_tuple(rtc:now()) end"),
                            ("pit_server", "fun() -> is_integer(pit:read()) end"),
                            ("pci_server", "fun() -> is_list(pci:list()) end")):
            self.sh.forget()
            reply = last_line(self.sh.eval(RESTART % (name, name, check)))  # after the supervisor's report
            m = re.fullmatch(r"\{restarted,([\d.]+),true\}", reply)
            self.assertIsNotNone(m, reply)
            print("  %s killed: answering again after %s ms" % (name, m.group(1)), flush=True)
        self.assertIn("{cmos,rtc,running}", self.eval("[{N, D, S} || #{name := N, driver := D, driver_state := S} "
                                                      "<- hydros:devices()]."))


MONITOR = os.path.join(tempfile.mkdtemp(prefix="hydros-mon-"), "monitor")

# pci:list() as one line a function: bus, device, function, vendor, device
# id, class name, then its BARs (number, type, first and last address).
PCI_LIST = ("lists:foreach(fun(#{bus := B, device := D, function := F, vendor := V, device_id := I, "
            "class_name := C, bars := Bars}) -> io:format(\"pci ~b ~b ~b ~4.16.0b:~4.16.0b ~s|~s~n\", "
            "[B, D, F, V, I, C, [io_lib:format(\" ~b ~s ~.16b ~.16b\", [N, T, Base, Base + Size - 1]) "
            "|| #{bar := N, type := T, base := Base, size := Size} <- Bars]]) end, pci:list()).")


def qemu_info_pci(sock):
    """QEMU's `info pci`, as the same lines (ROM BARs, BAR6, left out)."""
    mon = socket.socket(socket.AF_UNIX)
    mon.connect(sock)
    time.sleep(0.3)
    mon.recv(65536)
    mon.sendall(b"info pci\n")
    text, deadline = "", time.monotonic() + 10
    while "(qemu)" not in text.split("info pci", 1)[-1] and time.monotonic() < deadline:
        text += mon.recv(65536).decode(errors="replace")
    mon.close()
    lines, cur = [], None
    for line in text.split("\n"):
        m = re.match(r"\s*Bus\s+(\d+), device\s+(\d+), function (\d+):", line)
        if m:
            cur = [" ".join(m.groups()), None, []]
            lines.append(cur)
            continue
        m = re.match(r"\s*(.+): PCI device ([0-9a-f]{4}):([0-9a-f]{4})", line)
        if m and cur and cur[1] is None:
            cur[1] = "%s:%s %s" % (m.group(2), m.group(3), m.group(1))
        m = re.match(r"\s*BAR([0-5]): (I/O|32 bit(?: prefetchable)? memory|64 bit(?: prefetchable)? memory) "
                     r"at 0x([0-9a-f]+) \[0x([0-9a-f]+)\]", line)
        if m and cur:
            kind = "io" if m.group(2) == "I/O" else "mem64" if m.group(2).startswith("64") else "mem32"
            cur[2].append(" %s %s %x %x" % (m.group(1), kind, int(m.group(3), 16), int(m.group(4), 16)))
    return ["pci %s %s|%s" % (loc, dev, "".join(bars)) for loc, dev, bars in lines]


class PciAgainstQemu(ShellTestCase):
    NAME, EXTRA = "qemu-drivers-pci", ["-monitor", "unix:%s,server=on,wait=off" % MONITOR]

    def test_pci_lists_what_qemu_has(self):
        self.sh.eval(PCI_LIST, 60)
        ours = re.findall(r"^pci \d+ .*$", self.sh.boot.text(), re.M)
        qemu = qemu_info_pci(MONITOR)
        print("  pci:list(): %d functions, as QEMU's info pci:" % len(ours), flush=True)
        for line in ours:
            print("    " + line, flush=True)
        self.assertGreaterEqual(len(qemu), 4)
        self.assertEqual(ours, qemu)


if __name__ == "__main__":
    unittest.main()
