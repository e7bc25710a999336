#!/usr/bin/env bash
# The chart as users consume it, on the cluster with a node (hack/cluster/up.sh, then hack/cluster/node-up.sh):
# packaged, pushed to an OCI registry (the node's, on localhost), installed from there, tested, reached, and
# upgraded from the released 0.1.0.
#
#   test/cluster/install.sh [oci] [install] [test] [smoke] [upgrade]   default: all five, in that order
#
#   oci      `helm package` of the repository, `helm push` to oci://<node registry>/charts; `helm show chart`,
#            `readme` and `values` read it back from the registry (the README and every value with its comment), and
#            `helm pull` returns the same bytes
#   install  `helm install --wait` of that OCI chart into a namespace enforcing `restricted` reaches Ready
#   test     `helm test --logs` runs the e2e Pod in the cluster against http://reas-api:5000 (Service DNS via
#            CoreDNS, ClusterIP via kube-proxy) and passes, showing the suite's output; the API reaches Redis through
#            its Service name
#   smoke    `npm run smoke` port-forwards (API server -> kubelet) and passes
#   upgrade  the released chart 0.1.0 (test/fixtures/charts/reas-0.1.0.tgz, its digest pinned by
#            test/chart/released-charts.json) installed and counted to 3, then `helm upgrade` to the OCI chart:
#            the count and the generated Redis password are kept, and `helm test` passes on the upgraded release
#
# Prints `ok`/`not ok` per check and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../../hack/cluster/checks.sh"

ns=reas-s2
upgrade_ns=reas-s2-upgrade
wait_s=${REAS_INSTALL_TIMEOUT:-300}
registry=localhost:${REAS_REGISTRY_PORT:-5001}
use_cluster node
curl -fsS "http://$registry/v2/" >/dev/null || die "the node's registry does not answer on $registry (run hack/cluster/node-up.sh)"
# The registry serves plain HTTP on loopback only, as kind's local-registry recipe does.
chart_version=$(helm show chart "$repo" | sed -n 's/^version: //p')
chart_ref=oci://$registry/charts/reas
released=$repo/test/fixtures/charts/reas-0.1.0.tgz

cleanup() {
  local n
  for n in "$ns" "$upgrade_ns"; do
    helm uninstall reas -n "$n" --wait --timeout 60s >/dev/null 2>&1 || true
    kubectl delete namespace "$n" --ignore-not-found --timeout=60s >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# On a failed check, what the namespace looked like.
check_failed_context() { kubectl get pods,pvc,events -n "$ns" 2>&1 | tail -n 30; }

oci() {
  mkdir -p "$work/pkg" "$work/pulled"
  helm package "$repo" --destination "$work/pkg"
  local tgz=$work/pkg/reas-$chart_version.tgz
  helm push "$tgz" "oci://$registry/charts" --plain-http
  helm show chart "$chart_ref" --version "$chart_version" --plain-http >"$work/chart.yaml"
  grep -qx "version: $chart_version" "$work/chart.yaml" || { echo "helm show chart: no version $chart_version"; return 1; }
  helm show readme "$chart_ref" --version "$chart_version" --plain-http >"$work/readme.md"
  grep -q '^helm install reas' "$work/readme.md" || { echo "helm show readme: the README's install command is missing"; return 1; }
  helm show values "$chart_ref" --version "$chart_version" --plain-http >"$work/values.yaml"
  # Every value with its comment, subcharts' included (not `api: {}`).
  grep -q '^  replicaCount: ' "$work/values.yaml" && grep -q 'architecture: standalone' "$work/values.yaml" \
    || { echo "helm show values lacks the subcharts' values"; return 1; }
  helm pull "$chart_ref" --version "$chart_version" --plain-http --destination "$work/pulled"
  cmp "$tgz" "$work/pulled/reas-$chart_version.tgz" || { echo "helm pull returned other bytes than were pushed"; return 1; }
  echo "figure: pushed and pulled $chart_ref:$chart_version ($(wc -c <"$tgz") bytes)"
}

install() {
  restricted_ns "$ns"
  local t
  t=$(date +%s)
  helm install reas "$chart_ref" --version "$chart_version" --plain-http -n "$ns" --wait --timeout "${wait_s}s"
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

# The API through its ClusterIP from the host (kube-proxy's rules cover the host's own traffic).
api() {
  local method=$1 path=$2 ip
  ip=$(kubectl get service -n "$upgrade_ns" reas-api -o jsonpath='{.spec.clusterIP}')
  curl -fsS --max-time 5 -X "$method" "http://$ip:5000$path"
}
redis_password() { kubectl get secret -n "$upgrade_ns" reas-redis -o jsonpath='{.data.redis-password}'; }

upgrade() {
  restricted_ns "$upgrade_ns"
  helm install reas "$released" -n "$upgrade_ns" --wait --timeout "${wait_s}s"
  local i password before after
  for i in 1 2 3; do [ "$(api POST /inc)" = "$i" ] || { echo "POST /inc $i on 0.1.0 did not answer $i"; return 1; }; done
  password=$(redis_password)
  [ -n "$password" ] || { echo "0.1.0 made no Redis password"; return 1; }
  helm upgrade reas "$chart_ref" --version "$chart_version" --plain-http -n "$upgrade_ns" --wait --timeout "${wait_s}s"
  helm history reas -n "$upgrade_ns"
  [ "$(helm get metadata reas -n "$upgrade_ns" -o json | node -pe 'JSON.parse(require("fs").readFileSync(0)).version')" = "$chart_version" ] \
    || { echo "the release is not on chart $chart_version after the upgrade"; return 1; }
  kubectl rollout status statefulset/reas-redis -n "$upgrade_ns" --timeout="${wait_s}s"
  kubectl rollout status deployment/reas-api -n "$upgrade_ns" --timeout="${wait_s}s"
  [ "$(redis_password)" = "$password" ] || { echo "the upgrade changed the generated Redis password"; return 1; }
  before=3
  for _ in $(seq 1 30); do after=$(api GET /count 2>/dev/null) && break; sleep 1; done
  echo "figure: upgrade 0.1.0 -> $chart_version: count before $before, after $after; Redis password kept"
  [ "$after" = "$before" ] || { echo "the count changed across the upgrade"; return 1; }
  [ "$(api POST /inc)" = 4 ] || { echo "POST /inc after the upgrade did not answer 4"; return 1; }
  local rc=0 out
  out=$(helm test reas -n "$upgrade_ns" --timeout "${wait_s}s" --logs 2>&1) || rc=$?
  printf '%s\n' "$out" | tail -n 20
  [ "$rc" -eq 0 ]
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(oci install test smoke upgrade)
for s in "${selected[@]}"; do
  case "$s" in
    oci) check "helm package, push to an OCI registry; helm show chart, readme and values and helm pull read it back" oci ;;
    install) check "helm install --wait of the OCI chart reaches Ready in a restricted namespace" install ;;
    test) check "helm test passes in the cluster (Service DNS, ClusterIP, API -> Redis)" helm_test ;;
    smoke) check "npm run smoke passes through a port-forward" smoke ;;
    upgrade) check "helm upgrade from the released 0.1.0 keeps the count and the Redis password; helm test passes" upgrade ;;
    *) die "unknown check '$s' (oci, install, test, smoke, upgrade)" ;;
  esac
done
report
