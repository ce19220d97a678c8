#!/usr/bin/env python3
"""Writes the boot script every node boots with: a release (hydros.rel) of
every application in the archive, turned into hydros.script and
hydros.boot by OTP's systools (the host's erl, the same OTP release), and
the boot file as bin/start.boot, which init reads by default (the .rel and
.script stay beside, as /releases/1/ in the archive, for the reader).

  kernel, stdlib, hydros   started, in that order (hydros starts the rest:
                           erlang_os/hydros/src/hydros_init.erl)
  hydros_policy            loaded: hydros's init starts it as a service
  a user's release (--rel) its applications loaded; hydros's release
                           service starts them as its .rel says
  every other application  on the code path only (drivers, the OTP
                           applications): started when used

Each --lib DIR holds applications as DIR/NAME-VSN/ebin/NAME.app, the layout
the script's paths ($ROOT/lib/NAME-VSN/ebin) name. An application found
twice, a missing one, or one that systools refuses (a module its .app
lists without a beam, an application it needs that is not there) stops
with systools's own words.

--rel DIR takes a release as `rebar3 release` or `mix release` writes it
(docs/release.md): releases/VSN/NAME.rel and its boot file (NAME.boot or
start.boot), sys.config and vm.args, lib/. Its applications go into the
archive's /lib (those the image has already must be the same versions),
its sys.config becomes every node's (-config), with the release named for
hydros's release service, and vm.args's emulator flags and application
settings go into every node's args (--args: the args files to extend;
written only when --rel or --iex changes them).
A release of another ERTS or OTP, a missing boot file, a sys.config that
is not a list of {Application, [{Key, Value}]}, or a vm.args line HydrOS
cannot honour stops the build with a line naming the file.
--iex makes IEx the console's shell (Elixir's applications must be in a
--lib: `make image ELIXIR=1`).
Usage: mkrelease.py --lib DIR [--lib DIR...] --args DIR [--rel DIR] [--iex] OUT"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

NAME, VSN = "hydros", "1"
STARTED = ["kernel", "stdlib", "hydros"]
LOADED = ["hydros_policy"]
ARGS_FILES = ("node.args", "console.args")
# vm.args flags HydrOS sets itself: ignored, and said so.
OURS = ("-name", "-sname", "-setcookie")


def die(msg):
    sys.exit("mkrelease: " + msg)


def applications(libs):
    """{name: (vsn, ebin)} of every NAME-VSN/ebin/NAME.app under libs."""
    found = {}
    for lib in libs:
        for d in sorted(os.listdir(lib)):
            m = re.fullmatch(r"(\w+)-([\w.]+)", d)
            if not m or not os.path.isfile(os.path.join(lib, d, "ebin", m.group(1) + ".app")):
                continue
            if m.group(1) in found:
                die("%s twice: %s and %s (`make clean` drops stale builds)"
                    % (m.group(1), found[m.group(1)][1], os.path.join(lib, d, "ebin")))
            found[m.group(1)] = (m.group(2), os.path.join(lib, d, "ebin"))
    missing = [a for a in STARTED + LOADED if a not in found]
    if missing:
        die("no %s under %s" % (", ".join(missing), " ".join(libs)))
    return found


def erl(expr, *args):
    """Runs expr on the host's erl with args as plain arguments: (status, stdout, stderr)."""
    r = subprocess.run(["erl", "-noshell", "-eval", expr, "-extra"] + list(args), capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


# ---- a user's release

# Reads a .rel and a sys.config (file:consult/1) and prints them as JSON:
# {"rel": [name, vsn, erts, [[app, vsn, type]...]], "config": [[app, [[key, term]...]]...]}
# or {"error": [file, why]}.
READ_RELEASE = r'''
[Rel, Config] = init:get_plain_arguments(),
Str = fun(T) -> lists:flatten(io_lib:format("~0tp", [T])) end,
Out = case file:consult(Rel) of
    {ok, [{release, {N, V}, {erts, E}, Apps}]} when is_list(Apps) ->
        AppsOut = [case A of
                       {App, AV} -> [App, AV, permanent];
                       {App, AV, T} when is_atom(T) -> [App, AV, T];
                       {App, AV, T, _Incl} -> [App, AV, T];
                       {App, AV, _Incl} -> [App, AV, permanent]
                   end || A <- Apps],
        case Config of
            "" -> {ok, [N, V, E, AppsOut], []};
            _ ->
                case file:consult(Config) of
                    {ok, [Terms]} when is_list(Terms) ->
                        case [T || T <- Terms, not (is_tuple(T) andalso tuple_size(T) =:= 2
                                                    andalso is_atom(element(1, T)) andalso is_list(element(2, T)))] of
                            [] -> {ok, [N, V, E, AppsOut], Terms};
                            [Bad | _] -> {error, Config, "not {Application, [{Key, Value}]}: " ++ Str(Bad)}
                        end;
                    {ok, _} -> {error, Config, "not one list of {Application, [{Key, Value}]}"};
                    {error, Why} -> {error, Config, file:format_error(Why)}
                end
        end;
    {ok, _} -> {error, Rel, "not one {release, {Name, Vsn}, {erts, Vsn}, Apps} term"};
    {error, Why} -> {error, Rel, file:format_error(Why)}
end,
J = fun Json(X) when is_atom(X) -> [$", atom_to_list(X), $"];
        Json(X) when is_list(X) ->
            case io_lib:printable_unicode_list(X) of
                true -> [$", [case C of $" -> "\\\""; $\\ -> "\\\\"; _ -> C end || C <- X], $"];
                false -> [$[, lists:join($,, [Json(Y) || Y <- X]), $]]
            end;
        Json({ok, R, C}) -> ["{\"rel\": ", Json(R), ", \"config\": ",
                             [$[, lists:join($,, [["[", Json(A), ",", Json(Str(KVs)), "]"] || {A, KVs} <- C]), $]], "}"];
        Json({error, F, W}) -> ["{\"error\": [", Json(F), ",", Json(lists:flatten(W)), "]}"]
    end,
io:put_chars(unicode:characters_to_binary(J(Out))), halt().
'''


def user_release(rel_dir):
    """The release under rel_dir: (name, vsn, erts, [(app, vsn, type)], sys.config path or None,
    vm.args path or None)."""
    rel_dir = os.path.abspath(rel_dir)
    if not os.path.isdir(rel_dir):
        die("REL=%s: no such directory" % rel_dir)
    rels = sorted(glob.glob(os.path.join(rel_dir, "releases", "*", "*.rel")))
    if not rels:
        die("REL=%s: no releases/VSN/NAME.rel (a release as `rebar3 release` or `mix release` writes it?)" % rel_dir)
    if len(rels) > 1:
        die("REL=%s: more than one release: %s" % (rel_dir, ", ".join(os.path.relpath(r, rel_dir) for r in rels)))
    rel = rels[0]
    vdir, name = os.path.dirname(rel), os.path.basename(rel)[:-4]
    boots = [os.path.join(vdir, b) for b in (name + ".boot", "start.boot") if os.path.isfile(os.path.join(vdir, b))]
    if not boots:
        die("%s: no boot file (%s.boot or start.boot) beside %s.rel" % (vdir, name, name))
    config = os.path.join(vdir, "sys.config")
    vm_args = os.path.join(vdir, "vm.args")
    status, out, err = erl(READ_RELEASE, rel, config if os.path.isfile(config) else "")
    if status != 0:
        die("reading %s: %s" % (rel, err.strip() or out.strip()))
    got = json.loads(out)
    if "error" in got:
        die("%s: %s" % tuple(got["error"]))
    n, v, erts, apps = got["rel"]
    return (n, v, erts, [tuple(a) for a in apps], rel, config if os.path.isfile(config) else None,
            got["config"], vm_args if os.path.isfile(vm_args) else None)


def vm_args_split(path):
    """vm.args as (emulator flags, init arguments): `+F ...` lines (as
    beam.smp's `-F ...`) and `-App Key Value` lines; HydrOS's own flags are
    left out, said so."""
    emu, init = [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split(None, 2)
            if words[0].startswith("+"):
                # erlexec's +F is the emulator's own -F (our args are beam.smp's)
                emu += ["-" + words[0][1:]] + line.split()[1:]
            elif words[0] in OURS:
                print("mkrelease: %s:%d: %s left out: HydrOS names the nodes (cN@hydros) and sets the cookie"
                      % (path, n, words[0]), file=sys.stderr)
            elif re.fullmatch(r"-[a-z]\w*", words[0]) and len(words) == 3 and words[0] not in (
                    "-boot", "-config", "-args_file", "-mode", "-env", "-eval", "-s", "-run", "-pa", "-pz"):
                init += words
            else:
                die("%s:%d: `%s`: HydrOS takes emulator flags (+...) and application settings "
                    "(-App Key Value) from vm.args, nothing else" % (path, n, line))
    return emu, init


def add_release(apps, rel_dir, out):
    """The user's release into out: its applications in lib/ and its
    sys.config; returns the applications to load, {name: vsn}, and what
    the nodes' args need: (emulator flags, init arguments)."""
    name, vsn, erts, rel_apps, rel, config, config_terms, vm_args = user_release(rel_dir)
    ours = erl("io:put_chars(erlang:system_info(version)), halt().")[1]
    if erts != ours:
        die("%s: ERTS %s, but the image's is %s (OTP %s): build the release with OTP %s"
            % (rel, erts, ours, otp_release(), otp_release()))
    user = {}
    for app, avsn, kind in rel_apps:
        if app in apps:
            if apps[app][0] != avsn:
                die("%s: %s-%s, but the image has %s-%s (OTP %s)" % (rel, app, avsn, app, apps[app][0], otp_release()))
            continue
        src = os.path.join(os.path.abspath(rel_dir), "lib", "%s-%s" % (app, avsn))
        if not os.path.isfile(os.path.join(src, "ebin", app + ".app")):
            die("%s names %s-%s, but %s has no ebin/%s.app" % (rel, app, avsn, src, app))
        for part in ("ebin", "priv"):
            if os.path.isdir(os.path.join(src, part)):
                shutil.copytree(os.path.join(src, part), os.path.join(out, "lib", "%s-%s" % (app, avsn), part))
        user[app] = avsn
    for app in user:
        apps[app] = (user[app], os.path.join(out, "lib", "%s-%s" % (app, user[app]), "ebin"))
    started = [[a, t] for a, _, t in rel_apps if t in ("permanent", "transient", "temporary")]
    hydros = [kv for a, kv in config_terms if a == "hydros"]
    nodes_ok = check_nodes(hydros, config)
    terms = [(a, kv) for a, kv in config_terms if a != "hydros"]
    release = '{release, {"%s", "%s", [%s]}}' % (name, vsn, ", ".join("{%s, %s}" % (a, t) for a, t in started))
    hydros_kv = hydros[0][1:-1].strip() if hydros else ""
    terms.append(("hydros", "[%s%s]" % (release, ", " + hydros_kv if hydros_kv else "")))
    rel_out = os.path.join(out, "releases", VSN)
    with open(os.path.join(rel_out, "sys.config"), "w") as f:
        f.write("%% %s %s's sys.config (from %s), and the release for hydros's release service.\n[%s].\n"
                % (name, vsn, config or "none", ",\n ".join("{%s, %s}" % t for t in terms)))
    emu, init = vm_args_split(vm_args) if vm_args else ([], [])
    consolidated = os.path.join(os.path.dirname(rel), "consolidated")
    if os.path.isdir(consolidated):  # a mix release's protocols, first on the code path as its boot script has them
        shutil.copytree(consolidated, os.path.join(rel_out, "consolidated"))
        init += ["-pa", "/releases/%s/consolidated" % VSN]
    print("mkrelease: release %s %s: %d applications of its own (%s), started %s%s"
          % (name, vsn, len(user), ", ".join(sorted(user)), " ".join(a for a, _ in started),
             "" if nodes_ok is None else " on cores %s" % nodes_ok))
    return user, emu, init + ["-config", "/releases/%s/sys" % VSN]


def write_args(out, args_dir, emu, init, console):
    """etc/hydros/node.args and console.args of args_dir with emulator flags
    (before `--`) and init arguments (before the -eval) added, and console
    (init arguments) after the console's."""
    os.makedirs(os.path.join(out, "etc", "hydros"))
    for fn in ARGS_FILES:
        with open(os.path.join(args_dir, fn)) as f:
            args = f.read().split("\n")[:-1]
        i = args.index("--")
        args[i:i] = emu
        j = args.index("-eval")
        args[j:j] = init
        if fn == "console.args":
            args += console
        with open(os.path.join(out, "etc", "hydros", fn), "w") as f:
            f.write("".join(a + "\n" for a in args))


# IEx as the console's shell, as Elixir's `iex` script starts it: IEx.CLI
# as the user process (it runs Elixir's command line, then IEx), no halt.
IEX = ["-noshell", "-user", "Elixir.IEx.CLI", "-extra", "--no-halt", "+iex"]


def check_nodes(hydros, config):
    """The cores a release's sys.config narrows it to ({hydros, [{nodes, [C...]}]}), checked."""
    if not hydros:
        return None
    status, out, _ = erl('[T] = init:get_plain_arguments(), {ok, Ts, _} = erl_scan:string(T ++ "."), '
                         '{ok, KV} = erl_parse:parse_term(Ts), '
                         'io:put_chars(case proplists:get_value(nodes, KV, all) of all -> "all"; '
                         'L when is_list(L) -> case lists:all(fun(C) -> is_integer(C) andalso C >= 0 end, L) of '
                         'true -> lists:join(" ", [integer_to_list(C) || C <- L]); false -> "bad" end; '
                         '_ -> "bad" end), halt().', hydros[0])
    if status != 0 or out == "bad":
        die("%s: {hydros, [{nodes, Nodes}]}: Nodes must be a list of core numbers" % config)
    return None if out == "all" else out


def otp_release():
    return erl("io:put_chars(erlang:system_info(otp_release)), halt().")[1]


# ---- the node's release

def rel_text(apps, erts_vsn, user):
    order = STARTED[:2] + sorted(a for a in apps if a not in STARTED and a not in user) + STARTED[2:] + sorted(user)
    kind = lambda a: "" if a in STARTED else ", load" if a in LOADED or a in user else ", none"
    entries = ",\n  ".join('{%s, "%s"%s}' % (a, apps[a][0], kind(a)) for a in order)
    return '{release, {"%s", "%s"}, {erts, "%s"},\n [%s]}.\n' % (NAME, VSN, erts_vsn, entries)


def build(libs, out, args_dir, rel_dir=None, iex=False):
    apps = applications(libs)
    erts_vsn = erl("io:put_chars(erlang:system_info(version)), halt().")[1]
    tmp = out + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    rel = os.path.join(tmp, "releases", VSN)  # the archive's /releases/1: hydros.rel, hydros.script
    os.makedirs(rel)
    os.makedirs(os.path.join(tmp, "bin"))
    user, emu, init = add_release(apps, rel_dir, tmp) if rel_dir else ({}, [], [])
    if iex and "iex" not in apps:
        die("--iex: no iex application under %s (make image ELIXIR=1 puts Elixir's in)" % " ".join(libs))
    if rel_dir or iex:
        write_args(tmp, args_dir, emu, init, IEX if iex else [])
    with open(os.path.join(rel, NAME + ".rel"), "w") as f:
        f.write(rel_text(apps, erts_vsn, user))
    expr = ('[Rel, Out | Path] = init:get_plain_arguments(), '
            'case systools:make_script(Rel, [{path, Path}, {outdir, Out}, no_dot_erlang, silent, no_warn_sasl]) of '
            '{ok, _, _} -> halt(0); '
            '{error, M, E} -> io:put_chars(standard_error, M:format_error(E)), halt(1) end.')
    status, _, err = erl(expr, os.path.join(rel, NAME), rel, *[ebin for _, ebin in apps.values()])
    if status != 0:
        die("systools:make_script refused %s.rel:\n%s" % (NAME, err.strip()))
    os.rename(os.path.join(rel, NAME + ".boot"), os.path.join(tmp, "bin", "start.boot"))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print("mkrelease: %s/bin/start.boot: %d applications (%s started)" % (out, len(apps), ", ".join(STARTED)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lib", action="append", required=True, help="a directory of NAME-VSN applications")
    ap.add_argument("--args", required=True, help="the directory of node.args and console.args (--rel, --iex extend them)")
    ap.add_argument("--rel", help="a user's release (rebar3 release, mix release)")
    ap.add_argument("--iex", action="store_true", help="IEx as the console's shell (Elixir in the archive)")
    ap.add_argument("out")
    a = ap.parse_args()
    build(a.lib, a.out.rstrip("/"), a.args, a.rel, a.iex)
