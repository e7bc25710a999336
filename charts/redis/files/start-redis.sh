# Starts Redis as the primary, or as a replica of the primary the Sentinels name (replication mode).
. /etc/redis/ha-common.sh
umask 077
master=$(sentinel_master)
if [ -z "$master" ] && [ -d /data/appendonlydir ]; then
  # This pod ran before (it has an AOF), yet no Sentinel answers: far more often it cannot reach the other pods yet
  # (a new pod's address reaches their network policies a few seconds after it starts; seen on the CI cluster)
  # than they are all gone. Falling back to the first pod now would make that pod a second primary beside the one
  # the Sentinels name, so it keeps asking for up to STARTUP_WAIT_SECONDS (all pods restarted: pod 0 after that).
  # Not its own Sentinel: one that started cut off too monitors pod 0 by the same fallback. By the clock, as one
  # round of asking can take seconds when packets are dropped.
  began=$(date +%s)
  while [ -z "$master" ] && [ $(( $(date +%s) - began )) -lt "${STARTUP_WAIT_SECONDS:-30}" ]; do
    sleep 1
    master=$(sentinel_master others)
    [ -n "$master" ] || master=$(other_primary)
  done
  log "no Sentinel or primary answered at first; after $(( $(date +%s) - began ))s: ${master:-still none}"
fi
[ -n "$master" ] || master=$(fallback_master)
{
  printf 'requirepass "%s"\nmasterauth "%s"\n' "$REDISCLI_AUTH" "$REDISCLI_AUTH"
  # The primary lists its replicas by this name, so Sentinel learns stable DNS names, not pod IPs.
  printf 'replica-announce-ip %s\n' "$me"
  [ "$master" = "$me" ] || printf 'replicaof %s 6379\n' "$master"
} >/tmp/redis-start.conf
if [ "$master" = "$me" ]; then log "starting as the primary ($me)"; else log "starting as a replica of $master"; fi
exec redis-server /etc/redis/redis.conf
