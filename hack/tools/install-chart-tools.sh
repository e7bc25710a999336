#!/usr/bin/env bash
# Installs the third-party chart checkers into the reas tool cache (outside the repository), pinned, and prints the
# directory holding them: helm-docs (the values table of docs/chart.md), ct (chart-testing, with its chart_schema.yaml
# and lintconf.yaml) and kube-score built from
# their Go modules (release binaries cannot be downloaded here), and checkov, yamllint and yamale (which ct runs) in
# a Python virtualenv. Idempotent: what is cached is reused. Needs go 1.24+ and python3 with venv.
set -euo pipefail

# Pinned; Renovate keeps them current.
# renovate: datasource=go depName=github.com/helm/chart-testing/v3
CT_VERSION=v3.14.0
# renovate: datasource=go depName=github.com/zegl/kube-score
KUBE_SCORE_VERSION=v1.20.0
# renovate: datasource=go depName=github.com/norwoodj/helm-docs
HELM_DOCS_VERSION=v1.14.2
# renovate: datasource=pypi depName=checkov
CHECKOV_VERSION=3.3.30
# renovate: datasource=pypi depName=yamllint
YAMLLINT_VERSION=1.38.0
# renovate: datasource=pypi depName=yamale
YAMALE_VERSION=6.1.0

cache="${XDG_CACHE_HOME:-$HOME/.cache}/reas"
bin="$cache/bin/chart-tools-ct$CT_VERSION-ks$KUBE_SCORE_VERSION"
venv="$cache/venv/chart-tools-checkov$CHECKOV_VERSION-yamllint$YAMLLINT_VERSION-yamale$YAMALE_VERSION"
mkdir -p "$bin"

die() { echo "chart-tools: $*" >&2; exit 1; }

# module_dir MODULE VERSION: downloads an exact module version and prints its directory.
module_dir() {
  GOFLAGS=-mod=mod go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# build MODULE VERSION PACKAGE OUTPUT LDFLAGS
build() {
  local dir
  [ -x "$4" ] && return 0
  command -v go >/dev/null 2>&1 || die "the Go toolchain (go 1.24+) is needed to build $1 $2"
  dir=$(module_dir "$1" "$2")
  [ -n "$dir" ] && [ -d "$dir" ] || die "could not download $1@$2"
  (cd "$dir" && GOFLAGS=-mod=mod nice -n 10 go build -trimpath -ldflags "-s -w $5" -o "$4.partial" "$3")
  mv "$4.partial" "$4"
  echo "chart-tools: built $(basename "$4") $2" >&2
}

build github.com/norwoodj/helm-docs "$HELM_DOCS_VERSION" ./cmd/helm-docs "$bin/helm-docs-$HELM_DOCS_VERSION" "-X main.version=$HELM_DOCS_VERSION"
ln -sf "helm-docs-$HELM_DOCS_VERSION" "$bin/helm-docs"
build github.com/helm/chart-testing/v3 "$CT_VERSION" ./ct "$bin/ct" "-X github.com/helm/chart-testing/v3/ct/cmd.Version=$CT_VERSION"
if [ ! -f "$bin/chart_schema.yaml" ] || [ ! -f "$bin/lintconf.yaml" ]; then
  ct_dir=$(module_dir github.com/helm/chart-testing/v3 "$CT_VERSION")
  install -m 0644 "$ct_dir/etc/chart_schema.yaml" "$ct_dir/etc/lintconf.yaml" "$bin/"
fi
build github.com/zegl/kube-score "$KUBE_SCORE_VERSION" ./cmd/kube-score "$bin/kube-score" "-X main.version=${KUBE_SCORE_VERSION#v}"

if [ ! -x "$venv/bin/checkov" ] || [ ! -x "$venv/bin/yamllint" ] || [ ! -x "$venv/bin/yamale" ]; then
  python3 -m venv "$venv.partial" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$venv.partial/bin/pip" install --quiet --disable-pip-version-check \
    "checkov==$CHECKOV_VERSION" "yamllint==$YAMLLINT_VERSION" "yamale==$YAMALE_VERSION"
  rm -rf "$venv" && mv "$venv.partial" "$venv"
  # A venv records its own path in its scripts: recreate the entry points for the final location.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "checkov==$CHECKOV_VERSION" "yamllint==$YAMLLINT_VERSION" "yamale==$YAMALE_VERSION"
fi
ln -sf "$venv/bin/checkov" "$venv/bin/yamllint" "$venv/bin/yamale" "$bin/"
echo "$bin"
