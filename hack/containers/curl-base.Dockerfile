# CI stand-in for the curlimages/curl image the demo of docs/containers.md uses (`docker run ... curlimages/curl -s -XPOST
# http://api:5000/inc`), built by base-images.sh so CI runs that command exactly as documented.
ARG DEBIAN_IMAGE=reas-ci/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
LABEL org.reas.stand-in="curl"
USER 100:101
ENTRYPOINT ["curl"]
CMD ["--help"]
