# CI stand-in for the official node:<major>-trixie-slim image, built by base-images.sh from a debootstrapped
# Debian and the node + npm first on the host's PATH (.ci/run puts the image's Node 26 there), with the shared
# libraries that node needs and a minbase Debian lacks (libatomic).
# Mirrors what the Dockerfile relies on: node and npm on PATH in /usr/local, user node uid/gid 1000.
# It also carries the CI host's CA bundle: HTTPS from containers here only verifies against it, and keeping
# it in this CI-only base means `npm ci` in the Dockerfile works unchanged, with nothing CI-specific in it.
ARG DEBIAN_IMAGE=reas-ci/debian:trixie
FROM ${DEBIAN_IMAGE}
COPY node /usr/local/bin/node
COPY lib/ /usr/local/lib/
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /usr/local/share/reas-ci/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/reas-ci/ca-certificates.crt
RUN ldconfig \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
LABEL org.reas.stand-in="node"
CMD ["node"]
