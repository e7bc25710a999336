#!/usr/bin/env bash
# Builds the skaffold CLI the skaffold checks run (test/skaffold/skaffold-binary.test.ts) from its Go module, into the
# reas tool cache, and prints its path. Release binaries cannot be downloaded here; the Go module proxy can be used.
# `go install ...@version` does not work: it asks the proxy for the module's version list (for deprecation notices),
# which the proxy refuses for this module, while downloading the exact version works.
# Idempotent: a cached binary is reused. Needs the Go toolchain (go 1.24+). Takes long on 2 cores (see README).
set -euo pipefail

VERSION="${SKAFFOLD_VERSION:-v2.16.1}"
MODULE=github.com/GoogleContainerTools/skaffold/v2
TARGET="${XDG_CACHE_HOME:-$HOME/.cache}/reas/bin/skaffold-$VERSION/skaffold"

if [ -x "$TARGET" ]; then
  echo "$TARGET"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-skaffold: the Go toolchain (go 1.24+) is needed to build skaffold $VERSION" >&2
  exit 1
fi

# `go mod download -json` names the unpacked module directory ("Dir": "...").
DIR="$(GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then
  echo "install-skaffold: could not download $MODULE@$VERSION" >&2
  exit 1
fi
mkdir -p "$(dirname "$TARGET")"
start=$(date +%s)
(cd "$DIR" && GOFLAGS=-mod=mod nice -n 10 go build -trimpath \
  -ldflags "-s -w -X $MODULE/pkg/skaffold/version.version=$VERSION" -o "$TARGET.partial" ./cmd/skaffold)
mv "$TARGET.partial" "$TARGET"
echo "install-skaffold: built skaffold $VERSION in $(( $(date +%s) - start )) s" >&2
echo "$TARGET"
