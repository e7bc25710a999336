#!/usr/bin/env bash
# What CI runs for the cluster: build-or-reuse the binaries, start the control plane, stage-1 checks, add the
# node, stage-2 and stage-3 checks, the HA checks (ha.sh), and always tear everything down. Needs the project's images in docker first
# (test/containers/run.sh builds them) and the apt packages listed in test/cluster/README.md.
#   test/cluster/ci.sh            stages 1, 2 and 3
#   test/cluster/ci.sh stage1     control plane and stage-1 checks only
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Teardown always runs, and anything it leaves behind fails the run.
trap 'rc=$?; "$here/down.sh" || rc=1; exit "$rc"' EXIT
started=$(date +%s)
took() { echo "ci.sh: $1 took $(( $(date +%s) - $2 ))s"; }

t=$(date +%s); nice -n 10 "$here/build.sh" --all; took "build (cached when 0s)" "$t"
t=$(date +%s); "$here/up.sh"; took "up.sh" "$t"
rc=0
# The replication mode's scripts on real Redis and Sentinel processes in namespaces (no cluster needed).
t=$(date +%s); "$here/ha-processes.sh" || rc=1; took "ha-processes.sh" "$t"
t=$(date +%s); "$here/stage1.sh" || rc=1; took "stage1.sh" "$t"
if [ "${1:-}" != stage1 ]; then
  t=$(date +%s); "$here/node-up.sh"; took "node-up.sh" "$t"
  t=$(date +%s); "$here/stage2.sh" || rc=1; took "stage2.sh" "$t"
  # Before stage 3: its skaffold checks pull an image with the ID of the imported reas:0.1.0, after which this
  # node's containerd 1.6 no longer resolves reas:0.1.0 (see stage3.sh), and ha.sh installs reas:0.1.0.
  t=$(date +%s); "$here/ha.sh" || rc=1; took "ha.sh" "$t"
  t=$(date +%s); "$here/stage3.sh" || rc=1; took "stage3.sh" "$t"
fi
echo "ci.sh: cluster checks done in $(( $(date +%s) - started ))s (down.sh follows)"
exit "$rc"
