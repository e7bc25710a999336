# Starts the Sentinel beside this Redis pod. Sentinel rewrites its config file, so the file is written into an
# emptyDir at every start, monitoring the primary the other Sentinels name (a restarted Sentinel must not go back
# to the primary of the first install).
. /etc/redis/ha-common.sh
umask 077
master=$(sentinel_master)
[ -n "$master" ] || master=$(fallback_master)
# With resolve-hostnames, Sentinel refuses a name that does not resolve yet, and a new pod's DNS record appears a
# moment after the pod.
tries=0
until getent hosts "$master" >/dev/null && getent hosts "$me" >/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -le 120 ] || { log "sentinel: $master or $me does not resolve after 120 s"; exit 1; }
  sleep 1
done
{
  sed "s/@MASTER@/$master/" /etc/redis/sentinel.conf
  printf 'sentinel auth-pass %s "%s"\nrequirepass "%s"\n' "$SENTINEL_MASTER_SET" "$REDISCLI_AUTH" "$REDISCLI_AUTH"
  printf 'sentinel announce-ip %s\nsentinel announce-port 26379\n' "$me"
  # Every other pod as a replica it knows from the start: otherwise a new Sentinel learns them from the primary's
  # INFO up to 10 s later, and as a failover's leader before that it would leave a replica it does not know on the
  # old primary until failover-timeout (seen in ha-scripts.sh: writes wait for that replica all that time).
  for node in $REDIS_NODES; do
    [ "$node" = "$master" ] || printf 'sentinel known-replica %s %s 6379\n' "$SENTINEL_MASTER_SET" "$node"
  done
} >/sentinel/sentinel.conf
log "sentinel: monitoring $master as $SENTINEL_MASTER_SET"
exec redis-server /sentinel/sentinel.conf --sentinel
