#!/bin/sh
# Same contract as the official redis image's entrypoint: a first argument that is a flag or a .conf file
# means redis-server; redis-server started as root drops to the redis user after taking ownership of /data.
set -e
case "$1" in
  -* | *.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
umask 0077
exec "$@"
