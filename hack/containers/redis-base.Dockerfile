# CI stand-in for the official redis:<version>-bookworm image, built by base-images.sh: redis-server and
# redis-cli from Debian's archive (so the version is Debian's, not the tag's), user redis uid/gid 999,
# /data owned by it, and an entrypoint that behaves like the official one for `redis-server ...` commands.
ARG DEBIAN_IMAGE=reas-ci/debian:bookworm
FROM ${DEBIAN_IMAGE}
# uid/gid first so the package reuses them; policy-rc.d stops the package from starting a daemon at build time.
RUN groupadd --system --gid 999 redis \
 && useradd --system --uid 999 --gid redis --home-dir /data --shell /usr/sbin/nologin redis \
 && printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && mkdir -p /data && chown redis:redis /data \
 && redis-server --version
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
LABEL org.reas.stand-in="redis"
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
