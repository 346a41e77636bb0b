#!/usr/bin/env bash
# Tests the Debian package on this machine (root, Debian): builds it, installs
# it with apt-get, checks the installed binary, config and systemd unit, runs
# the installed service command as the radiusd user on the shipped config and
# logs a user in with radclient and oathtool, upgrades it keeping a local
# change, then purges it. It changes the system, so it refuses to run where
# radiusd is already installed unless FORCE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "package test: needs root (it installs the package)"; exit 1; }
if dpkg -s radiusd >/dev/null 2>&1 && [ "${FORCE:-}" != 1 ]; then
  echo "package test: radiusd is installed here already; FORCE=1 replaces and then purges it"; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d /tmp/radiusd-pkgtest.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  dpkg --purge radiusd >/dev/null 2>&1 || true
  rm -rf /var/lib/radiusd "$work"
}
trap cleanup EXIT
step() { echo "-- $*"; }

step "build"
VERSION=0.0.1~pkgtest1 scripts/package.sh >/dev/null
VERSION=0.0.1~pkgtest2 scripts/package.sh >/dev/null

step "install"
apt-get install -y -qq ./dist/radiusd_0.0.1~pkgtest1-1_*.deb >/dev/null
radiusd version | tee "$work/version"
grep -q '^radiusd 0.0.1~pkgtest1 ' "$work/version"
dpkg -L radiusd | grep -q /usr/share/man/man8/radiusd.8.gz
[ "$(stat -c %U:%G:%a /etc/radiusd)" = root:radiusd:750 ]
[ "$(stat -c %U:%G:%a /etc/radiusd/local.secret)" = root:radiusd:640 ]
[ "$(stat -c %U:%G:%a /var/lib/radiusd)" = radiusd:radiusd:700 ]

step "systemd unit"
systemd-analyze verify /lib/systemd/system/radiusd.service
systemd-analyze security --offline=true --threshold=20 /lib/systemd/system/radiusd.service | tail -1

step "check as the service user"
runuser -u radiusd -- radiusd check --config /etc/radiusd/radiusd.yaml

step "log in through the installed service command"
if ss -Hlun 'sport = :1812' | grep -q .; then
  echo "UDP port 1812 is in use here; the login step needs it free"; exit 1
fi
hash=$(printf 'pkg-test-password\n' | radiusd hash-password --cost 4)
printf 'users:\n  - name: pkguser\n    password_hash: "%s"\n' "$hash" >/etc/radiusd/users.yaml
runuser -u radiusd -- radiusd user enroll pkguser --config /etc/radiusd/radiusd.yaml --json >"$work/enroll.json"
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$work/enroll.json")
runuser -u radiusd -- radiusd user confirm pkguser "$(oathtool --totp -b "$key")" \
  --config /etc/radiusd/radiusd.yaml >/dev/null
runuser -u radiusd -- radiusd serve --config /etc/radiusd/radiusd.yaml 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do ss -Hlun 'sport = :1812' | grep -q . && break; sleep 0.1; done
code=$(oathtool --totp -b "$key" -N "now + 30 seconds")
printf 'User-Name = pkguser\nUser-Password = "pkg-test-password%s"\nMessage-Authenticator = 0x00\n' "$code" |
  radclient -x -r 1 -t 3 127.0.0.1:1812 auth "$(cat /etc/radiusd/local.secret)" | tee "$work/radclient.out" | grep -q Access-Accept ||
  { cat "$work/radclient.out" "$work/serve.log"; exit 1; }
echo "Access-Accept for password+code"
kill "$server"; wait "$server" || true; server=

step "upgrade keeps a changed conffile and the store"
sed -i 's/^  level: info/  level: warn/' /etc/radiusd/radiusd.yaml
apt-get install -y -qq ./dist/radiusd_0.0.1~pkgtest2-1_*.deb >/dev/null
grep -q '^radiusd 0.0.1~pkgtest2 ' <(radiusd version)
grep -q '^  level: warn' /etc/radiusd/radiusd.yaml
runuser -u radiusd -- radiusd user show pkguser --config /etc/radiusd/radiusd.yaml | grep -q active

step "purge"
dpkg --purge radiusd >/dev/null
[ ! -e /etc/radiusd ] && [ ! -e /usr/bin/radiusd ]
echo "package test: ok"
