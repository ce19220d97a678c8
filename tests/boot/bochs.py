#!/usr/bin/env python3
"""`make run-bochs`: boots an image in Bochs 2.7 with the project's
configuration (harness.bochsrc), copies its serial console to stdout and
what is typed on stdin to the console (the kernel echoes it). Ctrl-C
leaves. Bochs drops what overflows the UART, so typing is paced
(harness.Boot.send): type, or paste a line at a time."""
import argparse
import os
import sys
import termios
import threading
import time
import tty

from harness import Boot


def keys(boot):
    """Types stdin's bytes into the console as they come."""
    while True:
        data = os.read(sys.stdin.fileno(), 256)
        if not data:
            return
        boot.send(data.decode("utf-8", "replace"))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--image", required=True)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--mem", default="512M")
    a = ap.parse_args()
    saved = None
    if sys.stdin.isatty():
        # No echo and no line editing here (the guest's tty does both);
        # Ctrl-C still interrupts.
        saved = termios.tcgetattr(sys.stdin.fileno())
        tty.setcbreak(sys.stdin.fileno())
    try:
        with Boot("bochs", smp=a.cpus, mem=a.mem, image=a.image, name="run-bochs") as b:
            threading.Thread(target=keys, args=(b,), daemon=True).start()
            shown = 0
            while b.proc.poll() is None:
                text = b.text()
                sys.stdout.write(text[shown:])
                sys.stdout.flush()
                shown = len(text)
                time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if saved:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


if __name__ == "__main__":
    main()
