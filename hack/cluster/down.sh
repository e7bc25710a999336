#!/usr/bin/env bash
# Stops the cluster started by up.sh (and the node from node-up.sh) and removes its state (certs, etcd data,
# kubeconfigs, containerd data, logs). Only processes this state dir started are stopped, by pid. With a node,
# pods are deleted through kubelet first, so that CRI tears down their containers and network; then kube-proxy's
# iptables rules, containerd's leftovers, mounts, the bridge and the pods' network namespaces are removed.
# REAS_KEEP_LOGS=1 moves the logs to "$REAS_CLUSTER_STATE-logs" instead of deleting them (up.sh does that when a
# component fails). Safe to run when nothing is up. Exits non-zero if anything it started is left behind.
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

ctr_node() { ctr --address "$node_run/containerd.sock" -n k8s.io "$@"; }

if [ -d "$node_dir" ]; then
  if live_pid kubelet >/dev/null && live_pid kube-apiserver >/dev/null; then
    # Controllers would recreate what is deleted: stop them, then let kubelet stop every pod properly.
    stop kube-scheduler
    stop kube-controller-manager
    kc=$(repo=$(cd "$here/../.." && pwd); export repo; source "$here/tools.sh" >/dev/null 2>&1 && command -v kubectl) || kc=
    if [ -n "$kc" ]; then
      "$kc" --kubeconfig "$admin_kubeconfig" delete pods --all --all-namespaces --grace-period=2 --timeout=90s \
        >/dev/null 2>&1 || echo "down.sh: not every pod was deleted through kubelet; removing containers directly" >&2
    fi
  fi
  stop coredns
  stop kube-router
  # Its filter chains and ipsets, by the names its network policy controller uses. Not `kube-router
  # --cleanup-config`: that also flushes every IPVS service on the machine and removes routing state it assumes
  # it owns.
  iptables-save -t filter 2>/dev/null | grep -E '^-A (INPUT|FORWARD|OUTPUT) .*-j KUBE-(ROUTER|NWPLCY|POD-FW)-' \
    | sed 's/^-A /-D /' | while read -r rule; do eval "iptables $rule" || true; done || true
  kr_chains=$(iptables-save -t filter 2>/dev/null | sed -n 's/^:\(KUBE-\(ROUTER\|NWPLCY\|POD-FW\)-[^ ]*\) .*/\1/p')
  for c in $kr_chains; do iptables -F "$c"; done
  for c in $kr_chains; do iptables -X "$c"; done
  [ -z "$kr_chains" ] || echo "down.sh: removed kube-router's iptables chains ($(echo "$kr_chains" | wc -l))"
  if command -v ipset >/dev/null; then
    for set in $(ipset list -n 2>/dev/null | grep -E '^KUBE-(SRC|DST)-'); do ipset destroy "$set" || true; done
  fi
  stop kube-proxy
  # kube-proxy --cleanup removes its KUBE-* chains (nobody else on this machine runs kube-proxy).
  if [ -x "$CLUSTER_BIN/kube-proxy" ] && [ -f "$node_dir/kube-proxy.yaml" ]; then
    "$CLUSTER_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
    # --cleanup keeps the localnet guard KUBE-FIREWALL (jumped to from INPUT and OUTPUT): remove it too.
    for t in iptables ip6tables; do
      while "$t" -D INPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
      while "$t" -D OUTPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
      if "$t" -F KUBE-FIREWALL 2>/dev/null; then "$t" -X KUBE-FIREWALL; fi
    done
  fi
  stop kubelet
  if live_pid containerd >/dev/null; then
    for task in $(ctr_node tasks ls -q 2>/dev/null); do
      ctr_node tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
      ctr_node tasks delete -f "$task" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  stop registry
  # containerd's shims outlive containerd; ours name our socket in their args.
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    if [[ "$args" == *containerd-shim*"$node_run/containerd.sock"* ]]; then
      kill -KILL "${p#/proc/}" 2>/dev/null && echo "down.sh: killed leftover shim ${p#/proc/}"
    fi
  done
  # Pod network namespaces CRI did not remove (only ones that were not there before node-up.sh).
  if [ -d /var/run/netns ]; then
    for ns in /var/run/netns/cni-*; do
      [ -e "$ns" ] || continue
      ns=${ns#/var/run/netns/}
      grep -qxF "$ns" "$node_dir/netns-before" 2>/dev/null && continue
      ip netns delete "$ns" && echo "down.sh: removed leftover network namespace $ns"
    done
  fi
  while iptables -D FORWARD -j REAS-CLUSTER-FORWARD 2>/dev/null; do :; done
  if iptables -F REAS-CLUSTER-FORWARD 2>/dev/null; then
    iptables -X REAS-CLUSTER-FORWARD && echo "down.sh: removed iptables chain REAS-CLUSTER-FORWARD"
  fi
  if [ -f "$node_dir/bridge" ] && ip link show "$(cat "$node_dir/bridge")" >/dev/null 2>&1; then
    ip link delete "$(cat "$node_dir/bridge")" && echo "down.sh: removed bridge $(cat "$node_dir/bridge")"
  fi
fi

for (( i=${#components[@]}-1; i>=0; i-- )); do
  stop "${components[i]}"
done

# Mounts under the state dir (container rootfs, pod volumes, shm), deepest first.
while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" || true
done < <(awk -v s="$REAS_CLUSTER_STATE/" 'index($2, s) == 1 { print $2 }' /proc/mounts | sort -r)

left=0
# A pid file can be lost (e.g. state removed by hand): any process whose args name this state dir is ours.
for p in /proc/[0-9]*; do
  [ "${p#/proc/}" != $$ ] || continue
  args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
  if [[ "$args" == *"--data-dir=$REAS_CLUSTER_STATE/etcd"* || "$args" == *"--cert-dir=$REAS_CLUSTER_STATE/"* \
     || "$args" == *"--kubeconfig=$REAS_CLUSTER_STATE/"* || "$args" == *"--config $node_dir/"* \
     || "$args" == *"--config=$node_dir/"* || "$args" == *"-conf $node_dir/"* \
     || "$args" == *"serve $node_dir/"* ]]; then
    echo "down.sh: still running: ${p#/proc/} ${args:0:100}" >&2; left=1
  fi
done
if grep -qF " $REAS_CLUSTER_STATE/" /proc/mounts; then
  echo "down.sh: mounts left under $REAS_CLUSTER_STATE:" >&2
  grep -F " $REAS_CLUSTER_STATE/" /proc/mounts >&2
  left=1
fi
if [ -d "$node_dir" ] && [[ "$(iptables-save 2>/dev/null; ip6tables-save 2>/dev/null)" == *KUBE-* ]]; then
  echo "down.sh: KUBE-* iptables chains left (iptables-save | grep KUBE-)" >&2; left=1
fi
if [ -d "$node_dir" ] && command -v ipset >/dev/null && ipset list -n 2>/dev/null | grep -q '^KUBE-'; then
  echo "down.sh: kube-router's KUBE-* ipsets left (ipset list -n)" >&2; left=1
fi
if [[ "$(iptables-save 2>/dev/null)" == *REAS-CLUSTER-FORWARD* ]]; then
  echo "down.sh: iptables chain REAS-CLUSTER-FORWARD left" >&2; left=1
fi
if [ -f "$node_dir/bridge" ] && ip link show "$(cat "$node_dir/bridge")" >/dev/null 2>&1; then
  echo "down.sh: bridge $(cat "$node_dir/bridge") left" >&2; left=1
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
