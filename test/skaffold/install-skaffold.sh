#!/usr/bin/env bash
# Builds the skaffold CLI the skaffold checks run (test/skaffold/skaffold-cli.test.ts) from its Go module, into the
# reas tool cache, and prints its path. Release binaries cannot be downloaded here; the Go module proxy can be used.
# Beside it goes a helm v3: skaffold 2.16's Helm deployer and renderer run `helm version --client` and pass the
# skaffold binary as an executable --post-renderer, both gone in helm v4 (the helm the project otherwise uses). It is
# the newest v3, whose offline `helm template` assumes a Kubernetes (its client-go's) the chart accepts (>=1.30).
# `go install ...@version` does not work: it asks the proxy for the module's version list (for deprecation notices),
# which the proxy refuses for this module, while downloading the exact version works.
# Idempotent: cached binaries are reused. Needs the Go toolchain (go 1.24+). Takes long on 2 cores (see README).
set -euo pipefail

VERSION="${SKAFFOLD_VERSION:-v2.16.1}"
HELM_VERSION="${SKAFFOLD_HELM_VERSION:-v3.22.0}"
DIR_OUT="${XDG_CACHE_HOME:-$HOME/.cache}/reas/bin/skaffold-$VERSION"

if ! command -v go >/dev/null 2>&1 && { [ ! -x "$DIR_OUT/skaffold" ] || [ ! -x "$DIR_OUT/helm" ]; }; then
  echo "install-skaffold: the Go toolchain (go 1.24+) is needed to build skaffold $VERSION and helm $HELM_VERSION" >&2
  exit 1
fi

# build MODULE VERSION PACKAGE OUTPUT LDFLAGS: go build of one command of an exactly versioned module.
build() {
  local module="$1" version="$2" package="$3" output="$4" ldflags="$5" dir start
  if [ -x "$output" ]; then return 0; fi
  # `go mod download -json` names the unpacked module directory ("Dir": "...").
  dir="$(GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "install-skaffold: could not download $module@$version" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$output")"
  start=$(date +%s)
  (cd "$dir" && GOFLAGS=-mod=mod nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$output.partial" "$package")
  mv "$output.partial" "$output"
  echo "install-skaffold: built $(basename "$output") $version in $(( $(date +%s) - start )) s" >&2
}

build github.com/GoogleContainerTools/skaffold/v2 "$VERSION" ./cmd/skaffold "$DIR_OUT/skaffold" \
  "-X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=$VERSION"
# As helm's Makefile does: the default Kubernetes version of `helm template` is that of the client-go it is built
# with (without these flags it would be v1.20).
HELM_DIR="$(GOFLAGS=-mod=mod go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
K8S_MINOR="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$HELM_DIR/go.mod")"
build helm.sh/helm/v3 "$HELM_VERSION" ./cmd/helm "$DIR_OUT/helm" \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
   -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR \
   -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR"
echo "$DIR_OUT/skaffold"
