# preStop of a Redis container: a primary that is about to stop (pod deleted, rolling update, drain) first asks
# a Sentinel of another pod to fail over and waits for the switch, so clients move to the new primary before
# this one goes away. A replica stops at once.
. /etc/redis/ha-common.sh
[ "$(ask 127.0.0.1 6379 ROLE || true)" = master ] || exit 0
deadline=$(( $(date +%s) + FAILOVER_WAIT_SECONDS ))
# This process is about to stop: Sentinel must never promote it, and the service, which waits only for replicas
# Sentinel might promote, must not wait for it once it is a replica that has stopped. The Sentinels read the
# priority when they meet it as a replica after the switch. (A restarted pod is a new process with the default.)
ask 127.0.0.1 6379 CONFIG SET replica-priority 0 >/dev/null || true
asked=""
for node in $REDIS_NODES; do
  [ "$node" != "$me" ] || continue
  answer=$(ask "$node" 26379 SENTINEL FAILOVER "$SENTINEL_MASTER_SET" || true)
  if [ "$answer" = OK ]; then asked=$node; break; fi
  log "preStop: the Sentinel on $node did not start a failover: ${answer:-no answer}"
done
if [ -z "$asked" ]; then log "preStop: no Sentinel started a failover; stopping as the primary"; exit 0; fi
log "preStop: the Sentinel on $asked is failing over"
while [ "$(date +%s)" -lt "$deadline" ]; do
  master=$(ask "$asked" 26379 SENTINEL get-master-addr-by-name "$SENTINEL_MASTER_SET" || true)
  if [ -n "$master" ] && [ "$master" != "$me" ]; then
    # The new primary is announced (+switch-master). Turn this one into its replica at once, as Sentinel would a
    # few seconds later: a client still connected here gets READONLY (nothing applied) instead of writing to a
    # primary that is about to go away; then a moment for clients that follow the switch to move.
    ask 127.0.0.1 6379 REPLICAOF "$master" 6379 >/dev/null || true
    # Sentinel ends a failover without re-pointing a replica its link to was down at that moment, and fixes that
    # replica only failover-timeout later: one still following this pod is pointed at the new primary now.
    for node in $REDIS_NODES; do
      [ "$node" != "$me" ] && [ "$node" != "$master" ] || continue
      follows=$(timeout 2 redis-cli --no-auth-warning -h "$node" -p 6379 INFO replication 2>/dev/null | tr -d '\r' | sed -n 's/^master_host://p')
      if [ "$follows" = "$me" ]; then
        ask "$node" 6379 REPLICAOF "$master" 6379 >/dev/null || true
        log "preStop: $node still followed this pod; pointed it at $master"
      fi
    done
    sleep 1
    log "preStop: $master is the primary now; this pod is its replica until it stops"
    exit 0
  fi
  sleep 0.1
done
log "preStop: no switch within ${FAILOVER_WAIT_SECONDS} s; stopping as the primary"
