# reas API image (the default, last stage), its test image (`--target test`) and the dev loop's (`--target dev`).
#   docker build -t reas:0.1.0 .
#   docker build --target test -t reas-test:0.1.0 .
# Works with BuildKit and with the classic builder (DOCKER_BUILDKIT=0): no RUN --mount, no syntax directive
# that would need a frontend image from a registry.

# NODE_IMAGE is the base of every stage; it defaults to the official image of the current Node LTS on
# Debian trixie. CI, which cannot pull, builds a stand-in under the same tag (hack/containers/base-images.sh).
ARG NODE_IMAGE=node:26-trixie-slim

# deps: every dependency, dev ones included, from the lockfile alone so this layer survives code edits.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=warn

# build: type-checks service/ and bundles it with its production dependencies into dist/server.js, beside the
# licence texts of those dependencies (hack/build.ts).
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY hack/build.ts ./hack/
COPY service ./service
RUN npm run build

# test-deps: what the test stage takes, gathered on the Node base: the e2e suite's own dependencies (mocha, chai and
# tsx, pinned in test/e2e/package.json and its lockfile, none of the root's), and under /rootfs node with the shared
# libraries it links (as ldd resolves them, plus the loader's cache), a sticky /tmp and a passwd entry for uid 1000.
# chroot runs that node in /rootfs alone, so a missing library fails the build, not the test run.
FROM ${NODE_IMAGE} AS test-deps
WORKDIR /app
COPY test/e2e/package.json test/e2e/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=warn
RUN node="$(command -v node)" \
 && mkdir -p /rootfs/etc /rootfs/tmp \
 && chmod 1777 /rootfs/tmp \
 && cp --parents -L "$node" /rootfs/ \
 && ldd "$node" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | xargs -r -I{} cp --parents -L {} /rootfs/ \
 && if [ -f /etc/ld.so.cache ]; then cp /etc/ld.so.cache /rootfs/etc/; fi \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/tmp:/sbin/nologin\n' >/rootfs/etc/passwd \
 && printf 'root:x:0:\nnode:x:1000:\n' >/rootfs/etc/group \
 && printf 'hosts: files dns\n' >/rootfs/etc/nsswitch.conf \
 && chroot /rootfs "$node" -e "process.stdout.write('node ' + process.version + ' runs alone\\n')"

# test: the mocha + chai suite of test/e2e, run against any deployment given BASE_URL. Only what it runs with, on an
# empty base: node and its libraries (no shell, no npm), the suite's dependencies, test/e2e and the reporter that
# prints the "N passed, N failed" line. Editing other tests or the root's dependencies leaves the image as it is.
# The suite's manifest as /app/package.json ("type": "module") makes every .ts under /app ESM, as the root's does
# outside the image: the suite and what is mounted next to it (test/containers/count-across-replicas.ts).
# The same image serves compose's `sut`, the Swarm check, `helm test` and skaffold's verify step.
FROM scratch AS test
COPY --from=test-deps /rootfs/ /
WORKDIR /app
COPY --from=test-deps /app/package.json ./
COPY --from=test-deps /app/node_modules ./node_modules
COPY test/helpers/reporter.cjs ./test/helpers/
COPY test/e2e ./test/e2e
# tsx compiles the suite on the fly and caches under /tmp only, so a read-only root filesystem works.
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    NODE_ENV=test
USER 1000:1000
CMD ["node", "node_modules/mocha/bin/mocha.js", "--config", "test/e2e/.mocharc.json"]

# dev: the dev loop's image (`skaffold dev -p dev`): the TypeScript source run by tsx watch, which restarts the server
# when skaffold syncs a saved file under service/ into the running container, so a save needs no image build and no
# rollout. The source belongs to the runtime's unprivileged user, as skaffold's sync writes it as that user; the dev
# profile turns the read-only root filesystem off for this and keeps non-root and the restricted Pod Security
# Standard. tsx maps stack traces to the .ts lines.
FROM deps AS dev
ENV NODE_ENV=development \
    PORT=5000
COPY tsconfig.json ./
COPY --chown=10001:10001 service ./service
USER 10001:10001
EXPOSE 5000
CMD ["node", "node_modules/tsx/dist/cli.mjs", "watch", "--clear-screen=false", "service/server.ts"]

# debug: dev with the Node inspector on the pod's loopback (127.0.0.1:9229), which only a port-forward reaches
# (`skaffold dev -p dev,debug` opens one to localhost:9229).
FROM dev AS debug
CMD ["node", "node_modules/tsx/dist/cli.mjs", "watch", "--clear-screen=false", "--inspect=127.0.0.1:9229", "service/server.ts"]

# runtime: the bundle (the service with its production dependencies, one file: no node_modules), its source map and
# its dependencies' licence texts, as an unprivileged numeric user that owns nothing in the image, so the root
# filesystem can be mounted read-only.
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="reas" \
      org.opencontainers.image.description="HTTP counter API over Redis (Koa + ioredis)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    PORT=5000
WORKDIR /app
# package.json carries "type": "module", which the bundle (ESM) needs at run time.
COPY package.json ./
COPY --from=build /app/dist/server.js /app/dist/server.js.map /app/dist/third-party-licenses.txt ./dist/
USER 10001:10001
EXPOSE 5000
# Liveness, not readiness: /ok needs no Redis, so an outage of Redis does not get every API task restarted
# (Swarm replaces unhealthy tasks); /readyz is for Kubernetes' readiness probe. Node's fetch, no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5000) + '/ok').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly, no npm wrapper, so SIGTERM reaches the server for its graceful shutdown. --disable-sigusr1
# (Node 22.14+): SIGUSR1 would otherwise open the inspector on 127.0.0.1:9229, reachable from every container
# of the pod. --disable-warning=DEP0169: Node's warning about ioredis's url.parse(), which it prints for bundled
# code only (hack/lib/server-command.ts).
CMD ["node", "--disable-sigusr1", "--disable-warning=DEP0169", "dist/server.js"]
