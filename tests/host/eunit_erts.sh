#!/bin/bash
# EUnit on our own ERTS: erlang_os/*/test_erts/*_tests.erl need its BIFs
# (hydros_cap, hydros_io: beam-patches/0002), so they run on
# build/erts/beam.smp, booted on Linux as tests/host/erts_argv.sh does,
# with the host's eunit and our applications on the code path.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/host/erts_argv.sh

out=$PWD/build/erlang_os/test_erts
srcs=(erlang_os/*/test_erts/*_tests.erl)
mkdir -p "$out"
erlc -Werror -o "$out" "${srcs[@]}"
mods=$(for s in "${srcs[@]}"; do basename "$s" .erl; done | paste -sd,)
eunit=$(ls -d /usr/lib/erlang/lib/eunit-*/ebin | head -1)
paths=(-pa "$out" -pa "$eunit")
for d in "$PWD"/build/erlang_os/lib/*/ebin; do paths+=(-pa "$d"); done
erts_run -noshell "${paths[@]}" \
    -eval "case eunit:test([$mods], [verbose]) of ok -> halt(0); _ -> halt(1) end"
