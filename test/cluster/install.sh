#!/usr/bin/env bash
# Stage-2 checks against the cluster with a node (hack/cluster/up.sh, then hack/cluster/node-up.sh):
#
#   test/cluster/install.sh [install] [test] [smoke]      default: all three, in that order (each needs the previous)
#
#   install  `helm install --wait` into a namespace enforcing `restricted` reaches Ready (API and Redis pods run)
#   test     `helm test` runs the e2e Job in the cluster against http://reas-api:5000 (Service DNS via CoreDNS,
#            ClusterIP via kube-proxy) and passes; the API reaches Redis through its Service name
#   smoke    `npm run smoke` port-forwards (API server -> kubelet) and passes
#
# Prints `ok`/`not ok` per check and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../../hack/cluster/checks.sh"

ns=reas-s2
wait_s=${REAS_INSTALL_TIMEOUT:-300}
use_cluster node

cleanup() {
  helm uninstall reas -n "$ns" --wait --timeout 60s >/dev/null 2>&1 || true
  kubectl delete namespace "$ns" --ignore-not-found --timeout=60s >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# On a failed check, what the namespace looked like.
check_failed_context() { kubectl get pods,pvc,events -n "$ns" 2>&1 | tail -n 30; }

install() {
  restricted_ns "$ns"
  local t
  t=$(date +%s)
  helm install reas "$repo" -n "$ns" --wait --timeout "${wait_s}s"
  echo "helm install --wait: $(( $(date +%s) - t ))s"
  kubectl get pods -n "$ns" -o wide
  kubectl wait --for=condition=Ready pod -n "$ns" -l app.kubernetes.io/instance=reas --timeout=10s
}

helm_test() {
  # --logs prints the hook Pod's output: the suite's own lines must be in it.
  local rc=0 out
  out=$(helm test reas -n "$ns" --timeout "${wait_s}s" --logs 2>&1) || rc=$?
  printf '%s\n' "$out" | tail -n 60
  [ "$rc" -eq 0 ] || return "$rc"
  printf '%s\n' "$out" | grep -Eq '^[0-9]+ passing|[0-9]+ passed, 0 failed' || { echo "helm test --logs printed no suite summary" >&2; return 1; }
}

smoke() {
  (cd "$repo" && npm run --silent smoke -- --namespace "$ns" --release reas)
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(install test smoke)
for s in "${selected[@]}"; do
  case "$s" in
    install) check "helm install --wait reaches Ready in a restricted namespace" install ;;
    test) check "helm test passes in the cluster (Service DNS, ClusterIP, API -> Redis)" helm_test ;;
    smoke) check "npm run smoke passes through a port-forward" smoke ;;
    *) die "unknown check '$s' (install, test, smoke)" ;;
  esac
done
report
