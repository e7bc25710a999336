# Starts Redis as the primary, or as a replica of the primary the Sentinels name (replication mode).
. /etc/redis/ha-common.sh
umask 077
master=$(sentinel_master)
[ -n "$master" ] || master=$(fallback_master)
{
  printf 'requirepass "%s"\nmasterauth "%s"\n' "$REDISCLI_AUTH" "$REDISCLI_AUTH"
  # The primary lists its replicas by this name, so Sentinel learns stable DNS names, not pod IPs.
  printf 'replica-announce-ip %s\n' "$me"
  [ "$master" = "$me" ] || printf 'replicaof %s 6379\n' "$master"
} >/tmp/redis-start.conf
if [ "$master" = "$me" ]; then log "starting as the primary ($me)"; else log "starting as a replica of $master"; fi
exec redis-server /etc/redis/redis.conf
