#!/usr/bin/env bash
# Builds the Debian package dist/radiusd_VERSION-1_ARCH.deb from the working
# tree with nfpm (packaging/nfpm.yaml). The version is packaging/VERSION plus
# the commit's date and hash, e.g. 0.1.0~git20261123.02ccc9a1b2c3; set
# VERSION to override it. Needs Go and gcc (the cgo SQLite driver).
set -euo pipefail
cd "$(dirname "$0")/.."
NFPM_VERSION=v2.45.2

base=$(cat packaging/VERSION)
if [ -z "${VERSION:-}" ]; then
  if rev=$(git rev-parse --short=12 HEAD 2>/dev/null); then
    VERSION="$base~git$(git log -1 --format=%cd --date=format:%Y%m%d).$rev"
    git diff --quiet HEAD -- 2>/dev/null || VERSION="$VERSION.dirty"
  else
    VERSION="$base"
  fi
fi
export VERSION
export ARCH=$(go env GOARCH)
export BUILD=dist/build # nfpm reads the files from here (paths relative to the repository)
rm -rf "$BUILD" && mkdir -p "$BUILD"

CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.buildVersion=$VERSION" -o "$BUILD/radiusd" ./cmd/radiusd
gzip -9n <packaging/radiusd.8 >"$BUILD/radiusd.8.gz"

# The newest glibc symbol version the binary links against is its libc6 need.
glibc=$(objdump -T "$BUILD/radiusd" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
export LIBC_DEPENDS="libc6 (>= ${glibc:-2.34})"

nfpm_bin=$(go env GOPATH)/pkg/nfpm-$NFPM_VERSION
[ -x "$nfpm_bin/nfpm" ] || GOBIN=$nfpm_bin go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
"$nfpm_bin/nfpm" package --config packaging/nfpm.yaml --packager deb --target dist/
ls dist/radiusd_"$VERSION"-1_"$ARCH".deb
