#!/usr/bin/env bash
# Stops the cluster started by up.sh and removes its state (certs, etcd data, kubeconfigs, logs).
# Only processes this state dir started are stopped, by pid. REAS_KEEP_LOGS=1 moves the logs to
# "$REAS_CLUSTER_STATE-logs" instead of deleting them (up.sh does that when a component fails).
# Safe to run when nothing is up. Exits non-zero if anything it started is left behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
# shellcheck source=lib.sh
source "$here/lib.sh"

stop() {
  local name=$1 pid i
  pid=$(live_pid "$name") || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { echo "down.sh: stopped $name (pid $pid)"; return 0; }
    sleep 0.5
  done
  echo "down.sh: $name (pid $pid) ignored SIGTERM for 15s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}

for (( i=${#components[@]}-1; i>=0; i-- )); do
  stop "${components[i]}"
done

left=0
# A pid file can be lost (e.g. state removed by hand): any process whose args name this state dir is ours.
for p in /proc/[0-9]*; do
  [ -r "$p/cmdline" ] || continue
  args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
  if [[ "$args" == *"--data-dir=$REAS_CLUSTER_STATE/etcd"* ]]; then
    echo "down.sh: etcd without pid file still running: ${p#/proc/}" >&2; left=1
  elif [[ "$args" == *"--cert-dir=$REAS_CLUSTER_STATE/"* || "$args" == *"--kubeconfig=$REAS_CLUSTER_STATE/"* ]]; then
    echo "down.sh: component without pid file still running: ${p#/proc/} ${args:0:80}" >&2; left=1
  fi
done
if grep -qF " $REAS_CLUSTER_STATE" /proc/mounts; then
  echo "down.sh: mounts left under $REAS_CLUSTER_STATE:" >&2
  grep -F " $REAS_CLUSTER_STATE" /proc/mounts >&2
  left=1
fi

if [ -e "$REAS_CLUSTER_STATE" ]; then
  if [ "${REAS_KEEP_LOGS:-}" = 1 ] && [ -d "$logs" ]; then
    rm -rf "$REAS_CLUSTER_STATE-logs"
    mv "$logs" "$REAS_CLUSTER_STATE-logs"
    echo "down.sh: logs kept in $REAS_CLUSTER_STATE-logs"
  fi
  if [ "$left" = 0 ]; then
    rm -rf "$REAS_CLUSTER_STATE"
    echo "down.sh: removed $REAS_CLUSTER_STATE"
  fi
fi
[ "$left" = 0 ] || die "left behind (see above); state kept in $REAS_CLUSTER_STATE"
