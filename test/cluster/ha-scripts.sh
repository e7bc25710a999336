#!/usr/bin/env bash
# The replication mode's scripts (charts/redis/files) on real redis-server and Sentinel processes, without
# Kubernetes: the ConfigMap `helm template --set global.redis.architecture=replication` renders is run as three
# "pods", each in its own network namespace (10.251.0.10-12 on a bridge in a fourth namespace: no traffic leaves
# them), mount namespace (/etc/hosts with the pods' DNS names, /etc/redis = the ConfigMap read-only, /data, /tmp,
# /sentinel, the password file) and PID namespace (pid 1 a shell whose output is the pod's log), as the pods get.
# Root only (namespaces, mounts); run by ci.sh before the cluster, and by hand:
#
#   sudo test/cluster/ha-scripts.sh [agree] [planned] [restart] [down] [cut-off]      default: all five, in this order
#
#   agree     a fresh start: the three Sentinels agree on pod 0 with two online replicas, CKQUORUM OK, the primary
#             announced by DNS name; a replica refuses INCR
#   planned   the primary's preStop: another pod is primary when it returns, this one is its replica; the pod
#             restarted comes back as a replica and the Sentinels agree
#   restart   the primary's redis-server SIGKILLed and started again at once (the kubelet's first restart): it
#             answers as the primary again, no failover
#   down      the primary's redis-server SIGKILLed and left down: the Sentinels promote a replica after
#             down-after-milliseconds; started again, it joins as a replica; no acknowledged (WAIT 2) increment lost
#   cut-off   pod 0 (after its preStop if it is the primary) deleted and started again while it cannot reach the
#             others, as a new pod whose address the other pods' network policies do not admit yet: it must not
#             start as a second primary; once reachable it joins as a replica and the Sentinels agree
#
# Prints `ok`/`not ok` per check with its figures and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../../hack/cluster/checks.sh"
[ "$(id -u)" = 0 ] || die "needs root (network, mount and PID namespaces)"
for tool in ip unshare nsenter redis-server redis-cli getent timeout; do need "$tool" "apt-get install iproute2 util-linux redis-server coreutils"; done

base=$(mktemp -d /var/tmp/reas-ha-processes.XXXXXX)
prefix=reasha$$
password=ha-processes-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
names=""
for i in 0 1 2; do names="$names reas-redis-$i.reas-redis-headless.reas.svc.cluster.local"; done
names=${names# }
# Mount points the pods' files go on; made here when this machine lacks them, removed again at the end.
made_dirs=()
for d in /data /sentinel /run/secrets/reas /etc/redis; do [ -d "$d" ] || { mkdir -p "$d"; made_dirs+=("$d"); }; done

cleanup() {
  local i p
  for i in 0 1 2; do
    for p in $(ip netns pids "$prefix$i" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  done
  sleep 0.3
  for i in 0 1 2; do ip netns del "$prefix$i" 2>/dev/null || true; done
  ip netns del "${prefix}br" 2>/dev/null || true
  for ((i = ${#made_dirs[@]} - 1; i >= 0; i--)); do rmdir "${made_dirs[$i]}" 2>/dev/null || true; done
  rmdir /run/secrets 2>/dev/null || true
  [ -n "${REAS_HA_KEEP:-}" ] || rm -rf "$base"
  rm -rf "$work"
}
trap cleanup EXIT

# The ConfigMap's files, as the chart renders them (a short down-after keeps the `down` check quick).
helm template reas "$repo" -n reas --set global.redis.architecture=replication --set redis.sentinel.downAfterMilliseconds=3000 \
  --show-only charts/redis/templates/replication-configmap.yaml >"$base/configmap.yaml"
mkdir -p "$base/etc-redis" "$base/secret"
(cd "$repo" && node --import tsx --input-type=module -e "
  import { readFileSync, writeFileSync } from 'node:fs';
  import { parse } from 'yaml';
  const cm = parse(readFileSync(process.argv[1], 'utf8'));
  for (const [file, text] of Object.entries(cm.data)) writeFileSync(process.argv[2] + '/' + file, text);
" "$base/configmap.yaml" "$base/etc-redis")
printf '%s' "$password" >"$base/secret/redis-password"
{
  echo "127.0.0.1 localhost"
  for i in 0 1 2; do echo "10.251.0.1$i reas-redis-$i.reas-redis-headless.reas.svc.cluster.local reas-redis-$i"; done
} >"$base/hosts"

ip netns add "${prefix}br"
ip -n "${prefix}br" link add br0 type bridge
ip -n "${prefix}br" link set br0 up
for i in 0 1 2; do
  ip netns add "$prefix$i"
  ip link add "${prefix}v$i" netns "${prefix}br" type veth peer name eth0 netns "$prefix$i"
  ip -n "${prefix}br" link set "${prefix}v$i" master br0
  ip -n "${prefix}br" link set "${prefix}v$i" up
  ip -n "$prefix$i" addr add "10.251.0.1$i/24" dev eth0
  ip -n "$prefix$i" link set eth0 up
  ip -n "$prefix$i" link set lo up
  mkdir -p "$base/pod$i/data"
done

pod_env() { echo "HOSTNAME=reas-redis-$1 REDIS_NODES='$names' REDIS_PASSWORD_FILE=/var/run/secrets/reas/redis-password SENTINEL_MASTER_SET=mymaster FAILOVER_WAIT_SECONDS=25"; }

# start_pod I: a new "pod" (fresh /tmp and /sentinel, the same /data), its redis and sentinel started by the scripts.
start_pod() {
  local i=$1
  rm -rf "$base/pod$i/tmp" "$base/pod$i/sentinel"
  mkdir -p "$base/pod$i/tmp" "$base/pod$i/sentinel"
  ip netns exec "$prefix$i" unshare -m -p -f --mount-proc --propagation private bash -c "
    mount --bind $base/hosts /etc/hosts
    mount --bind $base/etc-redis /etc/redis && mount -o remount,ro,bind /etc/redis
    mount --bind $base/pod$i/data /data
    mount --bind $base/pod$i/tmp /tmp
    mount --bind $base/pod$i/sentinel /sentinel
    mount --bind $base/secret /run/secrets/reas
    export $(pod_env "$i")
    exec >>$base/pod$i/pod.log 2>&1
    sh /etc/redis/start-redis.sh &
    sh /etc/redis/start-sentinel.sh &
    wait
  " </dev/null &
  echo "$!" >"$base/pod$i/unshare.pid"
}
pod_init() { pgrep -P "$(cat "$base/pod$1/unshare.pid")"; }
# in_pod I CMD...: CMD in pod I's namespaces, with the password for redis-cli.
in_pod() {
  local i=$1
  shift
  nsenter -t "$(pod_init "$i")" -m -p -n env "HOSTNAME=reas-redis-$i" "REDIS_NODES=$names" REDIS_PASSWORD_FILE=/var/run/secrets/reas/redis-password \
    SENTINEL_MASTER_SET=mymaster FAILOVER_WAIT_SECONDS=25 "REDISCLI_AUTH=$password" "$@"
}
cli() { local i=$1; shift; in_pod "$i" timeout 3 redis-cli --no-auth-warning "$@" 2>/dev/null | sed -n 1p; }
sentinel_says() { cli "$1" -p 26379 SENTINEL get-master-addr-by-name mymaster | cut -d. -f1; }
role() { cli "$1" ROLE; }
redis_pid() { # the pod's redis-server (port 6379), by its PID namespace
  local p ns
  ns=$(readlink "/proc/$(pod_init "$1")/ns/pid")
  for p in $(pgrep -f 'redis-server \*:6379'); do [ "$(readlink "/proc/$p/ns/pid")" != "$ns" ] || echo "$p"; done
}
stop_pod() { # as the kubelet does after the preStop: SIGTERM to the containers (both redis-server processes)
  local init p
  init=$(pod_init "$1")
  pkill -TERM -P "$init" 2>/dev/null || true
  for _ in $(seq 1 50); do [ -z "$(redis_pid "$1")" ] && break; sleep 0.1; done
  for p in $(ip netns pids "$prefix$1"); do kill -9 "$p" 2>/dev/null || true; done
}
restart_redis() { # I: the redis container started again in the same pod (the kubelet's restart)
  in_pod "$1" setsid -f sh -c 'sh /etc/redis/start-redis.sh >>/proc/1/fd/1 2>&1'
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Replicas a pod's Sentinel lists as up (neither s_down nor disconnected). A Sentinel learns them from the primary's
# INFO, every 10 s: one that does not know a replica yet cannot re-point it in a failover, and Sentinel then fixes
# that replica only failover-timeout later (seen in CI: the leader ended a failover at once, leaving a replica on the
# dead primary).
sentinel_replicas() {
  in_pod "$1" timeout 3 redis-cli --no-auth-warning -p 26379 SENTINEL REPLICAS mymaster 2>/dev/null \
    | sed -n '/^flags$/{n;p}' | grep -vcE 's_down|disconnected' || true
}

# Until all three Sentinels name the same primary and list both replicas as up, it says master with two online
# replicas, CKQUORUM is OK.
agreed() {
  local limit=$1 deadline p m ok
  deadline=$(( $(date +%s) + limit ))
  while :; do
    ok=1
    m=$(sentinel_says 0 || true)
    for p in 1 2; do [ "$(sentinel_says "$p" || true)" = "$m" ] || ok=0; done
    [ -n "$m" ] || ok=0
    for p in 0 1 2; do [ "$ok" = 0 ] || [ "$(sentinel_replicas "$p")" = 2 ] || ok=0; done
    if [ "$ok" = 1 ]; then
      [ "$(role "${m##*-}")" = master ] || ok=0
      [ "$(in_pod "${m##*-}" redis-cli --no-auth-warning INFO replication 2>/dev/null | tr -d '\r' | grep -c 'state=online')" = 2 ] || ok=0
      cli "${m##*-}" -p 26379 SENTINEL CKQUORUM mymaster | grep -q '^OK' || ok=0
    fi
    if [ "$ok" = 1 ]; then echo "$m"; return 0; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      for p in 0 1 2; do
        echo "pod $p: role $(role "$p"), its Sentinel says $(sentinel_says "$p") and lists $(sentinel_replicas "$p") replicas up, online replicas $(in_pod "$p" redis-cli --no-auth-warning INFO replication 2>/dev/null | tr -d '\r' | grep -c 'state=online'), $(cli "$p" -p 26379 SENTINEL CKQUORUM mymaster 2>&1)" >&2
      done
      return 1
    fi
    sleep 0.5
  done
}

agree() {
  local t primary out
  t=$(now_ms)
  for i in 0 1 2; do start_pod "$i"; sleep 1; done
  primary=$(agreed 60)
  echo "figure: agree: the Sentinels agree on $primary with two online replicas $(( $(now_ms) - t )) ms after the first start"
  [ "$primary" = reas-redis-0 ] || { echo "a fresh start elected $primary, not pod 0"; return 1; }
  [ "$(cli 1 -p 26379 SENTINEL get-master-addr-by-name mymaster)" = reas-redis-0.reas-redis-headless.reas.svc.cluster.local ] \
    || { echo "the primary is not announced by its DNS name"; return 1; }
  out=$(in_pod 1 redis-cli --no-auth-warning INCR reas-probe 2>&1 || true)
  grep -q READONLY <<<"$out" || { echo "a replica accepted a write: $out"; return 1; }
  out=$(in_pod 0 env -u REDISCLI_AUTH redis-cli INCR reas-probe 2>&1 || true)
  grep -q NOAUTH <<<"$out" || { echo "Redis answered without the password: $out"; return 1; }
  out=$(in_pod 0 env -u REDISCLI_AUTH redis-cli -p 26379 SENTINEL masters 2>&1 || true)
  grep -q NOAUTH <<<"$out" || { echo "a Sentinel answered without the password: $out"; return 1; }
}

planned() {
  local primary i t took now
  primary=$(agreed 30)
  i=${primary##*-}
  t=$(now_ms)
  in_pod "$i" sh /etc/redis/pre-stop-redis.sh
  took=$(( $(now_ms) - t ))
  now=$(sentinel_says $(( (i + 1) % 3 )))
  echo "figure: planned: the primary's preStop returned after $took ms; the Sentinels name $now; $primary is now $(role "$i")"
  [ "$now" != "$primary" ] || { echo "the preStop returned without a failover"; return 1; }
  [ "$(role "$i")" = slave ] || { echo "$primary is still a primary after its preStop"; return 1; }
  stop_pod "$i"
  start_pod "$i"
  now=$(agreed 60)
  echo "figure: planned: $primary deleted and started again: a replica of $now; all agree after $(( $(now_ms) - t )) ms"
  [ "$(role "$i")" = slave ] || { echo "$primary did not come back as a replica"; return 1; }
}

restart() {
  local primary i t back
  primary=$(agreed 30)
  i=${primary##*-}
  t=$(now_ms)
  kill -9 "$(redis_pid "$i")"
  sleep 0.3
  restart_redis "$i"
  until [ "$(role "$i")" = master ]; do [ $(( $(now_ms) - t )) -lt 10000 ] || { echo "$primary did not answer as the primary within 10 s"; return 1; }; sleep 0.05; done
  back=$(( $(now_ms) - t ))
  [ "$(agreed 60)" = "$primary" ] || { echo "the Sentinels moved away from $primary"; return 1; }
  echo "figure: restart: $primary SIGKILLed and restarted at once answers as the primary after $back ms (no failover)"
}

down() {
  local primary i t now before after
  primary=$(agreed 30)
  i=${primary##*-}
  for _ in $(seq 1 20); do cli "$i" INCR reas-count >/dev/null; done
  before=$(cli "$i" GET reas-count)
  [ "$(cli "$i" WAIT 2 2000)" = 2 ] || { echo "the increments did not reach both replicas"; return 1; }
  t=$(now_ms)
  kill -9 "$(redis_pid "$i")"
  until now=$(sentinel_says $(( (i + 1) % 3 )) || true); [ -n "$now" ] && [ "$now" != "$primary" ]; do
    [ $(( $(now_ms) - t )) -lt 60000 ] || { echo "no failover within 60 s"; return 1; }
    sleep 0.1
  done
  echo "figure: down: $primary SIGKILLed and left down: the Sentinels switched to $now after $(( $(now_ms) - t )) ms (down-after-milliseconds 3000)"
  restart_redis "$i"
  [ "$(agreed 60)" = "$now" ] || { echo "the Sentinels did not settle on $now"; return 1; }
  [ "$(role "$i")" = slave ] || { echo "$primary came back as a primary next to $now"; return 1; }
  after=$(cli "${now##*-}" GET reas-count)
  echo "figure: down: $primary joined as a replica; acknowledged (WAIT 2) count $before, the new primary has $after"
  [ "$after" = "$before" ] || { echo "acknowledged increments were lost or added"; return 1; }
}

cut_off() {
  local primary t now started
  primary=$(agreed 30)
  # Pod 0 is where a pod that hears from nobody falls back to: the case that could make a second primary.
  [ "$primary" != reas-redis-0 ] || in_pod 0 sh /etc/redis/pre-stop-redis.sh || { echo "pod 0's preStop failed"; return 1; }
  stop_pod 0
  # Its link on the bridge down: what it sends is dropped, as a network policy drops it (no refusal, a timeout).
  ip -n "${prefix}br" link set "${prefix}v0" down
  t=$(now_ms)
  start_pod 0
  sleep 8
  [ "$(role 0)" != master ] || { echo "pod 0 answers as a primary while it cannot reach the others"; ip -n "${prefix}br" link set "${prefix}v0" up; return 1; }
  ip -n "${prefix}br" link set "${prefix}v0" up
  now=$(agreed 60)
  started=$(grep -E '^reas: starting as' "$base/pod0/pod.log" | tail -n 1 || true)
  echo "figure: cut-off: pod 0 cut off for 8 s after its start, then reachable: '$started'; all agree on $now after $(( $(now_ms) - t )) ms"
  [ "$started" = "reas: starting as a replica of $now.reas-redis-headless.reas.svc.cluster.local" ] \
    || { echo "pod 0 did not start as a replica of the primary the Sentinels name ($now)"; return 1; }
  [ "$(role 0)" = slave ] || { echo "pod 0 is not a replica"; return 1; }
}

check_failed_context() { for i in 0 1 2; do echo "---- pod $i ----"; tail -n 15 "$base/pod$i/pod.log" 2>/dev/null | sed "s/$password/***/g"; done; }
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(agree planned restart down cut-off)
for s in "${selected[@]}"; do
  case "$s" in
    agree) check "ha processes: a fresh start elects pod 0; the Sentinels agree; replicas refuse writes; auth required" agree ;;
    planned) check "ha processes: the primary's preStop fails over first; the restarted pod is a replica" planned ;;
    restart) check "ha processes: a primary killed and restarted at once is the primary again" restart ;;
    down) check "ha processes: a primary killed and left down: a replica promoted, no acknowledged increment lost" down ;;
    cut-off) check "ha processes: a restarted pod that cannot reach the others yet does not start as a second primary" cut_off ;;
    *) die "unknown check '$s' (agree, planned, restart, down, cut-off)" ;;
  esac
done
report
