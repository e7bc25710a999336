#!/usr/bin/env bash
# oci-image.sh BINARY NAME OUT.tar: a one-layer OCI image archive whose entrypoint is the static BINARY (as
# /<basename>, run as 65535:65535 like upstream's pause image), named NAME for `ctr images import`. Written by
# hand so that no registry and no image builder is needed; timestamps and owners are fixed for a stable digest.
set -euo pipefail
[ $# = 3 ] || { echo "usage: oci-image.sh BINARY NAME OUT.tar" >&2; exit 2; }
bin=$1 name=$2 out=$3
base=$(basename "$bin")
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/rootfs" "$w/img/blobs/sha256"
cp "$bin" "$w/rootfs/$base"
chmod 0755 "$w/rootfs/$base"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$w/rootfs" -cf "$w/layer.tar" "$base"
blob() { # file -> prints "digest size" and stores the blob
  local d
  d=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$w/img/blobs/sha256/$d"
  echo "$d $(stat -c %s "$1")"
}
read -r ldig lsize < <(blob "$w/layer.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/%s"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$base" "$ldig" >"$w/config.json"
read -r cdig csize < <(blob "$w/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
  "$cdig" "$csize" "$ldig" "$lsize" >"$w/manifest.json"
read -r mdig msize < <(blob "$w/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"amd64","os":"linux"}}]}' \
  "$mdig" "$msize" "$name" "${name##*:}" >"$w/img/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$w/img/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$w/img" -cf "$out" .
