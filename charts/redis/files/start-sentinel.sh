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
} >/sentinel/sentinel.conf
log "sentinel: monitoring $master as $SENTINEL_MASTER_SET"
exec redis-server /sentinel/sentinel.conf --sentinel
