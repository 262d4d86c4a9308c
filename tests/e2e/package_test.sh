#!/usr/bin/env bash
# The Debian package as an operator gets it (docs/deployment.md,
# "Packages"): scripts/package builds it from this build; the test checks
# its control data and contents, extracts it, runs a 3-node cluster and a
# gateway with the extracted binary (put through the CLI, get through the
# gateway), reads its man pages, and runs `systemd-analyze verify` on the
# units (any warning fails) inside a root that holds the extracted files.
PSS=${1:?usage: package_test.sh PSS_BINARY BUILD_DIR}
BUILD_DIR=${2:?usage: package_test.sh PSS_BINARY BUILD_DIR}
BASE_PORT=7500
GW_PORT=7510
source "$(dirname "$0")/lib.sh"

deb=$("$repo/scripts/package" --build-dir "$BUILD_DIR" --out "$work/deb" 2>"$work/package.err" | tail -1)
check "scripts/package builds a .deb" test -s "$deb"
[ -s "$deb" ] || { cat "$work/package.err"; e2e_finish; }
dpkg-deb -I "$deb" >"$work/info.txt"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents.txt"
check "the package is named pss" grep -q "^ Package: pss$" "$work/info.txt"
check "it depends on libsodium" grep -q "libsodium23 (>=" "$work/info.txt"
check "it depends on CAF" grep -q "libcaf-core0.17 (>=" "$work/info.txt"
for f in /usr/bin/pss /usr/lib/systemd/system/pss-node@.service /usr/lib/systemd/system/pss-gateway.service \
         /etc/pss/README /usr/share/man/man1/pss.1.gz /usr/share/man/man1/pss-node.1.gz \
         /usr/share/man/man1/pss-gateway.1.gz /usr/share/doc/pss/copyright; do
  check "the package holds $f" grep -qx "$f" "$work/contents.txt"
done
check "/etc/pss is a conffile" bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/pss/README"
check "postinst makes the pss user" bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./postinst | grep -q 'adduser --system'"

root=$work/root
dpkg-deb -x "$deb" "$root"
bin=$root/usr/bin/pss
check "the extracted binary runs" "$bin" --version
check "the man page of pss gateway explains it" bash -c "MANWIDTH=100 man -l '$root/usr/share/man/man1/pss-gateway.1.gz' 2>/dev/null | grep -q 'Bearer'"

# A cluster and a gateway run by the extracted binary.
export PSS_BIN=$bin
e2e_start 3 2
wait_healthy 30 3 || bad "a cluster of the packaged binary is healthy"
printf 'packaged' | "$bin" put db/pkg >/dev/null 2>>"$work/client.err" || bad "put with the packaged binary"
"$cluster" gateway --port "$GW_PORT" >/dev/null 2>&1 || bad "the packaged gateway starts"
KEY=$(cat "$work/cluster/client/gateway.key")
got=$(curl -s -H "Authorization: Bearer $KEY" "http://127.0.0.1:$GW_PORT/v1/secrets/db/pkg" | jq -r .value | base64 -d)
check "the packaged gateway reads what the packaged CLI stored" test "$got" = packaged
check "the nodes run the packaged binary" bash -c "grep -q '$bin' /proc/$(cat "$work/cluster/node-1/node.pid")/cmdline"

# systemd-analyze verify, in a root with the system's units and the package's files.
mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/" 2>/dev/null
cp "$root"/usr/lib/systemd/system/pss-*.service "$root/etc/systemd/system/" 2>/dev/null
if systemd-analyze verify --man=no --root="$root" pss-node@1.service pss-gateway.service >"$work/verify.txt" 2>&1 \
   && [ ! -s "$work/verify.txt" ]; then ok; else bad "systemd-analyze verify: $(head -5 "$work/verify.txt")"; fi
for key in "User=pss" "ProtectSystem=strict" "NoNewPrivileges=yes" "LimitCORE=0" "MemorySwapMax=0" "StateDirectory=pss/%i"; do
  check "pss-node@ has $key" grep -qx "$key" "$root/usr/lib/systemd/system/pss-node@.service"
done
e2e_finish
