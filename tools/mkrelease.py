#!/usr/bin/env python3
"""Writes the boot script every node boots with: a release (hydros.rel) of
every application in the archive, turned into hydros.script and
hydros.boot by OTP's systools (the host's erl, the same OTP release), and
the boot file as bin/start.boot, which init reads by default (the .rel and
.script stay beside, as /releases/1/ in the archive, for the reader).

  kernel, stdlib, hydros   started, in that order (hydros starts the rest:
                           erlang_os/hydros/src/hydros_init.erl)
  hydros_policy            loaded: hydros's init starts it as a service
  every other application  on the code path only (drivers, the OTP
                           applications): started when used

Each --lib DIR holds applications as DIR/NAME-VSN/ebin/NAME.app, the layout
the script's paths ($ROOT/lib/NAME-VSN/ebin) name. An application found
twice, a missing one, or one that systools refuses (a module its .app
lists without a beam, an application it needs that is not there) stops
with systools's own words. Usage: mkrelease.py --lib DIR [--lib DIR...] OUT"""
import argparse
import os
import re
import shutil
import subprocess
import sys

NAME, VSN = "hydros", "1"
STARTED = ["kernel", "stdlib", "hydros"]
LOADED = ["hydros_policy"]


def applications(libs):
    """{name: (vsn, ebin)} of every NAME-VSN/ebin/NAME.app under libs."""
    found = {}
    for lib in libs:
        for d in sorted(os.listdir(lib)):
            m = re.fullmatch(r"(\w+)-([\w.]+)", d)
            if not m or not os.path.isfile(os.path.join(lib, d, "ebin", m.group(1) + ".app")):
                continue
            if m.group(1) in found:
                sys.exit("mkrelease: %s twice: %s and %s (`make clean` drops stale builds)"
                         % (m.group(1), found[m.group(1)][1], os.path.join(lib, d, "ebin")))
            found[m.group(1)] = (m.group(2), os.path.join(lib, d, "ebin"))
    missing = [a for a in STARTED + LOADED if a not in found]
    if missing:
        sys.exit("mkrelease: no %s under %s" % (", ".join(missing), " ".join(libs)))
    return found


def rel_text(apps, erts_vsn):
    order = STARTED[:2] + sorted(a for a in apps if a not in STARTED) + STARTED[2:]
    kind = lambda a: "" if a in STARTED else ", load" if a in LOADED else ", none"
    entries = ",\n  ".join('{%s, "%s"%s}' % (a, apps[a][0], kind(a)) for a in order)
    return '{release, {"%s", "%s"}, {erts, "%s"},\n [%s]}.\n' % (NAME, VSN, erts_vsn, entries)


def build(libs, out):
    apps = applications(libs)
    erts_vsn = subprocess.run(["erl", "-noshell", "-eval", "io:put_chars(erlang:system_info(version)), halt()."],
                              check=True, capture_output=True, text=True).stdout
    tmp = out + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    rel = os.path.join(tmp, "releases", VSN)  # the archive's /releases/1: hydros.rel, hydros.script
    os.makedirs(rel)
    os.makedirs(os.path.join(tmp, "bin"))
    with open(os.path.join(rel, NAME + ".rel"), "w") as f:
        f.write(rel_text(apps, erts_vsn))
    expr = ('[Rel, Out | Path] = init:get_plain_arguments(), '
            'case systools:make_script(Rel, [{path, Path}, {outdir, Out}, no_dot_erlang, silent, no_warn_sasl]) of '
            '{ok, _, _} -> halt(0); '
            '{error, M, E} -> io:put_chars(standard_error, M:format_error(E)), halt(1) end.')
    r = subprocess.run(["erl", "-noshell", "-eval", expr, "-extra", os.path.join(rel, NAME), rel] +
                       [ebin for _, ebin in apps.values()], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("mkrelease: systools:make_script refused %s.rel:\n%s" % (NAME, r.stderr.strip()))
    os.rename(os.path.join(rel, NAME + ".boot"), os.path.join(tmp, "bin", "start.boot"))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print("mkrelease: %s/bin/start.boot: %d applications (%s started)" % (out, len(apps), ", ".join(STARTED)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", action="append", required=True, help="a directory of NAME-VSN applications")
    ap.add_argument("out")
    a = ap.parse_args()
    build(a.lib, a.out.rstrip("/"))
