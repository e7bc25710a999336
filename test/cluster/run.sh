#!/usr/bin/env bash
# What CI runs for the cluster (npm run test:cluster): build-or-reuse the Kubernetes binaries (hack/cluster), start
# the control plane, run the checks, add the node, run the checks that need one, and always tear everything down.
# Needs the project's images in docker first (test/containers/run.sh builds them) and the apt packages listed in
# hack/cluster/README.md.
#   test/cluster/run.sh                 every check below
#   test/cluster/run.sh control-plane   the control plane and its checks only (no node)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hack=$(cd "$here/../../hack/cluster" && pwd)
# Teardown always runs, and anything it leaves behind fails the run.
trap 'rc=$?; "$hack/down.sh" || rc=1; exit "$rc"' EXIT
started=$(date +%s)
took() { echo "run.sh: $1 took $(( $(date +%s) - $2 ))s"; }
rc=0
step() {
  local t
  t=$(date +%s)
  "$@" || rc=1
  took "$(basename "$1")" "$t"
}

t=$(date +%s); nice -n 10 "$hack/build.sh" --all; took "build (cached when 0s)" "$t"
t=$(date +%s); "$hack/up.sh"; took "up.sh" "$t"
# The replication mode's scripts on real Redis and Sentinel processes in namespaces (no cluster needed).
step "$here/ha-scripts.sh"
step "$here/control-plane.sh"
if [ "${1:-}" != control-plane ]; then
  t=$(date +%s); "$hack/node-up.sh"; took "node-up.sh" "$t"
  step "$here/install.sh"
  # Before user-flows.sh: its skaffold checks pull an image with the ID of the imported reas:0.1.0, after which
  # this node's containerd 1.6 no longer resolves reas:0.1.0 (see user-flows.sh), and ha-failover.sh installs it.
  step "$here/ha-failover.sh"
  step "$here/user-flows.sh"
fi
echo "run.sh: cluster checks done in $(( $(date +%s) - started ))s (down.sh follows)"
exit "$rc"
