#!/usr/bin/env bash
# Runs every radiusd test on a fresh Debian machine: installs what the tests
# need, then static checks, unit tests with the race detector, the
# integration tests (real radiusd, radclient, oathtool, zbarimg, the portal in
# headless Chromium, whose screenshots go to $RADIUSD_ARTIFACTS, by default
# artifacts/), the Debian
# package (built, installed, used and purged; as root) and a short
# run of every fuzz target. Set FUZZTIME=0 to skip fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v radclient >/dev/null || need_pkgs+=(freeradius-utils)
command -v oathtool >/dev/null || need_pkgs+=(oathtool)
command -v zbarimg >/dev/null || need_pkgs+=(zbar-tools)
command -v sqlite3 >/dev/null || need_pkgs+=(sqlite3)
[ -x /usr/sbin/slapd ] || need_pkgs+=(slapd)
command -v ldapsearch >/dev/null || need_pkgs+=(ldap-utils)
command -v samba-tool >/dev/null || need_pkgs+=(samba-ad-dc)
command -v pamtester >/dev/null || need_pkgs+=(pamtester)
[ -e /lib/x86_64-linux-gnu/security/pam_radius_auth.so ] || need_pkgs+=(libpam-radius-auth)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_pkgs+=(postgresql)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || need_pkgs+=(python3-aiosmtpd)
command -v openvpn >/dev/null || need_pkgs+=(openvpn)
[ -e /usr/lib/openvpn/radiusplugin.so ] || need_pkgs+=(openvpn-auth-radius)
command -v chromium >/dev/null || need_pkgs+=(chromium)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # The tests start their own slapd and Samba on loopback; keep the
    # packages from starting system-wide daemons while they install.
    policy=/usr/sbin/policy-rc.d
    [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; }
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "== missing ${need_pkgs[*]}: run 'sudo apt-get install -y ${need_pkgs[*]}' (integration tests will skip)"
  fi
fi

export PATH="$(go env GOPATH)/bin:$PATH"
command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@v0.8.2

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "not gofmt-ed: $unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
go vet -tags integration ./integration/...
echo "== staticcheck"
staticcheck ./...
echo "== unit tests (race)"
go test -race -count=1 ./...
echo "== store without cgo (the pure-Go SQLite driver)"
CGO_ENABLED=0 go test -count=1 ./store/...
echo "== integration tests"
export RADIUSD_ARTIFACTS=${RADIUSD_ARTIFACTS:-$PWD/artifacts}
mkdir -p "$RADIUSD_ARTIFACTS"
go test -tags integration -count=1 -timeout 15m ./integration/...

echo "== Debian package"
if [ "$(id -u)" = 0 ]; then
  scripts/package-test.sh
elif [ -n "${RADIUSD_INTEGRATION_REQUIRED:-}" ]; then
  echo "the package test installs a package: run as root"; exit 1
else
  echo "skipped: run 'sudo scripts/package-test.sh' to build, install and test the package"
fi

fuzztime=${FUZZTIME:-10s}
if [ "$fuzztime" != 0 ]; then
  echo "== fuzz ($fuzztime each)"
  for pkg in $(go list ./...); do
    for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
      echo "-- $pkg $target"
      log=$(mktemp) stamp=$(mktemp)
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
        tail -1 "$log"
      else
        # Show why, and the failing input the fuzzer saved, so it can be replayed.
        grep -v '^fuzz: elapsed' "$log" | tail -40
        dir=$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$target
        [ -d "$dir" ] && find "$dir" -type f -newer "$stamp" -exec sh -c 'echo "saved input $1:"; cat "$1"' _ {} \;
        rm -f "$log" "$stamp"
        exit 1
      fi
      rm -f "$log" "$stamp"
    done
  done
fi
echo "== all tests passed"
