#!/usr/bin/env python3
"""Fills the boot archive root: everything one node needs to boot OTP, laid
out as the root directory `/` that its ERTS sees (`-root / -bindir /bin`).

  bin/start.boot          the host's no_dot_erlang.boot (init's default boot script)
  bin/beam.smp            the static ERTS (--beam), what the ELF loader starts
  lib/kernel-VSN/ebin     kernel and stdlib from the installed erlang-base,
  lib/stdlib-VSN/ebin     versioned paths as the boot script names them, stripped;
                          the modules --patched names compiled instead from the
                          patched source tree (beam-patches/0003: kernel's
                          code_server, file_server and file check capabilities)
  lib/APP-VSN/ebin        every other application --apps names, from the same
                          installation (Debian's erlang-APP), stripped (which
                          gzips: loaded on demand, after boot), and the
                          Elixir applications --elixir names (Debian's
                          elixir, made for this OTP: --elixir-lib)
  lib/APP-VSN/include     each OTP application's headers and priv files, but
  lib/APP-VSN/priv        priv/lib (shared libraries: a node loads none)
  etc/inetrc, etc/hosts   name lookups from files only: nothing spawns inet_gethost
  dev/null                an empty regular file; the kernel serves it as the null device
  tmp/                    mount point of the per-core tmpfs (-home /tmp)

The directory is built beside OUT and renamed into place, so OUT is always
whole. Usage: mkrootfs.py [--erl-root /usr/lib/erlang] [--beam FILE]
                     [--patched SRC_ROOT:APP:MOD,MOD...] [--apps APP,APP...]
                     [--elixir APP,APP... [--elixir-lib DIR]] OUT"""
import argparse
import fcntl
import os
import re
import shutil
import subprocess
import sys

# The boot script. no_dot_erlang is start_clean without `c:erlangrc()`, which
# would look for .erlang in the working and home directories.
BOOT = "releases/%s/no_dot_erlang"
INETRC = b"%% Name lookups from files only (no inet_gethost port program).\n{lookup, [file]}.\n"
HOSTS = b"127.0.0.1\tlocalhost hydros.local hydros\n::1\tlocalhost\n"
# Copied from each ebin: code, the application resource files.
EBIN_KEEP = (".beam", ".app", ".appup")


def otp_release(erl_root):
    rel = [d for d in os.listdir(os.path.join(erl_root, "releases")) if d.isdigit()]
    if len(rel) != 1:
        sys.exit("mkrootfs: expected one release under %s/releases, found %s" % (erl_root, rel))
    return rel[0]


def boot_libs(script):
    """The lib directories (name-vsn) that the boot script loads code from."""
    with open(script) as f:
        libs = re.findall(r'"\$ROOT/lib/([^/"]+)/ebin"', f.read())
    libs = sorted(set(libs))
    if not libs:
        sys.exit("mkrootfs: no $ROOT/lib paths in %s" % script)
    return libs


def strip_beams(ebins):
    """beam_lib:strip on every .beam, with the host's erl (same OTP release).
    A stripped beam is gzipped too (the loader takes it so:
    erlang:prepare_loading/2 gunzips)."""
    expr = ('Fs = lists:append([filelib:wildcard(D ++ "/*.beam") || D <- init:get_plain_arguments()]),'
            '{ok, _} = beam_lib:strip_files(Fs), halt().')
    subprocess.run(["erl", "-noshell", "-noinput", "-eval", expr, "-extra"] + ebins, check=True)


def installed_apps(erl_root, rel):
    """name -> name-vsn of every application of the OTP release installed."""
    with open(os.path.join(erl_root, "releases", rel, "installed_application_versions")) as f:
        return {line.strip().rsplit("-", 1)[0]: line.strip() for line in f if line.strip()}


def app_dir(erl_root, rel, release_apps, app):
    """lib/APP-VSN of the installation, checked: installed, and of this release."""
    found = [d for d in os.listdir(os.path.join(erl_root, "lib"))
             if d.rsplit("-", 1)[0] == app and os.path.isdir(os.path.join(erl_root, "lib", d, "ebin"))]
    if not found:
        sys.exit("mkrootfs: OTP application %s is not installed under %s/lib "
                 "(Debian's package erlang-%s; tools/deps.sh installs the default ones)"
                 % (app, erl_root, app.replace("_", "-")))
    want = release_apps.get(app)
    if want not in found:
        sys.exit("mkrootfs: %s/lib/%s was not built for OTP %s (its release lists %s)"
                 % (erl_root, found[0], rel, want or "no %s at all" % app))
    return want


def compile_patched(spec, ebins):
    """SRC_ROOT:APP:MOD,...: each lib/APP/src/MOD.erl of the patched OTP
    tree, compiled (the host's erlc, the same OTP release) over the
    installed module in APP's ebin."""
    root, app, mods = spec.split(":")
    dst = [e for e in ebins if os.path.basename(os.path.dirname(e)).startswith(app + "-")]
    if len(dst) != 1:
        sys.exit("mkrootfs: no lib/%s-VSN in the root for --patched" % app)
    srcs = [os.path.join(root, "lib", app, "src", m + ".erl") for m in mods.split(",")]
    subprocess.run(["erlc", "-I", os.path.join(root, "lib", app, "include"), "-I",
                    os.path.join(root, "lib", app, "src"), "-o", dst[0]] + srcs, check=True)


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total


def copy_ebin_dir(src, dst):
    """The code and application files of the ebin directory src into dst
    (made). Returns dst."""
    os.makedirs(dst)
    for fn in sorted(os.listdir(src)):
        if fn.endswith(EBIN_KEEP):
            shutil.copyfile(os.path.join(src, fn), os.path.join(dst, fn))
    return dst


def copy_lib(erl_root, lib, root):
    """lib/LIB of the installation into root: its ebin, its headers
    (include/, for -include_lib at the prompt) and its priv/ files (common
    test's style sheets, tools' ...) but priv/lib, whose shared libraries a
    node cannot load (crypto's and asn1's NIFs are linked into beam.smp).
    Returns the ebin copy's path."""
    src, dst = os.path.join(erl_root, "lib", lib), os.path.join(root, "lib", lib)
    for part, skip in (("include", None), ("priv", shutil.ignore_patterns("lib"))):
        if os.path.isdir(os.path.join(src, part)):
            shutil.copytree(os.path.join(src, part), os.path.join(dst, part), ignore=skip)
    return copy_ebin_dir(os.path.join(src, "ebin"), os.path.join(dst, "ebin"))


def elixir_app(elixir_lib, app):
    """NAME-VSN of one of Elixir's applications (Debian's `elixir`:
    /usr/lib/elixir/lib/NAME, unversioned), checked present."""
    path = os.path.join(elixir_lib, app, "ebin", app + ".app")
    if not os.path.isfile(path):
        sys.exit("mkrootfs: Elixir application %s: no %s (Debian's package elixir; tools/deps.sh installs it)"
                 % (app, path))
    with open(path) as f:
        vsn = re.search(r'\{vsn,\s*"([^"]+)"\}', f.read())
    if not vsn:
        sys.exit("mkrootfs: %s has no vsn" % path)
    return "%s-%s" % (app, vsn.group(1))


def copy_elixir(elixir_lib, app, root):
    """Elixir's application app into root's lib/NAME-VSN/ebin, as an OTP
    application of the installation would be. Returns the copy's path."""
    return copy_ebin_dir(os.path.join(elixir_lib, app, "ebin"),
                         os.path.join(root, "lib", elixir_app(elixir_lib, app), "ebin"))


def build(erl_root, beam, out, patched=(), apps=(), elixir=(), elixir_lib=None):
    lock = open(out + ".lock", "w")  # one mkrootfs at a time per OUT
    fcntl.flock(lock, fcntl.LOCK_EX)
    tmp = out + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    rel = otp_release(erl_root)
    boot = os.path.join(erl_root, BOOT % rel)
    os.makedirs(os.path.join(tmp, "bin"))
    shutil.copyfile(boot + ".boot", os.path.join(tmp, "bin", "start.boot"))
    if beam:
        shutil.copyfile(beam, os.path.join(tmp, "bin", "beam.smp"))
        os.chmod(os.path.join(tmp, "bin", "beam.smp"), 0o755)
    ebins = [copy_lib(erl_root, lib, tmp) for lib in boot_libs(boot + ".script")]
    for spec in patched:
        compile_patched(spec, ebins)
    release_apps = installed_apps(erl_root, rel)
    extra = []
    for app in apps:
        lib = app_dir(erl_root, rel, release_apps, app)
        if os.path.join(tmp, "lib", lib, "ebin") not in ebins:  # kernel, stdlib: the boot script's already
            extra.append(copy_lib(erl_root, lib, tmp))
    extra += [copy_elixir(elixir_lib, app, tmp) for app in elixir]
    strip_beams(ebins + extra)
    for name, data in (("etc/inetrc", INETRC), ("etc/hosts", HOSTS), ("dev/null", b"")):
        os.makedirs(os.path.join(tmp, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(tmp, "tmp"))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    size = lambda dirs: sum(du(os.path.join(out, os.path.relpath(os.path.dirname(e), tmp))) for e in dirs) // 1024
    print("mkrootfs: %s: %d KiB (kernel+stdlib %d KiB, %d more applications %d KiB, beam.smp %d KiB)" % (
        out, du(out) // 1024, size(ebins), len(extra), size(extra),
        os.path.getsize(beam) // 1024 if beam else 0))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--erl-root", default="/usr/lib/erlang")
    ap.add_argument("--beam", help="static beam.smp to put in bin/")
    ap.add_argument("--patched", action="append", default=[], help="SRC_ROOT:APP:MOD,... compiled over APP's")
    ap.add_argument("--apps", default="", help="APP,APP...: more OTP applications of the installation")
    ap.add_argument("--elixir", default="", help="APP,APP...: Elixir's applications (elixir, logger, iex...)")
    ap.add_argument("--elixir-lib", default="/usr/lib/elixir/lib", help="where Elixir's applications are")
    ap.add_argument("out")
    a = ap.parse_args()
    words = lambda text: [x for x in text.replace(" ", ",").split(",") if x]
    build(a.erl_root, a.beam, a.out.rstrip("/"), a.patched, words(a.apps), words(a.elixir), a.elixir_lib)
