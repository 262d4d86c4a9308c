#!/usr/bin/env bash
# CLI tests for `pss split` and `pss combine`: the round trip, and every
# bad-input case named in the issue, each with its exit code and message.
# A failing case prints what it expected and what it got; the last line is
# "cli-offline: N passed, M failed". Usage: offline_cli_test.sh PATH_TO_PSS
set -uo pipefail
pss=${1:?usage: offline_cli_test.sh PATH_TO_PSS}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_fail NAME RC PATTERN -- runs combine on stdin of $work/in.txt
expect_combine_fail() {
  local name=$1 want_rc=$2 pattern=$3; shift 3
  "$pss" combine "$@" < "$work/in.txt" > "$work/out" 2> "$work/err"
  local rc=$?
  if [ "$rc" -ne "$want_rc" ]; then bad "$name: exit $rc, want $want_rc ($(cat "$work/err"))"; return; fi
  if [ -s "$work/out" ]; then bad "$name: printed something on stdout on failure"; return; fi
  if ! grep -qE "$pattern" "$work/err"; then bad "$name: stderr '$(cat "$work/err")' lacks /$pattern/"; return; fi
  if [ "$(wc -l < "$work/err")" -ne 1 ]; then bad "$name: error is not one line"; return; fi
  ok
}

# Re-checksums a line after editing it, so the edit reaches the maths.
rechecksum() {
  local body=${1%:*}
  printf '%s:%s\n' "$body" "$(printf '%s' "$body" | b2sum -l 32 | cut -d' ' -f1)"
}

split_to() { # split_to FILE T N < secret
  "$pss" split --threshold "$2" --shares "$3" > "$1"
}

# --- round trips -----------------------------------------------------------
printf 'top secret' | split_to "$work/a.txt" 3 5 || bad "split failed"
grep -c '^pss1:share:3:5:' "$work/a.txt" | grep -qx 5 && ok || bad "split did not print 5 share lines"
grep -c '^pss1:commit:3:5:' "$work/a.txt" | grep -qx 1 && ok || bad "split did not print 1 commitment line"
shares() { grep '^pss1:share:' "$work/a.txt" | sed -n "$1"; }
commit() { grep '^pss1:commit:' "$work/a.txt"; }
for subset in '1p;2p;3p' '1p;2p;4p' '1p;2p;5p' '1p;3p;4p' '1p;3p;5p' '1p;4p;5p' '2p;3p;4p' '2p;3p;5p' '2p;4p;5p' '3p;4p;5p' '1p;2p;3p;4p;5p'; do
  got=$( (shares "$subset"; commit) | "$pss" combine)
  [ "$got" = "top secret" ] && ok || bad "subset $subset gave the wrong secret"
done
# Order does not matter, and comments and blank lines are ignored.
got=$( (echo '# my shares'; commit; echo; shares '5p;1p;3p' | tac) | "$pss" combine)
[ "$got" = "top secret" ] && ok || bad "reordered input with comments failed"

# Binary secrets, byte for byte, including NUL and a trailing newline.
head -c 4096 /dev/urandom > "$work/binary"
printf '\n' >> "$work/binary"
split_to "$work/b.txt" 2 3 < "$work/binary" || bad "binary split failed"
(sed -n '1p;3p;4p' "$work/b.txt") | "$pss" combine > "$work/binary.out"
cmp -s "$work/binary" "$work/binary.out" && ok || bad "binary round trip differs"
# --in works for both commands.
"$pss" split -t 2 -n 2 --in "$work/binary" > "$work/c.txt" && "$pss" combine --in "$work/c.txt" > "$work/c.out" \
  && cmp -s "$work/binary" "$work/c.out" && ok || bad "--in round trip failed"

# --- split usage errors ----------------------------------------------------
expect_split_fail() {
  local name=$1 want_rc=$2 pattern=$3; shift 3
  "$pss" split "$@" > "$work/out" 2> "$work/err"
  local rc=$?
  if [ "$rc" -ne "$want_rc" ]; then bad "$name: exit $rc, want $want_rc"; return; fi
  [ -s "$work/out" ] && { bad "$name: printed shares on failure"; return; }
  grep -qE "$pattern" "$work/err" && ok || bad "$name: stderr '$(cat "$work/err")' lacks /$pattern/"
}
printf 'x' > "$work/x"
expect_split_fail "missing threshold" 2 "threshold" --shares 3 --in "$work/x"
expect_split_fail "threshold above shares" 1 "threshold" -t 4 -n 3 --in "$work/x"
expect_split_fail "threshold of one" 1 "threshold" -t 1 -n 3 --in "$work/x"
expect_split_fail "too many shares" 1 "255" -t 2 -n 256 --in "$work/x"
: > "$work/empty"
expect_split_fail "empty secret" 1 "empty" -t 2 -n 3 --in "$work/empty"
head -c 65537 /dev/zero > "$work/big"
expect_split_fail "oversized secret" 1 "limit" -t 2 -n 3 --in "$work/big"
expect_split_fail "missing file" 1 "cannot open" -t 2 -n 3 --in "$work/nope"
expect_split_fail "unknown option" 2 "unrecognised|unknown" -t 2 -n 3 --bogus

# --- combine bad input -----------------------------------------------------
(shares '2p;4p'; commit) > "$work/in.txt"
expect_combine_fail "two of three" 1 "too few valid shares: found 2, need 3"

(shares '1p;2p;3p') > "$work/in.txt"
expect_combine_fail "no commitment line" 1 "no commitment line"

line2=$(shares '2p')
typo=$(printf '%s' "$line2" | sed 's/\(pss1:share:3:5:2:[0-9a-f]*:\)\(.\)/\1X/')
typo=${typo/X/$( [ "${line2:34:1}" = 0 ] && echo 1 || echo 0)}
(shares '1p'; echo "$typo"; shares '3p'; commit) > "$work/in.txt"
expect_combine_fail "mistyped share" 1 "^pss combine: line 2: checksum does not match"

# A tampered share value with a fixed-up checksum reaches Feldman verification.
value=$(printf '%s' "$line2" | cut -d: -f7)
flipped=$(printf '%s' "$value" | sed 's/^\(.\)\(.\)/\1\2/' | tr '0123456789abcdef' '123456789abcdef0')
tampered=$(rechecksum "$(printf '%s' "$line2" | sed "s/$value/$flipped/")")
(shares '1p'; echo "$tampered"; shares '3p'; commit) > "$work/in.txt"
expect_combine_fail "tampered share" 1 "share 2 \(line 2\) (fails verification|is not a valid scalar)"
(shares '1p'; echo "$tampered"; shares '3p;4p'; commit) | "$pss" combine --skip-invalid > "$work/out" 2> "$work/err"
[ "$(cat "$work/out")" = "top secret" ] && grep -q "skipped share 2" "$work/err" && ok \
  || bad "--skip-invalid did not combine the valid shares and name the skipped one"
(shares '1p'; echo "$tampered"; shares '3p'; commit) > "$work/in.txt"
expect_combine_fail "skip leaves too few" 1 "too few valid shares: found 2, need 3" --skip-invalid

printf 'top secret' | split_to "$work/other.txt" 3 5
(shares '1p;2p'; grep '^pss1:share:' "$work/other.txt" | sed -n 3p; commit) > "$work/in.txt"
expect_combine_fail "share from another split" 1 "line 3: share 3 belongs to split [0-9a-f]{16}, but the commitment line is for split"
(shares '1p;2p;3p'; grep '^pss1:commit:' "$work/other.txt") > "$work/in.txt"
expect_combine_fail "commitments from another split" 1 "belongs to split"
(shares '1p;2p;3p'; commit; grep '^pss1:commit:' "$work/other.txt") > "$work/in.txt"
expect_combine_fail "two different commitment lines" 1 "second, different commitment line"

(shares '1p;2p;2p'; commit) > "$work/in.txt"
expect_combine_fail "duplicate share" 1 "line 3: share 2 appears twice \(also on line 2\)"

# A commitment line whose content was altered no longer matches its split id.
c=$(commit)
points=$(printf '%s' "$c" | cut -d: -f6)
altered=$(rechecksum "$(printf '%s' "$c" | sed "s/$points/$(printf '%s' "$points" | tr '0123456789abcdef' '123456789abcdef0')/")")
(shares '1p;2p;3p'; echo "$altered") > "$work/in.txt"
expect_combine_fail "altered commitments" 1 "line 4: .*split id does not match"

# Malformed lines, each named by line number.
printf 'hello world\n' > "$work/in.txt"
expect_combine_fail "not a pss line" 1 "line 1: does not start with 'pss1:'"
(shares '1p'; echo "pss1:share:3:5"; commit) > "$work/in.txt"
expect_combine_fail "too few fields" 1 "line 2: has 4 ':'-separated fields, expected 8"
(shares '1p'; rechecksum "$(shares '2p' | sed 's/^pss1:share:3:5:2:/pss1:share:3:5:0:/')"; commit) > "$work/in.txt"
expect_combine_fail "index zero" 1 "line 2: share index is not a positive decimal number"
(shares '1p'; rechecksum "$(shares '2p' | sed 's/^pss1:share:3:5:2:/pss1:share:3:5:9:/')"; commit) > "$work/in.txt"
expect_combine_fail "index above n" 1 "line 2: share index 9 is above the share count 5"
(shares '1p'; rechecksum "$(shares '2p' | sed 's/^pss1:share:3:5:/pss1:share:6:5:/')"; commit) > "$work/in.txt"
expect_combine_fail "threshold above n" 1 "line 2: threshold 6 is not between 1 and the share count 5"
(shares '1p'; rechecksum "$(shares '2p' | sed 's/:[0-9a-f]\{64\}:/:zz:/')"; commit) > "$work/in.txt"
expect_combine_fail "bad hex" 1 "line 2: share value has 2 hex digits, expected 64"
(shares '1p'; rechecksum "$(shares '2p' | sed 's/^pss1:share:/pss1:shard:/')"; commit) > "$work/in.txt"
expect_combine_fail "unknown kind" 1 "line 2: kind must be 'share' or 'commit'"
(shares '1p'; rechecksum "$(shares '2p' | sed 's/^pss1:share:3:5:/pss1:share:2:5:/')"; shares '3p'; commit) > "$work/in.txt"
expect_combine_fail "share with other t" 1 "line 2: share 2 says t=2 n=5, the commitment line says t=3 n=5"

echo "cli-offline: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
