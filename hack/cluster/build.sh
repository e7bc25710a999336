#!/usr/bin/env bash
# Builds the cluster's binaries from their Go modules into a cache keyed by versions (see versions.sh).
# Each module is built in a throwaway Go module outside the repository whose go.mod/go.sum are pinned
# in hack/cluster/modules/ (kubernetes cannot be `go install`ed: its go.mod replaces the k8s.io/*
# staging modules with local paths, so we pin those to the matching published v0.Y.Z instead).
#
#   build.sh                 stage-1 binaries: etcd kube-apiserver kube-controller-manager kube-scheduler
#   build.sh NAME...         only these (also: kubelet kube-proxy coredns kube-router)
#   build.sh --all           stage 1 plus the node's: kubelet, kube-proxy, coredns, kube-router
#   build.sh --pin           regenerate modules/*/go.mod and go.sum from versions.sh (needs the Go proxy)
#
# A binary already in the cache is reused; each build prints its wall time and appends it to
# <cache>/build-times.log. Builds run under `nice -n 19` (the machine is shared).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

stage1=(etcd kube-apiserver kube-controller-manager kube-scheduler)
node=(kubelet kube-proxy coredns kube-router)

die() { echo "build.sh: $*" >&2; exit 1; }

command -v go >/dev/null || die "go is missing: install a Go toolchain >= 1.25 (e.g. apt-get install golang-go is too old on bookworm; use the project's Go 1.26)"

# Kubernetes' own release builds are static (CGO_ENABLED=0) and trimmed; we do the same.
export CGO_ENABLED=0
export GOFLAGS=-mod=readonly
export GOTOOLCHAIN=local

# Prints the VCS commit the proxy recorded for module@version (used to stamp version info).
origin_hash() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p' | head -n1
}
origin_time() {
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Time": "\([^"]*\)".*/\1/p' | head -n1
}

pin() {
  local tmp dir staging k8s_minor_patch
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  k8s_minor_patch=${K8S_VERSION#v1.}

  mkdir -p "$tmp/kubernetes" "$tmp/etcd" "$tmp/coredns" "$tmp/kube-router"
  (
    cd "$tmp/kubernetes"
    go mod init reas.local/kube-build >/dev/null 2>&1
    # The lowest go directive the dependencies allow (go get raises it if needed), not this machine's.
    go mod edit -go=1.24
    dir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$dir" ] || die "could not download k8s.io/kubernetes@$K8S_VERSION"
    # Every `k8s.io/x => ./staging/src/k8s.io/x` in kubernetes' go.mod becomes `k8s.io/x => k8s.io/x v0.Y.Z`.
    staging=$(sed -n '/^replace (/,/^)/p' "$dir/go.mod" | awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }')
    [ -n "$staging" ] || die "no staging replace block found in k8s.io/kubernetes@$K8S_VERSION go.mod"
    for m in $staging; do
      go mod edit -replace="$m=$m@v0.$k8s_minor_patch"
    done
    # shellcheck disable=SC2046 # one argument per binary
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$K8S_VERSION" \
      $(for b in "${stage1[@]:1}" kubelet kube-proxy; do echo "k8s.io/kubernetes/cmd/$b@$K8S_VERSION"; done)
    go mod edit -toolchain=none
  )
  (
    cd "$tmp/etcd"
    go mod init reas.local/etcd-build >/dev/null 2>&1
    go mod edit -go=1.24
    GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go mod edit -toolchain=none
  )
  (
    cd "$tmp/coredns"
    go mod init reas.local/coredns-build >/dev/null 2>&1
    go mod edit -go=1.24
    GOFLAGS=-mod=mod go get "github.com/coredns/coredns@$COREDNS_VERSION"
    go mod edit -toolchain=none
  )
  (
    cd "$tmp/kube-router"
    go mod init reas.local/kube-router-build >/dev/null 2>&1
    go mod edit -go=1.24
    # The command package, so that go.sum covers everything it imports.
    GOFLAGS=-mod=mod go get "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
    go mod edit -toolchain=none
  )
  for m in kubernetes etcd coredns kube-router; do
    mkdir -p "$here/modules/$m"
    cp "$tmp/$m/go.mod" "$tmp/$m/go.sum" "$here/modules/$m/"
  done
  echo "pinned modules in $here/modules for k8s $K8S_VERSION, etcd $ETCD_VERSION, coredns $COREDNS_VERSION," \
    "kube-router $KUBE_ROUTER_VERSION"
}

# Copies a pinned module into the cache's work dir and checks it matches versions.sh.
prepare() {
  local m=$1 want=$2 src="$here/modules/$1" work="$REAS_CLUSTER_CACHE/$CLUSTER_KEY/src/$1"
  [ -f "$src/go.mod" ] || die "$src/go.mod is missing: run hack/cluster/build.sh --pin"
  grep -q "$want" "$src/go.mod" || die "$src/go.mod does not pin $want: run hack/cluster/build.sh --pin"
  mkdir -p "$work"
  cp "$src/go.mod" "$src/go.sum" "$work/"
  echo "$work"
}

build_one() {
  local name=$1 work pkg ldflags start secs out="$CLUSTER_BIN/$1"
  [ "$name" != coredns ] || out="$COREDNS_BIN/coredns"
  [ "$name" != kube-router ] || out="$KUBE_ROUTER_BIN/kube-router"
  if [ -x "$out" ]; then
    echo "build.sh: $name: cached ($out)"
    return
  fi
  mkdir -p "$(dirname "$out")"
  if [ "$name" = kube-router ]; then
    work=$(prepare kube-router "github.com/cloudnativelabs/kube-router/v2 $KUBE_ROUTER_VERSION")
    pkg=github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
    ldflags="-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"
  elif [ "$name" = coredns ]; then
    work=$(prepare coredns "github.com/coredns/coredns $COREDNS_VERSION")
    pkg=github.com/coredns/coredns
    ldflags="-s -w"
  elif [ "$name" = etcd ]; then
    work=$(prepare etcd "go.etcd.io/etcd/server/v3 $ETCD_VERSION")
    pkg=go.etcd.io/etcd/server/v3
    ldflags="-s -w"
    # The proxy records no commit for etcd's nested-module tags; stamp it only when it is known.
    local sha
    sha=$(cd "$work" && origin_hash "go.etcd.io/etcd/server/v3@$ETCD_VERSION" | cut -c1-7)
    [ -z "$sha" ] || ldflags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=$sha"
  else
    work=$(prepare kubernetes "k8s.io/kubernetes $K8S_VERSION")
    pkg=k8s.io/kubernetes/cmd/$name
    local major minor commit date v=""
    major=${K8S_VERSION#v}; major=${major%%.*}
    minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
    commit=$(cd "$work" && origin_hash "k8s.io/kubernetes@$K8S_VERSION")
    date=$(cd "$work" && origin_time "k8s.io/kubernetes@$K8S_VERSION")
    # Same -X stamps as kubernetes' hack/lib/version.sh, for both packages that carry version info.
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      v+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
      v+=" -X $p.gitCommit=$commit -X $p.gitTreeState=clean -X $p.buildDate=$date"
    done
    ldflags="-s -w$v"
  fi
  echo "build.sh: $name: building $pkg (cold builds take minutes; log: $work/build-$name.log)"
  start=$(date +%s)
  if ! (cd "$work" && nice -n 19 go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg") >"$work/build-$name.log" 2>&1; then
    tail -n 40 "$work/build-$name.log" >&2
    die "$name: go build failed (full log: $work/build-$name.log)"
  fi
  mv "$out.tmp" "$out"
  secs=$(( $(date +%s) - start ))
  echo "build.sh: $name: built in ${secs}s"
  echo "$(date -u +%FT%TZ) $name ${secs}s GOCACHE=$(go env GOCACHE)" >>"$REAS_CLUSTER_CACHE/$CLUSTER_KEY/build-times.log"
}

case "${1:-}" in
  --pin) pin; exit 0 ;;
  --all) targets=("${stage1[@]}" "${node[@]}") ;;
  "") targets=("${stage1[@]}") ;;
  *) targets=("$@") ;;
esac

for t in "${targets[@]}"; do
  case " ${stage1[*]} ${node[*]} " in
    *" $t "*) build_one "$t" ;;
    *) die "unknown binary '$t' (known: ${stage1[*]} ${node[*]})" ;;
  esac
done
