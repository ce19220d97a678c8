"""Boots the disk image in QEMU or Bochs and reads its serial console.

A Boot is a context manager: it starts the emulator, collects every byte the
guest writes to COM1 in a background thread, and lets a test wait for a
regular expression with a time limit. Only what the guest printed is
matched (nothing typed is ever echoed into the buffer by the harness).
Times are wall-clock seconds from the emulator's start, the only clock that
means anything under TCG."""
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tty

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = os.path.join(ROOT, "images", "hydros.img")
BUILD = os.path.join(ROOT, "build")
# Typing into Bochs: bytes at a time, and seconds between them (send()).
BOCHS_BURST, BOCHS_BURST_GAP = 8, 0.05


class BootTimeout(AssertionError):
    pass


# The restart policy of test archives unless they bring their own: a node
# a test ends stays dead (erlang_os/hydros_policy).
TEMPORARY = b"{default, temporary}.\n"


def variant_archive(name, overlay, release=None, rootfs=None):
    """The boot archive with the files of `overlay` ({path: bytes, or the
    name of a host file}) added or replaced, e.g. another etc/hydros/console.args;
    release: another tools/mkrelease.py output than the image's (build/release);
    rootfs: another tools/mkrootfs.py output than the image's (build/rootfs).
    Every node is temporary unless overlay has an etc/hydros/policy.config."""
    out_dir = os.path.join(BUILD, "test-images", name + ".root")
    shutil.rmtree(out_dir, ignore_errors=True)
    for path, data in {"etc/hydros/policy.config": TEMPORARY, **overlay}.items():
        dest = os.path.join(out_dir, path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if isinstance(data, bytes):
            with open(dest, "wb") as f:
                f.write(data)
        else:
            shutil.copy(data, dest)
    archive = os.path.join(BUILD, "test-images", name + ".cpio")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkcpio.py"),
                    rootfs or os.path.join(BUILD, "rootfs"), os.path.join(BUILD, "erlang_os"), os.path.join(ROOT, "rootfs"),
                    release or os.path.join(BUILD, "release"), out_dir, archive],
                   check=True)
    return archive


_policy_images = {}


def policy_image(policy):
    """The image with every node's restart policy `policy` (an Erlang term:
    a restart type or a map, erlang_os/hydros_policy), built once a run.
    The fault tests boot it with `temporary`: nodes they kill stay dead
    until they restart them; the policy tests boot the image as shipped."""
    if policy not in _policy_images:
        name = "policy-" + "".join(ch if ch.isalnum() else "-" for ch in policy)
        config = ("{default, %s}.\n" % policy).encode()
        archive = variant_archive(name, {"etc/hydros/policy.config": config})
        _policy_images[policy] = variant_image(name, archive=archive)
    return _policy_images[policy]


def node_args(*argv):
    """The bytes of an etc/hydros/*.args file (one argument a line)."""
    return "".join(a + "\n" for a in argv).encode()


def node_args_then(expr, dist=True):
    """The usual arguments of a non-console node (rootfs/etc/hydros/node.args),
    with `expr` evaluated after hydros:boot(). dist=False: a node with a name
    but no distribution, which leaves its channel files to `expr`."""
    with open(os.path.join(ROOT, "rootfs", "etc", "hydros", "node.args")) as f:
        args = f.read().split("\n")[:-1]
    args[args.index("hydros:boot()")] = "hydros:boot(), " + expr
    if not dist:
        i = args.index("-proto_dist")
        args[i:i + 3] = ["-dist_listen", "false"]
    return node_args(*args)


def variant_image(name, cmdline="", kernel=None, archive=None):
    """A copy of the image with another command line, kernel file or archive."""
    out_dir = os.path.join(BUILD, "test-images")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, name + ".img")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkimage.py"),
                    "--stage1", os.path.join(BUILD, "boot", "stage1.bin"),
                    "--stage2", os.path.join(BUILD, "boot", "stage2.bin"),
                    "--kernel", kernel or os.path.join(BUILD, "kernel.elf"),
                    "--archive", archive or os.path.join(BUILD, "archive.cpio"),
                    "--cmdline", cmdline, "-o", out],
                   check=True, stdout=subprocess.DEVNULL)
    return out


class Boot:
    def __init__(self, emulator="qemu", smp=4, mem="2G", image=IMAGE, extra=(), name="boot"):
        self.emulator, self.smp, self.mem, self.image = emulator, smp, mem, image
        self.extra, self.name = list(extra), name
        self.output = b""
        self.lock = threading.Condition()
        self.proc = None
        self.tmp = tempfile.mkdtemp(prefix="hydros-boot-")

    # ---- starting and stopping
    def __enter__(self):
        self.t0 = time.monotonic()
        if self.emulator == "qemu":
            self._start_qemu()
        else:
            self._start_bochs()
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        if self.emulator != "qemu":
            self.pump.join()  # it ends once the emulator has and the master is drained
            os.close(self.pty_slave)
            os.close(self.pty)
        log = os.path.join(BUILD, "test-logs")
        os.makedirs(log, exist_ok=True)
        with open(os.path.join(log, self.name + ".log"), "wb") as f:
            f.write(self.output)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def _start_qemu(self):
        cmd = ["qemu-system-x86_64", "-machine", "pc", "-cpu", "max", "-smp", str(self.smp),
               "-m", self.mem, "-display", "none", "-serial", "stdio", "-monitor", "none",
               "-no-reboot", "-drive", "file=%s,format=raw,if=virtio,snapshot=on" % self.image]
        self.proc = subprocess.Popen(cmd + self.extra, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _start_bochs(self):
        # COM1 on a pseudo-terminal (Bochs's "term" mode): the guest's bytes
        # come out of its master, and send() types into it.
        self.pty, slave = os.openpty()
        tty.setraw(slave)  # Bochs's reads and writes pass every byte as is
        self.pty_slave = slave  # held open: the master reads EOF without it
        image = os.path.join(self.tmp, "disk.img")  # Bochs writes a lock beside its disk
        shutil.copyfile(self.image, image)
        cfg = os.path.join(self.tmp, "bochsrc")
        with open(cfg, "w") as f:  # extra: more bochsrc lines
            f.write(bochsrc(image, self.smp, self.mem, os.ttyname(slave)) + "".join(line + "\n" for line in self.extra))
        cmds = os.path.join(self.tmp, "cmds")
        with open(cmds, "w") as f:
            f.write("c\n")
        self.proc = subprocess.Popen(["bochs", "-q", "-f", cfg, "-rc", cmds], cwd=self.tmp,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.pump = threading.Thread(target=self._pump_pty, daemon=True)
        self.pump.start()

    def _pump(self, stream):
        while True:
            data = stream.read1(4096)
            if not data:
                break
            self._append(data)

    def _pump_pty(self):
        while True:
            ready = select.select([self.pty], [], [], 0.1)[0]
            if ready:
                self._append(os.read(self.pty, 4096))
            elif self.proc.poll() is not None:
                break

    def _append(self, data):
        with self.lock:
            self.output += data
            self.lock.notify_all()

    # ---- typing on the console
    def send(self, text):
        if self.emulator == "qemu":
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
            return
        # Bochs fills the UART's 16-byte FIFO as fast as the line runs and
        # drops what overflows it, and the kernel drains it once a tick:
        # type at most BOCHS_BURST bytes a tick (Bochs's clock follows the
        # host's).
        data = text.encode()
        for i in range(0, len(data), BOCHS_BURST):
            os.write(self.pty, data[i:i + BOCHS_BURST])
            time.sleep(BOCHS_BURST_GAP)

    def mark(self):
        """A position in the console output; expect(..., after=mark) looks only past it."""
        with self.lock:
            return len(self.output)

    # ---- reading the console
    def text(self):
        with self.lock:
            return self.output.decode("utf-8", "replace").replace("\r", "")

    def since(self, mark):
        """The console output past a mark()."""
        with self.lock:
            return self.output[mark:].decode("utf-8", "replace").replace("\r", "")

    def elapsed(self):
        return time.monotonic() - self.t0

    def expect(self, pattern, timeout, after=0):
        """Waits until the console output past `after` (a mark()) matches pattern
        (a regex, multiline). Returns the match. Fails at the time limit, or at
        once when the emulator has exited."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                m = rx.search(self.output[after:].decode("utf-8", "replace").replace("\r", ""))
                if m:
                    return m
                exited = self.proc.poll() is not None
                if time.monotonic() >= deadline or exited:
                    raise BootTimeout("%s: no match for %r %s; console was:\n%s" % (
                        self.name, pattern,
                        "(emulator exited)" if exited else "within %ss" % timeout,
                        self.text()[-3000:]))
                self.lock.wait(0.2)

    def wait_cores(self, n, timeout):
        """Waits for 'core K online' for every K < n; returns seconds to the last one."""
        for k in range(n):
            self.expect(r"^core %d online \(lapic id \d+\)$" % k, timeout)
        t = self.elapsed()
        print("  %s: %d cores online %.2f s after start" % (self.name, n, t), flush=True)
        return t


def bochsrc(image, cpus, mem, com1_tty):
    megs = int(mem[:-1]) * (1024 if mem.endswith("G") else 1)
    return "\n".join([
        "megs: %d" % megs,
        "cpu: count=%d, ips=80000000, reset_on_triple_fault=0" % cpus,
        "cpuid: x86_64=1, level=6, apic=xapic",
        "romimage: file=/usr/share/bochs/BIOS-bochs-latest",
        "vgaromimage: file=/usr/share/vgabios/vgabios.bin",
        "ata0-master: type=disk, path=%s, mode=flat" % image,
        "boot: disk",
        "com1: enabled=1, mode=term, dev=%s" % com1_tty,
        'display_library: rfb, options="timeout=0"',
        "clock: sync=realtime, time0=local",
        "speaker: enabled=0",
        "sound: driver=dummy",  # no ALSA probing: it aborts without a sound card
        "log: -",
        "panic: action=fatal",
        "error: action=ignore",
        "info: action=ignore",
        "debug: action=ignore",
        "",
    ])
