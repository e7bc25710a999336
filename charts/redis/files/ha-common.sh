# Sourced by the replication mode's start-up and preStop scripts (global.redis.architecture=replication).
# Environment: REDIS_NODES (every Redis pod's DNS name, space-separated, in ordinal order), REDIS_PASSWORD_FILE
# (the mounted Secret), SENTINEL_MASTER_SET. HOSTNAME is the pod name, the first label of its DNS name.
set -eu
REDISCLI_AUTH=$(cat "$REDIS_PASSWORD_FILE")
export REDISCLI_AUTH

me=""
first=""
for node in $REDIS_NODES; do
  [ -n "$first" ] || first=$node
  [ "${node%%.*}" != "$HOSTNAME" ] || me=$node
done
[ -n "$me" ] || { echo "reas: pod $HOSTNAME is not one of REDIS_NODES ($REDIS_NODES)" >&2; exit 1; }

# Log lines reach the container's log even from a preStop hook, whose own output Kubernetes discards.
log() { echo "reas: $*" >/proc/1/fd/1 2>/dev/null || echo "reas: $*"; }

# ask HOST PORT ARGS...: one redis-cli command, bounded (a dropped packet must not stall a start or a preStop).
ask() {
  host=$1 port=$2
  shift 2
  timeout 2 redis-cli --no-auth-warning -h "$host" -p "$port" "$@" 2>/dev/null | head -n 1
}

# The primary as the first Sentinel that answers names it; empty when none does (a fresh install). With `others`,
# this pod's own Sentinel is not asked.
sentinel_master() {
  for node in $REDIS_NODES; do
    [ "${1:-}" != others ] || [ "$node" != "$me" ] || continue
    master=$(ask "$node" 26379 SENTINEL get-master-addr-by-name "$SENTINEL_MASTER_SET" || true)
    case "$master" in "" | -* | ERR*) ;; *) echo "$master"; return 0 ;; esac
  done
}

# Another Redis pod that says it is a primary; empty when none does.
other_primary() {
  for node in $REDIS_NODES; do
    [ "$node" != "$me" ] || continue
    [ "$(ask "$node" 6379 ROLE || true)" != master ] || { echo "$node"; return 0; }
  done
}

# With no Sentinel answering: another Redis pod that says it is a primary, else the first pod.
fallback_master() {
  other_primary | grep . || echo "$first"
}
