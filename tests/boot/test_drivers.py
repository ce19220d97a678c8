"""Drivers of drivers_erl/, each an OTP application that the node holding
its device starts, kept by hydros_cap from every other device, each tested
against something outside HydrOS: the CMOS clock (rtc) against the host's
clock; the PIT (pit) and the local APIC timer (lapic_timer) against the
node's clock and the kernel's calibration; PCI (pci) against QEMU's `info
pci`; the ACPI tables (acpi_tables) against what the kernel found at boot;
SMBIOS (smbios) against QEMU's -smbios; the text screen (vga_text) against
the buffer's bytes from QEMU's pmemsave; the keyboard (ps2_keyboard)
against the monitor's sendkey; COM2 (uart16550) against a socket on the
host; the IO APIC (ioapic) and the HPET (hpet) through the lines and
timers the others use. Bad input is answered with an error; a driver's
server killed is restarted by its supervisor and its device works again;
hydros:devices() names each device's drivers and their state."""
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
TMP = tempfile.mkdtemp(prefix="hydros-drivers-")
MONITOR = os.path.join(TMP, "monitor")
MONITOR_Q35 = os.path.join(TMP, "monitor-q35")
COM2 = os.path.join(TMP, "com2")
SMBIOS = ("HydrOS-Test-Lab", "Multikernel-9000")  # no spaces: replies are compared squeezed

# Runs Probe inside the registered server Name (sys:replace_state runs a
# fun there), and gives back what it returned.
IN_SERVER = ("begin sys:replace_state(%s, fun(S) -> put(probe, (%s)()), S end), "
             "{dictionary, Dict} = process_info(whereis(%s), dictionary), proplists:get_value(probe, Dict) end")

# Kills the registered server Name and waits for its supervisor to start
# another: the milliseconds until Check() answers again through it.
RESTART = ("begin Old = whereis(%s), T0 = erlang:monotonic_time(microsecond), exit(Old, kill), "
           "Wait = fun W() -> case whereis(%s) of P when is_pid(P), P =/= Old -> ok; _ -> timer:sleep(1), W() end end, "
           "Wait(), R = (%s)(), {restarted, (erlang:monotonic_time(microsecond) - T0) / 1000, R} end.")

# Messages of a kind until none comes for Ms milliseconds, in order.
COLLECT = ("fun C(Acc) -> receive %s = M -> C([M | Acc]) after %d -> lists:reverse(Acc) end end([])")
# How many of them came in the next Ms milliseconds.
COUNT = "(fun() -> timer:sleep(%%d), length(%s) end)()" % (COLLECT % ("{pit, tick}", 0))


class Monitor:
    """QEMU's monitor on a unix socket: one command, its reply."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.read_prompt()

    def read_prompt(self, after=""):
        """What comes until the prompt that follows `after` (the echo of a command)."""
        text, deadline = "", time.monotonic() + 10
        while time.monotonic() < deadline:
            text += self.sock.recv(65536).decode(errors="replace")
            rest = text.split(after, 1)[1] if after and after in text else text if not after else ""
            if rest.endswith("(qemu) "):
                return rest
        raise AssertionError("no reply from QEMU's monitor to %r: %r" % (after, text))

    def command(self, cmd):
        self.sock.sendall(cmd.encode() + b"\n")
        return self.read_prompt(cmd)

    def close(self):
        self.sock.close()


class Drivers(ShellTestCase):
    NAME, SMP, MESH = "qemu-drivers", 2, NODES
    EXTRA = ["-monitor", "unix:%s,server=on,wait=off" % MONITOR,
             "-serial", "unix:%s,server=on,wait=off" % COM2,
             "-smbios", "type=1,manufacturer=%s,product=%s" % SMBIOS]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.monitor = Monitor(MONITOR)
        cls.com2 = socket.socket(socket.AF_UNIX)
        cls.com2.connect(COM2)

    @classmethod
    def tearDownClass(cls):
        cls.monitor.close()
        cls.com2.close()
        super().tearDownClass()

    def eval(self, expr, timeout=60):
        """A reply, with no variable of an earlier expression still bound."""
        self.sh.forget()
        return squeeze(self.sh.eval(expr, timeout))

    def test_devices_list_their_drivers(self):
        reply = self.eval("[{N, C, D, S} || #{name := N, core := C, driver := D, driver_state := S} "
                          "<- hydros:devices()].")
        for device, driver in (("cmos", "rtc"), ("pit", "pit"), ("pci", "pci"), ("com2", "uart16550"),
                               ("ps2", "ps2_keyboard"), ("vga", "vga_text"), ("hpet", "hpet"),
                               ("lapic", "lapic_timer"), ("ioapic", "ioapic"), ("firmware", "acpi_tables")):
            self.assertIn("{%s,0,%s,running}" % (device, driver), reply)
        self.assertIn("{post,0,none,none}", reply)
        self.assertEqual(self.eval("[Ds || #{name := firmware, drivers := Ds} <- hydros:devices()]."),
                         "[[{acpi_tables,running},{smbios,running}]]")
        self.assertEqual(self.eval("rpc:call(c1@hydros, hydros_drivers, state, [])."), "[]")

    # ---- rtc

    def test_rtc_reads_the_host_clock_and_sets_it(self):
        self.addCleanup(self.eval, "rtc:set(calendar:universal_time()).")
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

    def test_rtc_binary_and_twelve_hours_keep_the_time(self):
        self.addCleanup(self.eval, "{rtc:set_mode(#{binary => false, h24 => true}), rtc:set(calendar:universal_time())}.")
        # Each format written, the same 15:04:05 read back through it.
        reply = self.eval("[begin ok = rtc:set_mode(M), ok = rtc:set({{2030, 1, 2}, {15, 4, 5}}), "
                          "{rtc:mode(), rtc:now()} end || M <- [#{binary => true, h24 => false}, "
                          "#{binary => false, h24 => false}, #{binary => true, h24 => true}, "
                          "#{binary => false, h24 => true}]].")
        for mode in ("#{binary=>true,h24=>false}", "#{binary=>false,h24=>false}",
                     "#{binary=>true,h24=>true}", "#{binary=>false,h24=>true}"):
            self.assertRegex(reply, re.escape("{{ok,%s},{{2030,1,2},{15,4," % mode) + r"[56]\}\}\}")
        self.assertEqual(self.eval("{rtc:set(calendar:universal_time()), rtc:set_mode(#{binary => maybe, h24 => true}), "
                                   "rtc:set_mode(bcd)}."),
                         "{ok,{error,{bad_mode,#{binary=>maybe,h24=>true}}},{error,{bad_mode,bcd}}}")

    def test_rtc_alarm_interrupt(self):
        # The alarm two seconds ahead: its interrupt (line 8) tells the caller.
        reply = self.eval("{_, T} = rtc:now(), S = calendar:time_to_seconds(T) + 2, "
                          "A = rtc:alarm(calendar:seconds_to_time(S rem 86400)), T0 = erlang:monotonic_time(millisecond), "
                          "{A, receive {rtc, alarm} -> {fired, erlang:monotonic_time(millisecond) - T0} after 6000 -> none end}.")
        m = re.fullmatch(r"\{ok,\{fired,(\d+)\}\}", reply)
        self.assertIsNotNone(m, reply)
        print("  rtc:alarm/1 two seconds ahead: {rtc, alarm} after %s ms" % m.group(1), flush=True)
        self.assertTrue(900 <= int(m.group(1)) <= 3500, reply)
        self.assertEqual(self.eval("{rtc:alarm({24, 0, 0}), rtc:alarm(noon), rtc:cancel_alarm()}."),
                         "{{error,{out_of_range,{24,0,0}}},{error,{out_of_range,noon}},ok}")

    # ---- pit and lapic_timer

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

    def test_pit_periodic_ticks(self):
        reply = self.eval("ok = pit:periodic(100), T0 = erlang:monotonic_time(millisecond), timer:sleep(2000), "
                          "ok = pit:stop(), Ms = erlang:monotonic_time(millisecond) - T0, "
                          "Ticks = length(%s), {ticks, Ticks, Ms, pit:periodic(5000), pit:periodic(x)}."
                          % (COLLECT % ("{pit, tick}", 0)))
        m = re.fullmatch(r"\{ticks,(\d+),(\d+),\{error,\{out_of_range,5000\}\},\{error,\{out_of_range,x\}\}\}", reply)
        self.assertIsNotNone(m, reply)
        ticks, ms = int(m.group(1)), int(m.group(2))
        print("  pit:periodic(100): %d ticks in %d ms" % (ticks, ms), flush=True)
        self.assertTrue(0.7 * ms / 10 <= ticks <= 1.1 * ms / 10, reply)
        self.assertEqual(self.eval("%s." % (COLLECT % ("{pit, tick}", 200))), "[]")  # stopped: no more

    def test_lapic_timer_against_the_pit_and_the_kernel(self):
        reply = self.eval("{lapic_timer:measure(), lapic_timer:kernel_hz()}.")
        m = re.fullmatch(r"\{\{ok,(\d+)\},\{ok,(\d+)\}\}", reply)
        self.assertIsNotNone(m, reply)
        ours, kernel = int(m.group(1)), int(m.group(2))
        print("  APIC timer: %.3f MHz measured against the PIT from Erlang, %.3f MHz by the kernel at boot"
              % (ours / 1e6, kernel / 1e6), flush=True)
        self.assertLess(abs(ours - kernel), 0.05 * kernel, reply)
        self.assertEqual(self.eval("{maps:with([divide, mode, masked], lapic_timer:config()), "
                                   "lapic_timer:read() =/= lapic_timer:read(), lapic_timer:program(periodic)}."),
                         "{#{divide=>16,masked=>false,mode=>one_shot},true,{error,kernel_timer}}")

    # ---- hpet

    def test_hpet_counts_and_times_a_one_shot(self):
        reply = self.eval("A = hpet:counter(), {hpet:period_fs(), A, hpet:one_shot(20000), hpet:counter() > A, "
                          "hpet:one_shot(0), hpet:one_shot(1.5)}.")
        m = re.fullmatch(r"\{10000000,\d+,\{ok,(\d+)\},true,\{error,\{out_of_range,0\}\},"
                         r"\{error,\{out_of_range,1.5\}\}\}", reply)
        self.assertIsNotNone(m, reply)
        print("  hpet:one_shot(20000): its interrupt status after %s us" % m.group(1), flush=True)
        self.assertTrue(20000 <= int(m.group(1)) < 200000, reply)
        # Idle, the driver holds no mapping: the device can move.
        self.assertEqual(self.eval("{hydros_io:give(hpet, 1), rpc:call(c1@hydros, hydros_io, give, [hpet, 0]), "
                                   "is_integer(hpet:counter())}."), "{ok,ok,true}")

    # ---- pci

    def test_pci_lists_what_qemu_has(self):
        self.sh.eval(PCI_LIST, 60)
        ours = re.findall(r"^pci \d+ .*$", self.sh.boot.text(), re.M)
        qemu = qemu_info_pci(self.monitor.command("info pci"))
        print("  pci:list(): %d functions, as QEMU's info pci:" % len(ours), flush=True)
        for line in ours:
            print("    " + line, flush=True)
        self.assertGreaterEqual(len(qemu), 4)
        self.assertEqual(ours, qemu)

    # ---- acpi_tables and smbios

    def test_acpi_tables_as_the_kernel_found_them(self):
        self.assertEqual(self.eval("[{S, O} || #{signature := S, oem_id := O, checksum_ok := true} "
                                   "<- acpi_tables:list()]."),
                         '[{<<"RSDT">>,<<"BOCHS">>},{<<"FACP">>,<<"BOCHS">>},{<<"APIC">>,<<"BOCHS">>},'
                         '{<<"HPET">>,<<"BOCHS">>},{<<"WAET">>,<<"BOCHS">>},{<<"DSDT">>,<<"BOCHS">>},{<<"FACS">>,<<>>}]')
        boot = self.sh.boot.text()
        # The kernel's own reading at boot (percore/acpi.c): CPUs, IO APIC, overrides.
        cpus = re.search(r"^acpi: OEM \S+ *, (\d+) CPUs", boot, re.M).group(1)
        ioapic = re.search(r"^acpi: IOAPIC id (\d+) at 0x([0-9a-f]+), GSI base (\d+)$", boot, re.M).groups()
        overrides = re.findall(r"^acpi: IRQ (\d+) -> GSI (\d+) \(flags 0x([0-9a-f]+)\)$", boot, re.M)
        reply = self.eval("{ok, #{entries := E}} = acpi_tables:madt(), "
                          "{length([x || #{type := lapic, enabled := true} <- E]), "
                          "[{I, A, G} || #{type := ioapic, id := I, address := A, gsi_base := G} <- E], "
                          "[{S, G, F} || #{type := override, source := S, gsi := G, flags := F} <- E]}.")
        self.assertEqual(reply, "{%s,[{%s,%d,%s}],[%s]}" % (
            cpus, ioapic[0], int(ioapic[1], 16), ioapic[2],
            ",".join("{%s,%s,%d}" % (irq, gsi, int(flags, 16)) for irq, gsi, flags in overrides)))
        self.assertEqual(self.eval("{{ok, #{address := A}}, {ok, F}} = {acpi_tables:hpet(), acpi_tables:fadt()}, "
                                   "{A, maps:get(century, F), acpi_tables:table(<<\"NONE\">>)}."),
                         "{4275044352,50,{error,not_found}}")

    def test_smbios_system_is_what_qemu_was_given(self):
        self.assertEqual(self.eval("maps:with([manufacturer, product], smbios:system())."),
                         '#{manufacturer=><<"%s">>,product=><<"%s">>}' % SMBIOS)
        self.assertEqual(self.eval("{maps:get(vendor, smbios:bios()), length(smbios:processors()) >= 1, "
                                   "[S || #{type := 17, size := S} <- smbios:memory()]}."),
                         '{<<"SeaBIOS">>,true,[2048]}')

    # ---- vga_text

    def test_vga_text_in_the_buffer(self):
        # Replies are compared squeezed: a row's length says where its text starts.
        self.assertEqual(self.eval("W = {vga_text:clear(), vga_text:write(3, 10, \"HydrOS VGA\", {yellow, blue}), "
                                   "vga_text:write(4, 75, \"cut here\")}, {ok, R3} = vga_text:read(3), "
                                   "{ok, R4} = vga_text:read(4), {W, length(R3), R3, length(R4), R4}."),
                         '{{ok,ok,ok},20,"HydrOSVGA",80,"cuth"}')
        dump = os.path.join(TMP, "vga.bin")
        reply = self.monitor.command('pmemsave 0xb8000 4000 "%s"' % dump)
        self.assertTrue(os.path.exists(dump), reply)
        with open(dump, "rb") as f:
            cells = f.read()
        row3 = cells[3 * 160 + 20:3 * 160 + 40]
        self.assertEqual(row3[0::2], b"HydrOS VGA")
        self.assertEqual(set(row3[1::2]), {0x1E})  # yellow (14) on blue (1)
        self.assertEqual(cells[4 * 160 + 150:4 * 160 + 160:2], b"cut h")
        # Teletype at the bottom scrolls the screen up.
        self.assertEqual(self.eval("{vga_text:cursor(24, 0), vga_text:print(\"one\\ntwo\"), vga_text:read(23), "
                                   "vga_text:read(24), vga_text:read(2), vga_text:cursor()}."),
                         '{ok,ok,{ok,"one"},{ok,"two"},{ok,"HydrOSVGA"},{24,3}}')
        self.assertEqual(self.eval("{vga_text:write(25, 0, \"x\"), vga_text:write(0, 0, \"x\", {pink, black}), "
                                   "vga_text:write(0, 0, [300])}."),
                         "{{error,{bad_position,25,0}},{error,{bad_colour,pink}},{error,{bad_char,300}}}")

    # ---- ps2_keyboard

    def keys(self, *keys):
        self.eval("ok = ps2_keyboard:subscribe().")
        for key in keys:
            self.monitor.command("sendkey %s" % key)
        return self.eval("[{K, A, C, M} || {ps2_keyboard, #{key := K, action := A, char := C, modifiers := M}} <- %s]."
                         % (COLLECT % ("{ps2_keyboard, _}", 1000)))

    def test_ps2_keyboard_decodes_sendkey(self):
        self.assertEqual(self.eval("ps2_keyboard:scancode_set()."), "1")
        reply = self.keys("a", "shift-b", "ret")
        self.assertEqual(reply, "[{a,press,97,[]},{a,release,97,[]},{left_shift,press,none,[shift]},"
                                "{b,press,66,[shift]},{b,release,66,[shift]},{left_shift,release,none,[]},"
                                "{enter,press,10,[]},{enter,release,10,[]}]")
        self.assertIn("{up,press,none,[]}", self.keys("up"))
        self.assertEqual(self.eval("ps2_keyboard:unsubscribe()."), "ok")

    # ---- ioapic

    def test_ioapic_lists_masks_and_routes(self):
        # The keyboard's line comes in on pin 1, routed to core 0 (its
        # driver subscribed); the PIT's line 0 on pin 2 (an override).
        reply = self.eval("R = ioapic:routes(), {length(R), [{P, V, C, M} || #{pin := P, line := 1, vector := V, "
                          "core := C, masked := M} <- R], [P || #{pin := P, line := 0} <- R]}.")
        self.assertEqual(reply, "{24,[{1,49,0,false}],[2]}")
        # Held masked, the PIT's periodic ticks stop; let go, they come again.
        reply = self.eval("ok = pit:periodic(100), ok = ioapic:mask(0), %s, "
                          "H = [Hd || #{line := 0, held := Hd, masked := true} <- ioapic:routes()], "
                          "Held = %s, ok = ioapic:unmask(0), Free = %s, ok = pit:stop(), "
                          "{H, Held, Free > 20}." % (COUNT % 100, COUNT % 500, COUNT % 500))
        self.assertEqual(reply, "{[true],0,true}")
        # Routing a line moves its device: the clock's goes to core 1 and back.
        self.assertEqual(self.eval("{ioapic:route(8, 1), [C || #{name := cmos, core := C} <- hydros:devices()], "
                                   "rtc:now(), rpc:call(c1@hydros, hydros_io, give, [cmos, 0]), is_tuple(rtc:now())}."),
                         "{ok,[1],{error,{owned_by,1}},ok,true}")
        self.assertEqual(self.eval("{ioapic:route(3, 1), ioapic:route(7, 1), ioapic:route(8, 9), ioapic:mask(16), "
                                   "ioapic:route(x, 1)}."),
                         "{{error,{in_use,3}},{error,{no_device,7}},{error,{no_core,9}},{error,badarg},{error,badarg}}")

    # ---- uart16550

    def test_uart16550_talks_to_a_host_socket(self):
        self.assertEqual(self.eval("uart16550:subscribe(com2)."), "ok")
        self.com2.sendall(b"hello-from-the-host\n")
        reply = self.eval("iolist_to_binary([D || {uart, D} <- %s])." % (COLLECT % ("{uart, _}", 1500)))
        self.assertEqual(reply, '<<"hello-from-the-host\\n">>')
        self.assertEqual(self.eval("uart16550:write(com2, [<<\"hello \">>, \"from c0\", $\\n])."), "ok")
        got, deadline = b"", time.monotonic() + 10
        self.com2.settimeout(1)
        while b"\n" not in got and time.monotonic() < deadline:
            try:
                got += self.com2.recv(4096)
            except socket.timeout:
                pass
        self.assertEqual(got, b"hello from c0\n")
        self.assertEqual(self.eval("{uart16550:unsubscribe(com2), uart16550:configure(com2, #{baud => 9600, parity => even}), "
                                   "uart16550:settings(com2), uart16550:configure(com2, #{baud => 115200, parity => none})}."),
                         "{ok,ok,{ok,#{baud=>9600,data_bits=>8,flow=>none,parity=>even,stop_bits=>1}},ok}")
        # Kept while nobody subscribes, and taken by read/1.
        self.com2.sendall(b"kept")
        time.sleep(1)
        self.assertEqual(self.eval("uart16550:read(com2)."), '{ok,<<"kept">>}')
        # Bytes that come while the server cannot take them wait in the chip
        # for the one its supervisor starts next.
        self.assertEqual(self.eval("sys:suspend(uart16550_server)."), "ok")
        self.com2.sendall(b"meanwhile")
        time.sleep(1)
        # The supervisor's report of the kill may come before the reply or after it.
        self.assertIn("true", self.sh.eval("exit(whereis(uart16550_server), kill).").split("\n"))
        self.assertEqual(self.eval("uart16550:read(com2)."), '{ok,<<"meanwhile">>}')
        self.assertEqual(self.eval("maps:with([rx_bytes, tx_bytes], uart16550:stats(com2))."),
                         "#{rx_bytes=>9,tx_bytes=>0}")
        self.assertEqual(self.eval("{uart16550:write(com1, \"x\"), uart16550:configure(com2, #{baud => 7}), "
                                   "uart16550:write(com2, [300])}."),
                         "{{error,{not_held,com1}},{error,{bad_baud,7}},{error,badarg}}")

    # ---- every driver

    def test_drivers_reach_their_own_device_only(self):
        probe = "fun() -> [try hydros_io:in8(P) of V when is_integer(V) -> ok; E -> E catch error:{excluded, _} -> excluded end || P <- [%s]] end"
        for server, ports, want in (("rtc_server", "16#71, 16#40, 16#61, 16#cf8", "[ok,excluded,excluded,excluded]"),
                                    ("pit_server", "16#40, 16#61, 16#71", "[ok,ok,excluded]"),
                                    ("pci_server", "16#cfc, 16#71, 16#40", "[ok,excluded,excluded]"),
                                    ("uart16550_server", "16#2fd, 16#60, 16#71", "[ok,excluded,excluded]"),
                                    ("ps2_keyboard_server", "16#64, 16#2fd, 16#40", "[ok,excluded,excluded]"),
                                    ("vga_text_server", "16#3da, 16#64", "[ok,excluded]")):
            self.assertEqual(self.eval(IN_SERVER % (server, probe % ports, server) + "."), want, server)
        mapping = "fun() -> [try hydros_io:map(A, 16#1000) of {ok, H} -> hydros_io:unmap(H); E -> E catch error:{excluded, _} -> excluded end || A <- [%s]] end"
        for server, addrs, want in (("hpet_server", "16#FED00000, 16#B8000", "[ok,excluded]"),
                                    ("lapic_timer_server", "16#FEE00000, 16#FED00000", "[ok,excluded]"),
                                    ("acpi_tables_server", "16#F0000, 16#FEE00000", "[ok,excluded]")):
            self.assertEqual(self.eval(IN_SERVER % (server, mapping % addrs, server) + "."), want, server)
        self.assertEqual(self.eval(IN_SERVER % ("rtc_server", "fun() -> try hydros:kill(1) catch error:E -> E end end",
                                                "rtc_server") + "."), "{excluded,node_control}")
        self.assertEqual(self.eval(IN_SERVER % ("uart16550_server", "fun() -> try ioapic_entries:result(prim_file:write_file("
                                                "\"/dev/hydros/ioapic\", \"mask 1\"), [1]) catch error:E -> E end end",
                                                "uart16550_server") + "."), "{excluded,device_control}")

    def test_killed_drivers_come_back(self):
        for name, check in (("rtc_server", "fun() -> is_tuple(rtc:now()) end"),
                            ("pit_server", "fun() -> is_integer(pit:read()) end"),
                            ("pci_server", "fun() -> is_list(pci:list()) end"),
                            ("uart16550_server", "fun() -> element(1, uart16550:settings(com2)) =:= ok end"),
                            ("ps2_keyboard_server", "fun() -> 1 =:= ps2_keyboard:scancode_set() end"),
                            ("vga_text_server", "fun() -> ok =:= vga_text:write(0, 0, \"back\") end"),
                            ("hpet_server", "fun() -> is_integer(hpet:counter()) end"),
                            ("lapic_timer_server", "fun() -> is_integer(lapic_timer:read()) end"),
                            ("ioapic_server", "fun() -> length(ioapic:routes()) =:= 24 end"),
                            ("acpi_tables_server", "fun() -> length(acpi_tables:list()) =:= 7 end"),
                            ("smbios_server", "fun() -> is_map(smbios:system()) end")):
            self.sh.forget()
            reply = last_line(self.sh.eval(RESTART % (name, name, check)))  # after the supervisor's report
            m = re.fullmatch(r"\{restarted,([\d.]+),true\}", reply)
            self.assertIsNotNone(m, "%s: %s" % (name, reply))
            print("  %s killed: answering again after %s ms" % (name, m.group(1)), flush=True)
        self.assertIn("{cmos,rtc,running}", self.eval("[{N, D, S} || #{name := N, driver := D, driver_state := S} "
                                                      "<- hydros:devices()]."))


# pci:list() as one line a function: bus, device, function, vendor, device
# id, class name, then its BARs (number, type, first and last address).
PCI_LIST = ("lists:foreach(fun(#{bus := B, device := D, function := F, vendor := V, device_id := I, "
            "class_name := C, bars := Bars}) -> io:format(\"pci ~b ~b ~b ~4.16.0b:~4.16.0b ~s|~s~n\", "
            "[B, D, F, V, I, C, [io_lib:format(\" ~b ~s ~.16b ~.16b\", [N, T, Base, Base + Size - 1]) "
            "|| #{bar := N, type := T, base := Base, size := Size} <- Bars]]) end, pci:list()).")


class PciEcamOnQ35(ShellTestCase):
    """QEMU's q35 has PCI Express: the pci driver goes through ECAM there."""
    NAME = "qemu-drivers-q35"
    EXTRA = ["-machine", "q35", "-monitor", "unix:%s,server=on,wait=off" % MONITOR_Q35]

    def test_pci_through_ecam_lists_what_qemu_has(self):
        self.assertEqual(squeeze(self.sh.eval("pci:access().")), "ecam")
        self.sh.eval(PCI_LIST, 60)
        ours = re.findall(r"^pci \d+ .*$", self.sh.boot.text(), re.M)
        monitor = Monitor(MONITOR_Q35)
        qemu = qemu_info_pci(monitor.command("info pci"))
        monitor.close()
        print("  q35, pci:list() through ECAM: %d functions, as QEMU's info pci" % len(ours), flush=True)
        self.assertGreaterEqual(len(qemu), 6)
        self.assertEqual(ours, qemu)


def qemu_info_pci(text):
    """QEMU's `info pci` text as the same lines (ROM BARs, BAR6, left out)."""
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


if __name__ == "__main__":
    unittest.main()
