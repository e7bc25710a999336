#!/usr/bin/env bash
# Builds actionlint (the linter of GitHub Actions workflows) from its Go module into the reas tool cache and prints
# its path; .ci/run lints .github/workflows/ with it. Idempotent. Needs the Go toolchain (go 1.24+).
set -euo pipefail
# renovate: datasource=go depName=github.com/rhysd/actionlint
VERSION=v1.7.12
MODULE=github.com/rhysd/actionlint
OUTPUT="${XDG_CACHE_HOME:-$HOME/.cache}/reas/bin/actionlint-$VERSION/actionlint"
if [ ! -x "$OUTPUT" ]; then
  command -v go >/dev/null 2>&1 || { echo "install-actionlint: building actionlint $VERSION needs the Go toolchain (go 1.24+)" >&2; exit 1; }
  # As for skaffold: download the exact version and build in its directory (no `go install`, no version list).
  dir="$(GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "install-actionlint: could not download $MODULE@$VERSION" >&2; exit 1; }
  mkdir -p "$(dirname "$OUTPUT")"
  (cd "$dir" && GOFLAGS=-mod=mod nice -n 10 go build -trimpath -ldflags "-s -w -X $MODULE.version=$VERSION" -o "$OUTPUT.partial.$$" ./cmd/actionlint)
  mv "$OUTPUT.partial.$$" "$OUTPUT"
fi
echo "$OUTPUT"
