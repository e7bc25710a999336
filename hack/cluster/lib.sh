# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Sourced by up.sh/down.sh/stage1.sh (after versions.sh): state layout and process helpers.
pki=$REAS_CLUSTER_STATE/pki
logs=$REAS_CLUSTER_STATE/logs
run=$REAS_CLUSTER_STATE/run
admin_kubeconfig=$REAS_CLUSTER_STATE/admin.kubeconfig
# Stage 2's node (node-up.sh): everything under the state dir, so down.sh removes it with the rest.
node_dir=$REAS_CLUSTER_STATE/node
node_run=$node_dir/run
# Start order; down.sh stops in reverse.
components=(etcd kube-apiserver kube-controller-manager kube-scheduler)
node_components=(registry containerd kubelet kube-proxy coredns kube-router)

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is missing: $2"; }

# Prints the pid of a component this state dir started, if it is still that process.
live_pid() {
  local f="$run/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  # The pid file alone could name a recycled pid: the process must also carry our state dir in its args.
  [ -r "/proc/$pid/cmdline" ] || return 1
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"$REAS_CLUSTER_STATE"* ]] || return 1
  echo "$pid"
}

cluster_running() {
  local c
  for c in "${components[@]}"; do
    live_pid "$c" >/dev/null && return 0
  done
  return 1
}

# start NAME BINARY ARGS...: runs it detached (own session, so it outlives the caller's terminal), log to file.
start() {
  local name=$1
  shift
  [ -x "$1" ] || die "$name: binary $1 is missing (run hack/cluster/build.sh)"
  setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
  local pid=$! i
  echo "$pid" >"$run/$name.pid"
  # Until the forked shell has exec'd the binary, /proc/<pid>/cmdline is still this script's, and live_pid would
  # take the component for dead (seen in CI: "kube-controller-manager failed to start: process exited", empty log,
  # while it was running). Wait for the exec; a process that dies at once is reported by wait_healthy.
  for i in $(seq 1 100); do
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" == *"$REAS_CLUSTER_STATE"* ]] && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
}

fail_component() { # name reason
  local log="$logs/${1%% *}.log"
  {
    echo "cluster: $1 failed to start: $2"
    if [ -f "$log" ]; then
      echo "---- last 60 lines of $log ----"
      tail -n 60 "$log"
      echo "---- end of $log ----"
    fi
  } >&2
  # Stop whatever did start, but keep the logs for the CI artifact / a human.
  REAS_KEEP_LOGS=1 "$(dirname "${BASH_SOURCE[0]}")/down.sh" >&2 || true
  exit 1
}

# wait_healthy NAME TIMEOUT CMD...: polls CMD until it succeeds; fails with the component's log when the
# process dies or the timeout passes. NAME's first word is the component (pid/log file name).
wait_healthy() {
  local name=$1 limit=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + limit ))
  while ! "$@" >/dev/null 2>&1; do
    live_pid "${name%% *}" >/dev/null || fail_component "$name" "process exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail_component "$name" "not healthy after ${limit}s (check: $*)"
    sleep 1
  done
}

# The container checks stop the dockerd they started (its images stay in /var/lib/docker): when no dockerd
# answers, start_dockerd_if_needed starts one, and stop_our_dockerd stops only that one (an already running
# dockerd is only used). /usr/bin/docker: the first `docker` on PATH may be another client.
our_dockerd=""
start_dockerd_if_needed() {
  [ -x /usr/bin/docker ] || die "docker: /usr/bin/docker is missing (apt-get install docker.io; build the images first)"
  /usr/bin/docker info >/dev/null 2>&1 && return 0
  need dockerd "apt-get install docker.io"
  dockerd >"$logs/dockerd.log" 2>&1 &
  our_dockerd=$!
  for _ in $(seq 1 60); do /usr/bin/docker info >/dev/null 2>&1 && break; sleep 1; done
  /usr/bin/docker info >/dev/null 2>&1 || { tail -n 20 "$logs/dockerd.log" >&2; die "dockerd did not start"; }
}
stop_our_dockerd() {
  [ -n "$our_dockerd" ] || return 0
  if kill "$our_dockerd" 2>/dev/null; then wait "$our_dockerd" 2>/dev/null || true; fi
  our_dockerd=""
}

# use_cluster [node]: points kubectl at the running cluster, or stops with what to run first; with `node`, the
# node from node-up.sh must be Ready too. For the stage scripts (they source tools.sh for kubectl).
use_cluster() {
  [ -f "$admin_kubeconfig" ] || die "no cluster: $admin_kubeconfig is missing (run hack/cluster/up.sh)"
  export KUBECONFIG=$admin_kubeconfig
  kubectl get --raw /readyz >/dev/null || die "the cluster at $KUBECONFIG is not ready (run hack/cluster/up.sh)"
  [ "${1:-}" != node ] || kubectl wait --for=condition=Ready node/reas-node --timeout=10s >/dev/null \
    || die "no Ready node reas-node (run hack/cluster/node-up.sh)"
}

# A namespace that rejects any pod breaking the restricted profile (warn too, so apply prints why).
# Needs $wait_s (each stage script sets its own).
restricted_ns() {
  local ns=$1
  # A namespace left by an earlier run would carry its objects: start from an empty one.
  kubectl delete namespace "$ns" --ignore-not-found --timeout="${wait_s}s" >/dev/null
  kubectl create namespace "$ns" >/dev/null
  kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/warn=restricted >/dev/null
  # Admission needs the namespace's default ServiceAccount, which the controller-manager creates.
  kubectl wait --for=create "serviceaccount/default" -n "$ns" --timeout="${wait_s}s" >/dev/null
}

print_access() {
  echo "admin kubeconfig: $admin_kubeconfig"
  echo "export KUBECONFIG=$admin_kubeconfig"
}

# check NAME CMD...: one stage check. Runs CMD in a subshell with errexit and pipefail, output to
# $work/check.log; prints "ok - NAME" or "not ok - NAME" with the output under it, and counts into
# $passed/$failed. A failure is counted, not fatal. Not `if ( ... )`: bash ignores errexit inside a
# condition, so a failing step would not stop the check. Callers set $work, $passed, $failed and
# $check_verbose (1: print every check's output), and may define check_failed_context to print more on a failure.
# Lines a check prints as "figure: ..." (its measurements) are shown under "ok" too.
check() {
  local name=$1 rc
  shift
  set +e
  ( set -euo pipefail; "$@" ) >"$work/check.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    echo "ok - $name"
    if [ "${check_verbose:-}" = 1 ]; then
      sed 's/^/    /' "$work/check.log"
    else
      { grep '^figure: ' "$work/check.log" || true; } | sed 's/^/    /'
    fi
  else
    failed=$((failed + 1))
    echo "not ok - $name"
    sed 's/^/    /' "$work/check.log"
    if [ "$(type -t check_failed_context)" = function ]; then check_failed_context 2>&1 | sed 's/^/    /'; fi
  fi
}
