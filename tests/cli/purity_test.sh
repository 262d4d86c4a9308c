#!/usr/bin/env bash
# scripts/check-purity, the build's layer check: the tree passes both rules,
# and each rule fails on a file that breaks it (proof that it can fail).
#   purity_test.sh CHECK_PURITY SOURCE_ROOT
set -uo pipefail
check=${1:?usage: purity_test.sh CHECK_PURITY SOURCE_ROOT}
root=${2:?usage: purity_test.sh CHECK_PURITY SOURCE_ROOT}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
expect() { # expect RC NAME ARGS...
  local want=$1 name=$2; shift 2
  bash "$check" "$@" > "$work/out" 2>&1
  local rc=$?
  if [ "$rc" -eq "$want" ]; then echo "ok: $name"; else echo "FAILED: $name (exit $rc, wanted $want): $(cat "$work/out")"; failed=1; fi
}
expect 0 "src/ is pure" "$root/src"
expect 0 "actors/ does not include sim/" --layer actors "$root/actors"
mkdir -p "$work/actors" "$work/core"
echo '#include "sim/simulator.hpp"' > "$work/actors/bad.cpp"
expect 1 "an include of sim/ from actors/ fails" --layer actors "$work/actors"
echo '#include "actors/engine_actor.hpp"' > "$work/core/bad.cpp"
expect 1 "an include of actors/ from a core fails" "$work/core"
echo 'auto t = std::chrono::steady_clock::now();' > "$work/core/bad.cpp"
expect 1 "a clock in a core fails" "$work/core"
echo '// steady_clock is named in a comment only' > "$work/core/bad.cpp"
expect 0 "a comment does not count" "$work/core"
expect 2 "an unknown layer is a usage error" --layer gateway "$work/core"
exit "$failed"
