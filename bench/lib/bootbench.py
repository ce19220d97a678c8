"""Helpers of bench/boot: the images and initramfs it boots, and QEMU runs
that remember when each console byte arrived (host wall clock from QEMU's
start, the only clock that means anything under TCG)."""
import glob
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
import harness  # noqa: E402

BENCH = os.path.join(ROOT, "build", "bench")
NODE_ARGS = os.path.join(ROOT, "rootfs", "etc", "hydros", "console.args")
INIT_SRC = os.path.join(ROOT, "bench", "lib", "linux_init.c")
EPMD_SRC = os.path.join(ROOT, "bench", "lib", "bench_epmd.erl")


def qemu(smp=1):
    """The same machine for both systems (and for every node count); each
    system adds only how it gets its code in."""
    return ["qemu-system-x86_64", "-machine", "pc", "-cpu", "max", "-smp", str(smp), "-m", "2G",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]


LINUX_APPEND = "console=ttyS0 quiet panic=-1"
READY_EVAL = "erlang:display(ready), halt()."


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def linux_kernel():
    """The newest installed Debian cloud kernel (bench/deps.sh installs one)."""
    found = glob.glob("/boot/vmlinuz-*-cloud-amd64")
    if not found:
        sys.exit("bench: no /boot/vmlinuz-*-cloud-amd64 (bench/deps.sh installs linux-image-cloud-amd64)")
    key = lambda p: [int(x) for x in re.findall(r"\d+", os.path.basename(p))]
    return max(found, key=key)


def console_args():
    """Core 0's argv as the image has it (one argument a line)."""
    with open(NODE_ARGS) as f:
        return [line for line in f.read().split("\n") if line]


def ready_args():
    """The node's argv with the shell replaced by `-noshell -eval ...`: the
    same emulator and init flags, the two init flags added after `--`."""
    return eval_args(READY_EVAL)


def eval_args(expr):
    """Core 0's argv with the shell replaced by `-noshell -eval expr`."""
    argv = console_args()
    if "--" not in argv or "-noshell" in argv or "-extra" in argv:
        sys.exit("bench: %s has no `--`, or already -noshell/-extra: cannot derive the -eval variant" % NODE_ARGS)
    return argv + ["-noshell", "-eval", expr]


def image_copy():
    """A copy of the image `make` built, taken once, so that a rebuild while
    the bench runs (the working tree is shared) neither switches kernels
    between boots nor is read half written."""
    os.makedirs(BENCH, exist_ok=True)
    out = os.path.join(BENCH, "hydros.img")
    shutil.copyfile(harness.IMAGE, out + ".new")
    os.replace(out + ".new", out)
    return out


def hydros_images(image):
    """({variant: disk image}, {variant: core 0's argv}): image (the one
    `make` built, copied), and one whose node boots with -eval."""
    archive = harness.variant_archive("bench-ready", {"etc/hydros/console.args": harness.node_args(*ready_args())})
    return {"prompt": image,
            "ready": harness.variant_image("bench-ready", archive=archive)}, \
           {"prompt": console_args(), "ready": ready_args()}


def linux_argv(argv):
    """A HydrOS node's argv for Linux: TCP distribution, its ports given by
    bench_epmd (bench/lib/bench_epmd.erl), instead of the channels."""
    i = argv.index("-proto_dist")
    if argv[i:i + 3] != ["-proto_dist", "msgchan", "-no_epmd"]:
        sys.exit("bench: expected `-proto_dist msgchan -no_epmd` in %s" % NODE_ARGS)
    return argv[:i] + ["-epmd_module", "bench_epmd", "-pa", "/lib/bench/ebin"] + argv[i + 3:]


def linux_initrd(name, nodes):
    """An initramfs for Linux: the boot archive `make` built, followed by a
    second cpio (Linux unpacks concatenated archives, later files winning)
    with /init (bench/lib/linux_init.c), /etc/hosts (hydros is 127.0.0.1),
    bench_epmd and the nodes' arguments, nodes = {core: HydrOS argv}: core
    0's as etc/hydros/console.args, the others' as etc/hydros/cN.args."""
    top = os.path.join(BENCH, "linux-" + name)
    shutil.rmtree(top, ignore_errors=True)
    for d in ("etc/hydros", "lib/bench/ebin"):
        os.makedirs(os.path.join(top, d))
    run(["musl-gcc", "-static", "-O2", "-Wall", "-Wextra", "-o", os.path.join(top, "init"), INIT_SRC])
    run(["erlc", "-Werror", "-o", os.path.join(top, "lib", "bench", "ebin"), EPMD_SRC])
    with open(os.path.join(top, "etc", "hosts"), "w") as f:
        f.write("127.0.0.1 localhost hydros hydros.local\n")
    for core, argv in nodes.items():
        path = "console.args" if core == 0 else "c%d.args" % core
        with open(os.path.join(top, "etc", "hydros", path), "wb") as f:
            f.write(harness.node_args(*linux_argv(argv)))
    extra = top + ".extra.cpio"
    run([sys.executable, os.path.join(ROOT, "tools", "mkcpio.py"), top, extra])
    out = top + ".cpio"
    with open(out, "wb") as f:
        for part in (os.path.join(harness.BUILD, "archive.cpio"), extra):
            with open(part, "rb") as p:
                f.write(p.read())
    return out


def linux_initrds(argvs):
    """{variant: initramfs} for {variant: core 0's argv}."""
    return {variant: linux_initrd("boot-" + variant, {0: argv}) for variant, argv in argvs.items()}


class TimedBoot(harness.Boot):
    """A harness.Boot on `argv` (QEMU with its disk or kernel options) that
    keeps, for each chunk of console output, the time it arrived."""

    def __init__(self, argv, name, smp=1):
        super().__init__(smp=smp, name=name)
        self.argv, self.arrivals = argv, []

    def _start_qemu(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()

    def _append(self, data):
        t = self.elapsed()
        with self.lock:
            self.arrivals.append((len(self.output) + len(data), t))
        super()._append(data)

    def time_of(self, pattern):
        """Seconds from QEMU's start to the arrival of the end of the first
        match of pattern in the raw console bytes, or None."""
        with self.lock:
            m = re.search(pattern.encode(), self.output, re.M)
            if not m:
                return None
            return next(t for end, t in self.arrivals if end >= m.end())


def hydros_boot(image, name, smp=1):
    return TimedBoot(qemu(smp) + ["-drive", "file=%s,format=raw,if=virtio,snapshot=on" % image],
                     name, smp)


def linux_boot(kernel, initrd, name, smp=1):
    return TimedBoot(qemu(smp) + ["-kernel", kernel, "-initrd", initrd, "-append", LINUX_APPEND], name, smp)


def other_qemus():
    """How many qemu-system processes are running now."""
    n = 0
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/comm" % pid) as f:
                n += f.read().startswith("qemu-system")
        except (OSError, ValueError):
            pass
    return n


class OtherLoad:
    """Around one boot: how many host cores the rest of the machine kept
    busy meanwhile, on average (all busy CPU time in /proc/stat, less this
    process's and its waited-for children's, over the wall time). On a
    shared 2-core machine it tells a quiet boot from a disturbed one."""

    def __enter__(self):
        self.start = (time.monotonic(), host_busy(), own_cpu())
        return self

    def __exit__(self, *exc):
        t0, busy0, own0 = self.start
        wall = time.monotonic() - t0
        self.cores = max(0.0, (host_busy() - busy0) - (own_cpu() - own0)) / wall if wall else 0.0
        return False


def host_busy():
    """CPU seconds all host cores have spent busy since boot."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
