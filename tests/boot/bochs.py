#!/usr/bin/env python3
"""`make run-bochs`: boots an image in Bochs 2.7 with the project's
configuration (harness.bochsrc) and copies its serial console to stdout."""
import argparse
import sys
import time

from harness import Boot


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--image", required=True)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--mem", default="512M")
    a = ap.parse_args()
    with Boot("bochs", smp=a.cpus, mem=a.mem, image=a.image, name="run-bochs") as b:
        shown = 0
        try:
            while b.proc.poll() is None:
                text = b.text()
                sys.stdout.write(text[shown:])
                sys.stdout.flush()
                shown = len(text)
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
