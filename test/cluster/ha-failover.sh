#!/usr/bin/env bash
# The HA checks (docs/ha.md): the chart with global.redis.architecture=replication on the cluster with a node
# (hack/cluster/up.sh, node-up.sh), run by ci.sh after stage 3:
#
#   test/cluster/ha-failover.sh [install] [helm-test] [planned] [unplanned]        default: all four, in this order
#
#   install     `helm install --set global.redis.architecture=replication` into namespace reas-ha (restricted):
#               every pod Ready; the three Sentinels agree on one primary, see each other and both replicas, and
#               have their quorum (SENTINEL CKQUORUM); exactly one Redis pod is a primary with two replicas linked
#   helm-test   `helm test`: the e2e suite through the API, which must follow the primary through the Sentinels
#   planned     the primary pod deleted as a user or a rolling update would: its preStop asks a Sentinel to fail
#               over, so another pod is primary before it stops; the deleted pod comes back as a replica and the
#               Sentinels agree again
#   unplanned   the primary's redis container killed with SIGKILL through containerd (no preStop, no shutdown):
#               the primary is back (restarted in place, or a replica promoted after down-after-milliseconds) and
#               the Sentinels agree
#
# planned and unplanned run under the steady POST /inc load of stage 3 (load.ts, through the API Service) and
# print the outage (longest time without a 200, first to last failure), acknowledged vs Redis's count, and the
# double counts (increments that no request accounts for: must be 0). The parts that need the service's Sentinel
# mode (REDIS_SENTINELS) say so when they fail: "deployment:" and "service:" prefix every failure.
#
# Prints `ok`/`not ok` per check and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../../hack/cluster/checks.sh"

wait_s=${REAS_HA_TIMEOUT:-300}
ns=reas-ha
use_cluster node
need ctr "apt-get install containerd"

cleanup() {
  local p
  for p in $(cat "$work/load-pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  helm uninstall reas -n "$ns" --wait --timeout 60s >/dev/null 2>&1 || true
  kubectl delete namespace "$ns" --ignore-not-found --timeout=60s >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

check_failed_context() {
  kubectl get pods,events -n "$ns" 2>&1 | tail -n 30
  local pod
  for pod in reas-redis-0 reas-redis-1 reas-redis-2; do
    echo "---- $pod (redis, sentinel), last lines ----"
    kubectl logs -n "$ns" "$pod" -c redis --tail=8 2>&1 || true
    kubectl logs -n "$ns" "$pod" -c sentinel --tail=8 2>&1 || true
  done
}

# The service half of issue 13 (Sentinel mode) is what makes the API follow the primary. Any implementation of
# its contract reads REDIS_SENTINELS, so a service that never mentions it cannot pass the API parts.

# rcli POD PORT ARGS...: redis-cli in the pod's sentinel container (it has the password file, and both ports).
rcli() {
  local pod=$1 port=$2
  shift 2
  kubectl exec -n "$ns" "$pod" -c sentinel -- sh -c 'REDISCLI_AUTH=$(cat "$REDIS_PASSWORD_FILE") exec redis-cli --no-auth-warning -p "$0" "$@"' "$port" "$@"
}
# The primary's pod name as one Sentinel reports it (the announced DNS name's first label).
sentinel_primary() { rcli "$1" 26379 SENTINEL get-master-addr-by-name mymaster | sed -n 1p | cut -d. -f1; }
role() { rcli "$1" 6379 ROLE | sed -n 1p; }
# eventually SECONDS CMD...: until CMD succeeds (Sentinels learn of each other and of replicas every few seconds).
eventually() {
  local limit=$1 deadline
  shift
  deadline=$(( $(date +%s) + limit ))
  until "$@"; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 1; done
}
sees() { [ "$(rcli "$1" 26379 SENTINEL "$2" mymaster | grep -cx 'ip')" = 2 ]; }

# Until every Sentinel names the same primary, exactly one pod says it is a primary with two replicas linked,
# and the Sentinels have their quorum (up to $1 s). Prints the primary's pod name.
agreed_primary() {
  local limit=${1:-60} deadline primary pods p ok
  deadline=$(( $(date +%s) + limit ))
  while :; do
    ok=1
    primary=$(sentinel_primary reas-redis-0 2>/dev/null || true)
    [ -n "$primary" ] || ok=0
    for p in reas-redis-1 reas-redis-2; do [ "$(sentinel_primary "$p" 2>/dev/null || true)" = "$primary" ] || ok=0; done
    if [ "$ok" = 1 ]; then
      pods=""
      for p in reas-redis-0 reas-redis-1 reas-redis-2; do [ "$(role "$p" 2>/dev/null || true)" != master ] || pods="$pods $p"; done
      [ "$pods" = " $primary" ] || ok=0
      [ "$ok" = 0 ] || [ "$(rcli "$primary" 6379 INFO replication | tr -d '\r' | grep -c '^slave[0-9]*:.*state=online')" = 2 ] || ok=0
      [ "$ok" = 0 ] || rcli "$primary" 26379 SENTINEL CKQUORUM mymaster | grep -q '^OK' || ok=0
    fi
    if [ "$ok" = 1 ]; then echo "$primary"; return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || {
      echo "deployment: the Sentinels and Redis pods did not agree on one primary with two online replicas within ${limit}s" >&2
      for p in reas-redis-0 reas-redis-1 reas-redis-2; do
        echo "  $p: role $(role "$p" 2>&1 | tr '\n' ' '), its Sentinel says $(sentinel_primary "$p" 2>&1 | tr '\n' ' ')" >&2
      done
      return 1
    }
    sleep 1
  done
}

api_url() { echo "http://$(kubectl get service -n "$ns" reas-api -o jsonpath='{.spec.clusterIP}'):5000"; }
count() { curl -fsS --max-time 5 "$(api_url)/count"; }
start_load() {
  node --import tsx "$hack_cluster/load.ts" --url "$(api_url)" --rate "${REAS_LOAD_RATE:-20}" --keep-alive >"$work/load.json" &
  load_pid=$!
  echo "$load_pid" >>"$work/load-pids"
}
stop_load() { kill -TERM "$load_pid"; wait "$load_pid"; cat "$work/load.json"; }
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))[process.argv[2]])' "$work/load.json" "$1"; }

# Until /readyz answers 200 through the Service (up to 60 s).
api_ready() {
  local url
  url=$(api_url)
  for _ in $(seq 1 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/readyz")" = 200 ] && return 0
    sleep 1
  done
  echo "service: the API at $url did not answer /readyz with 200 within 60 s"; return 1
}

install() {
  restricted_ns "$ns"
  local t
  t=$(date +%s)
  helm install reas "$repo" -n "$ns" --set global.redis.architecture=replication --wait --timeout "${wait_s}s" >/dev/null \
    || { echo "deployment: helm install --wait did not reach Ready"; return 1; }
  echo "figure: helm install --wait (3 Redis pods with Sentinels, 2 API pods): $(( $(date +%s) - t ))s"
  kubectl get pods -n "$ns" -o wide
  local not_ready
  not_ready=$(kubectl get pods -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name} {range .status.containerStatuses[*]}{.ready} {end}{"\n"}{end}' | grep -w false || true)
  [ -z "$not_ready" ] || { echo "deployment: containers not Ready: $not_ready"; return 1; }
  [ "$(kubectl get pods -n "$ns" -l app.kubernetes.io/name=redis -o jsonpath='{range .items[*]}{.spec.containers[*].name}{"\n"}{end}' | sort -u)" = "redis sentinel" ] \
    || { echo "deployment: the Redis pods do not run a redis and a sentinel container each"; return 1; }
  local primary p out
  primary=$(agreed_primary 120)
  echo "figure: the Sentinels agree: primary $primary, two replicas online, quorum reachable"
  for p in reas-redis-0 reas-redis-1 reas-redis-2; do
    eventually 30 sees "$p" sentinels || { echo "deployment: the Sentinel on $p does not see the other two"; return 1; }
    eventually 30 sees "$p" replicas || { echo "deployment: the Sentinel on $p does not list two replicas"; return 1; }
  done
  # Announced by DNS name, not pod IP: what a client gets back resolves through the headless Service.
  rcli reas-redis-0 26379 SENTINEL get-master-addr-by-name mymaster | sed -n 1p | grep -qx "$primary\.reas-redis-headless\.$ns\.svc\.cluster\.local" \
    || { echo "deployment: the Sentinels do not announce the primary by its DNS name"; return 1; }
  # A replica refuses writes; nothing but the primary takes the counter.
  for p in reas-redis-0 reas-redis-1 reas-redis-2; do
    [ "$p" != "$primary" ] || continue
    out=$(rcli "$p" 6379 INCR reas-ha-probe 2>&1 || true)
    grep -q READONLY <<<"$out" || { echo "deployment: replica $p accepted a write: $out"; return 1; }
  done
}

helm_test() {
  local t
  t=$(date +%s)
  helm test reas -n "$ns" --timeout "${wait_s}s" >/dev/null || {
    kubectl logs -n "$ns" job/reas-test --tail=30 || true
    echo "service: helm test failed: the e2e suite through the API (the Redis side passed the install check)"; return 1
  }
  echo "figure: helm test: $(( $(date +%s) - t ))s, $(kubectl logs -n "$ns" job/reas-test | grep -Eo '[0-9]+ (passing|passed)' | tail -n 1 || true)"
}

# trace SINCE: the fault's phases, each with its own clock (all on the one node): the Sentinels' failover events and
# the Redis pods' role changes (a deleted pod's own lines go with it), the API pods following the switch, and the
# client's outage (wall-clock, from load.ts).
trace() {
  local since=$1 p
  for p in reas-redis-0 reas-redis-1 reas-redis-2; do
    kubectl logs -n "$ns" "$p" -c sentinel --since-time="$since" 2>/dev/null \
      | grep -E '[+-](tilt|sdown|odown|try-failover|elected-leader|selected-slave|promoted-slave|failover-state-[a-z-]+|slave-reconf-[a-z]+|switch-master|failover-end|convert-to-slave|role-change)' \
      | sed "s/^/trace: $p sentinel: /" || true
    kubectl logs -n "$ns" "$p" -c redis --since-time="$since" 2>/dev/null \
      | grep -E 'reas: |MASTER MODE|Connecting to MASTER|sync: Finished|Partial resynchronization|Synchronization with replica .* succeeded|Starting|Ready to accept' \
      | sed "s/^/trace: $p redis: /" || true
  done
  for p in $(kubectl get pods -n "$ns" -l app.kubernetes.io/name=api -o jsonpath='{.items[*].metadata.name}'); do
    kubectl logs -n "$ns" "$p" --since-time="$since" 2>/dev/null | grep -E 'switched the primary|redis ready' | cut -c1-200 | sed "s/^/trace: $p: /" || true
  done
  cat "$work/sentinel-samples.log"
  echo "trace: client: longest time without a 200 $(field longestGap); failed answers $(field failures)"
}

# fault NAME ACTION: the shared frame of planned and unplanned. ACTION gets the primary's pod name.
fault() {
  local name=$1 action=$2 with_load=$3 primary before after acked maybe restarts_before
  primary=$(agreed_primary 60)
  echo "figure: $name: primary before: $primary"
  restarts_before=$(kubectl get pod -n "$ns" "$primary" -o jsonpath='{.status.containerStatuses[?(@.name=="redis")].restartCount}')
  if [ "$with_load" = 1 ]; then
    api_ready
    before=$(count)
    start_load
    sleep 3
  fi
  # The fault runs in the background while a surviving pod's Sentinel is polled: the moment the primary serves
  # again (another pod promoted, or the same one restarted) is the Redis side of the outage.
  local other=reas-redis-0 t0 served_ms="" now since
  [ "$primary" != reas-redis-0 ] || other=reas-redis-1
  since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  echo "trace: $(date -u +%H:%M:%S.%3N) $name: the fault begins"
  t0=$(date +%s%N)
  "$action" "$primary" >"$work/action.log" 2>&1 &
  local action_pid=$!
  # What a surviving Sentinel says about the replicas, twice a second for 10 s: the durability rule reads the same.
  ( for _ in $(seq 1 20); do
      echo "trace: $(date -u +%H:%M:%S.%3N) $other's Sentinel: $(rcli "$other" 26379 SENTINEL REPLICAS mymaster 2>/dev/null | paste -sd' ' \
        | grep -oE 'name [^ ]+|flags [^ ]+|slave-priority [0-9]+|last-ok-ping-reply [0-9]+|role-reported [a-z]+' | awk '{printf "%s=%s ", $1, $2}' | sed 's/\.reas-redis-headless[^ ]*//g')"
      sleep 0.5
    done ) >"$work/sentinel-samples.log" 2>&1 &
  local sampler_pid=$!
  sleep 0.5
  while [ -z "$served_ms" ] && [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt "$wait_s" ]; do
    now=$(sentinel_primary "$other" 2>/dev/null || true)
    if [ -n "$now" ] && [ "$now" != "$primary" ] && [ "$(role "$now" 2>/dev/null || true)" = master ]; then served_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    elif [ "$now" = "$primary" ] && [ "$(role "$primary" 2>/dev/null || true)" = master ] && [ "$(kubectl get pod -n "$ns" "$primary" -o jsonpath='{.status.containerStatuses[?(@.name=="redis")].restartCount}' 2>/dev/null || echo 0)" != "${restarts_before:-0}" ]; then
      served_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    fi
    [ -n "$served_ms" ] || sleep 0.2
  done
  wait "$action_pid" || { cat "$work/action.log"; echo "deployment: the $name fault itself failed"; return 1; }
  cat "$work/action.log"
  [ -n "$served_ms" ] || { echo "deployment: no primary served again within ${wait_s}s of the $name fault"; return 1; }
  now=$(agreed_primary "$wait_s")
  local t1 switched=no
  t1=$(date +%s%N)
  [ "$now" = "$primary" ] || switched=yes
  echo "figure: $name: a primary serves again $served_ms ms after the fault ($( [ "$switched" = yes ] && echo "failover to $now" || echo "$primary restarted in place")); Sentinels and all three pods agree again after $(( (t1 - t0) / 1000000 )) ms"
  # Not the `helm test` Job's pod, which completes and is never Ready.
  kubectl wait -n "$ns" --for=condition=Ready pod -l 'app.kubernetes.io/name in (redis,api)' --timeout="${wait_s}s" >/dev/null \
    || { echo "deployment: not every pod is Ready again after the $name fault"; return 1; }
  [ "$(role "$primary")" = "$( [ "$switched" = yes ] && echo slave || echo master)" ] \
    || { echo "deployment: $primary has the wrong role after the fault"; return 1; }
  echo "${switched}" >"$work/switched"
  [ "$with_load" = 1 ] || return 0
  sleep 3
  echo "load:"; stop_load
  wait "$sampler_pid" || true
  trace "$since" >"$work/trace.log" 2>&1 || true
  cat "$work/trace.log"
  # A slow fault (over 5 s without a 200; the planned restart normally costs about 1 s) shows its trace in a quiet
  # run too: that is the run whose trace is worth reading, and it may not come again.
  if node -e 'process.exit(Number(process.argv[1]) > 5000 ? 0 : 1)' "$(field longestGapMs)"; then
    sed 's/^/figure: slow fault, /' "$work/trace.log"
  fi
  after=$(count)
  acked=$(field acknowledged)
  maybe=$(field maybeApplied)
  echo "figure: $name: outage seen by the client: longest time without a 200 $(field longestGapMs) ms, failures from first to last $(field failureWindowMs) ms; failed $(field failed): $(field failuresByKind)"
  echo "figure: $name: count before $before, after $after; acknowledged $acked (distinct $(field distinctAnswers)), may have been applied $maybe; double counts $(( after - before - acked - maybe > 0 ? after - before - acked - maybe : 0 ))"
  [ "$acked" -gt 0 ] || { echo "service: nothing was acknowledged"; return 1; }
  [ "$after" -ge $(( before + acked )) ] || { echo "service: acknowledged increments were lost ($(( before + acked - after )))"; return 1; }
  [ "$after" -le $(( before + acked + maybe )) ] || { echo "service: increments counted that no request accounts for (double counts)"; return 1; }
  [ "$(field distinctAnswers)" = "$acked" ] || { echo "service: a count was answered twice (an acknowledged increment was lost and its number handed out again)"; return 1; }
}

delete_primary() {
  local t
  t=$(date +%s)
  kubectl delete pod -n "$ns" "$1" --wait --timeout="${wait_s}s" >/dev/null
  echo "figure: planned: kubectl delete pod $1 (preStop failover, then shutdown) took $(( $(date +%s) - t ))s"
}
kill_primary() {
  local id
  id=$(kubectl get pod -n "$ns" "$1" -o jsonpath='{.status.containerStatuses[?(@.name=="redis")].containerID}')
  id=${id#containerd://}
  [ -n "$id" ] || { echo "deployment: no container id for $1/redis"; return 1; }
  ctr --address "$node_run/containerd.sock" -n k8s.io tasks kill --signal SIGKILL "$id"
  echo "figure: unplanned: SIGKILL to $1's redis container"
}

planned() {
  fault planned delete_primary 1
  [ "$(cat "$work/switched")" = yes ] || { echo "deployment: deleting the primary's pod did not fail over first"; return 1; }
}

unplanned() {
  fault unplanned kill_primary 1
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(install helm-test planned unplanned)
for s in "${selected[@]}"; do
  case "$s" in
    install) check "replication: helm install, every pod Ready, the three Sentinels agree on one primary with two replicas" install ;;
    helm-test) check "replication: helm test passes through the API" helm_test ;;
    planned) check "replication: deleting the primary's pod fails over before it stops; under load no acknowledged increment lost, none counted twice" planned ;;
    unplanned) check "replication: the primary's container killed without grace: a primary again, the Sentinels agree; under load no acknowledged increment lost, none counted twice" unplanned ;;
    *) die "unknown check '$s' (install, helm-test, planned, unplanned)" ;;
  esac
done
report
