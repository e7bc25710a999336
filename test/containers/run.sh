#!/usr/bin/env bash
# The container check: on a Debian machine, as root, build the images and prove docker-compose.yml under
# Compose and as a Swarm stack, with the test image run against each. Cleans up whatever it started.
#   bash test/containers/run.sh
# Env: REAS_CACHE_DIR (rootfs tarballs and the compose v2 binary, default /var/cache/reas), REAS_API_PORT (host
# port for the compose runs, default 5000), REAS_COMPOSE_V2=false to run the compose check with v1 only,
# KEEP_IMAGES=false to also delete the images it built.
set -euo pipefail

DOCKER=/usr/bin/docker # the first docker on PATH may be a client without buildx, so BuildKit would fail through it
export DOCKER
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

PROJECT=reas-ci # compose project and stack name; distinct from a developer's own `reas`
VERSION=$(node -p "require('./package.json').version")
API_IMAGE=reas:$VERSION
TEST_IMAGE=reas-test:$VERSION
CURL_IMAGE=curlimages/curl:8.11.1
API_PORT=${REAS_API_PORT:-5000}
CACHE_DIR=${REAS_CACHE_DIR:-/var/cache/reas}
# Debian ships only Compose v1 (docker-compose 1.29); v2 is built from its Go module, once, into the cache.
COMPOSE_V2_VERSION=2.29.7
COMPOSE_V2=$CACHE_DIR/bin/docker-compose-v$COMPOSE_V2_VERSION

t_total=$SECONDS
started_dockerd=""
dockerd_pid=""
init_swarm=false
made_secret=false
compose_up=false
stack_up=false
in_cleanup=false

log() { printf '[containers] %s\n' "$*"; }
die() { printf '[containers] FAIL: %s\n' "$*" >&2; exit 1; }

# step NAME CMD...: runs CMD and prints how long it took.
step() {
  local name=$1 t=$SECONDS
  shift
  log "== $name"
  "$@"
  log "== $name: $((SECONDS - t))s"
}

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 2 s until it succeeds.
wait_for() {
  local limit=$1 what=$2 t=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - t >= limit)); then
      # During cleanup a timeout is reported and the rest of the cleanup still runs.
      $in_cleanup && { log "timed out after ${limit}s waiting for $what"; return 1; }
      die "timed out after ${limit}s waiting for $what"
    fi
    sleep 2
  done
  log "$what after $((SECONDS - t))s"
}

COMPOSE=(docker-compose) # the compose under test: v1, then v2
compose() { "${COMPOSE[@]}" -p "$PROJECT" "$@"; }

install_packages() {
  local missing=()
  for p in docker.io docker-compose debootstrap ca-certificates; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "docker.io, docker-compose, debootstrap, ca-certificates already installed"
  fi
  command -v node >/dev/null || die "node is missing on the host: it goes into the node base image"
  log "$($DOCKER --version | head -1); $(docker-compose version --short 2>/dev/null || docker-compose --version)"
}

start_dockerd() {
  if $DOCKER info >/dev/null 2>&1; then
    log "dockerd already running"
    return
  fi
  started_dockerd=$(mktemp /tmp/reas-dockerd-XXXXXX.log)
  dockerd >"$started_dockerd" 2>&1 &
  dockerd_pid=$!
  wait_for 60 "dockerd answering" $DOCKER info
}

build_images() {
  DOCKER_BUILDKIT=1 nice -n 10 $DOCKER build -q -t "$API_IMAGE" . >/dev/null
  DOCKER_BUILDKIT=1 nice -n 10 $DOCKER build -q --target test -t "$TEST_IMAGE" . >/dev/null
  $DOCKER image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^(reas|reas-test|node|redis):" | sed 's/^/[containers] image /'
}

build_compose_v2() {
  if [[ -x $COMPOSE_V2 ]]; then
    log "compose v2: cached at $COMPOSE_V2"
  else
    command -v go >/dev/null || die "go is missing: Compose v2 is built from its Go module (or set REAS_COMPOSE_V2=false)"
    local gobin
    gobin=$(mktemp -d)
    GOBIN=$gobin GOFLAGS=-trimpath nice -n 10 go install \
      -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=v$COMPOSE_V2_VERSION" \
      "github.com/docker/compose/v2/cmd@v$COMPOSE_V2_VERSION"
    mkdir -p "$(dirname "$COMPOSE_V2")"
    mv "$gobin/cmd" "$COMPOSE_V2"
    rm -rf "$gobin"
  fi
  "$COMPOSE_V2" version
}

make_secret() {
  if [[ -s secrets/redis-password ]]; then
    log "using the existing secrets/redis-password"
  else
    # docs/containers.md's command for users, verbatim.
    mkdir -p secrets && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >secrets/redis-password && chmod 644 secrets/redis-password
    made_secret=true
  fi
}

count_is() {
  [[ $($DOCKER run --rm --network "${PROJECT}_frontend" "$CURL_IMAGE" -s http://api:5000/count) == "$1" ]]
}

container_of() { compose ps -q "$1"; }
healthy() { [[ $($DOCKER inspect -f '{{.State.Health.Status}}' "$1") == healthy ]]; }

# The seed's demo as docs/containers.md writes it: two POST /inc from a container on the frontend network.
demo() {
  local network=$1 first second
  first=$($DOCKER run --rm --network "$network" "$CURL_IMAGE" -s -XPOST http://api:5000/inc)
  second=$($DOCKER run --rm --network "$network" "$CURL_IMAGE" -s -XPOST http://api:5000/inc)
  log "demo on $network: curl -XPOST api:5000/inc -> $first, then $second"
  [[ $first == 1 && $second == 2 ]] || die "the demo answered '$first' then '$second', expected 1 then 2"
}

redis_cli() {
  $DOCKER exec "$1" sh -c 'REDISCLI_AUTH="$(cat /run/secrets/redis-password)" redis-cli "$@"' sh "${@:2}"
}

# run_compose CMD...: the compose check with the given compose command line.
run_compose() {
  COMPOSE=("$@")
  REAS_API_PORT=$API_PORT compose up -d --no-build
  compose_up=true
  local api redis
  api=$(container_of api)
  redis=$(container_of redis)
  wait_for 90 "compose api healthy" healthy "$api"
  [[ $(node -e "fetch('http://127.0.0.1:$API_PORT/ok').then(async (r) => console.log(await r.text()))") == 'gin OK' ]] \
    || die "GET /ok on the published host port $API_PORT did not answer 'gin OK'"
  log "host port $API_PORT answers GET /ok"
  [[ -z $($DOCKER port "$redis") ]] || die "redis publishes a host port: $($DOCKER port "$redis")"
  [[ $(redis_cli "$redis" config get appendonly | tail -1) == yes ]] || die "redis runs without AOF"
  log "redis: no published port, appendonly yes, user $($DOCKER exec "$redis" id -u)"

  REAS_API_PORT=$API_PORT compose --profile test run --rm sut
  demo "${PROJECT}_frontend"

  # The count must survive a Redis restart: named volume + AOF.
  compose restart redis
  wait_for 60 "compose redis healthy again" healthy "$redis"
  wait_for 30 "GET /count answering 2 after the Redis restart" count_is 2

  compose --profile test down -v --remove-orphans
  compose_up=false
}

stack_ready() {
  [[ $($DOCKER service ls --filter "name=${PROJECT}_" --format '{{.Name}} {{.Replicas}}' | sort | tr '\n' ' ') == "${PROJECT}_api 2/2 ${PROJECT}_redis 1/1 " ]] &&
    [[ $($DOCKER ps --filter "label=com.docker.swarm.service.name=${PROJECT}_api" --filter health=healthy -q | wc -l) == 2 ]]
}

stack_networks_gone() { [[ -z $($DOCKER network ls -q --filter "label=com.docker.stack.namespace=$PROJECT") ]]; }

# The stack's volume outlives `docker stack rm` and has the same name as the compose project's, so it goes too:
# every deployment here must start from an empty Redis.
volume_gone() {
  ! $DOCKER volume inspect "${PROJECT}_redis-data" >/dev/null 2>&1 || $DOCKER volume rm "${PROJECT}_redis-data"
}

stack_rm() {
  $DOCKER stack rm "$PROJECT"
  wait_for 120 "stack $PROJECT networks removed" stack_networks_gone
  wait_for 60 "volume ${PROJECT}_redis-data removed" volume_gone
  stack_up=false
}

# Leftovers of an interrupted earlier run would make the deployments not fresh.
clean_leftovers() {
  if $DOCKER stack ls --format '{{.Name}}' 2>/dev/null | grep -qx "$PROJECT"; then stack_rm; fi
  docker-compose -p "$PROJECT" --profile test down -v --remove-orphans 2>/dev/null
  wait_for 60 "volume ${PROJECT}_redis-data removed" volume_gone
}

run_swarm() {
  if [[ $($DOCKER info --format '{{.Swarm.LocalNodeState}}') != active ]]; then
    $DOCKER swarm init --advertise-addr 127.0.0.1 >/dev/null
    init_swarm=true
    log "swarm initialised"
  fi
  # First the user's command as written: the engine accepts the file and runs every task healthy. Its routing
  # mesh and VIPs cannot carry traffic on this kernel (no IPVS), so the traffic checks use the CI override.
  $DOCKER stack deploy -c docker-compose.yml "$PROJECT"
  stack_up=true
  wait_for 180 "stack $PROJECT (docker-compose.yml alone): api 2/2 healthy, redis 1/1" stack_ready
  stack_rm

  # REAS_API_PORT=0 turns the published port into an ephemeral host-mode one: see docker-compose.ci.yml.
  REAS_API_PORT=0 $DOCKER stack deploy -c docker-compose.yml -c docker-compose.ci.yml "$PROJECT"
  stack_up=true
  wait_for 180 "stack $PROJECT (with docker-compose.ci.yml): api 2/2 healthy, redis 1/1" stack_ready

  $DOCKER run --rm --network "${PROJECT}_frontend" -e BASE_URL=http://api:5000 -e E2E_EXCLUSIVE=true "$TEST_IMAGE"
  $DOCKER run --rm --network "${PROJECT}_frontend" -e SERVICE=api -e REPLICAS=2 \
    -v "$here/count-across-replicas.ts:/app/test/containers/count-across-replicas.ts:ro" \
    "$TEST_IMAGE" node --import tsx test/containers/count-across-replicas.ts
  demo "${PROJECT}_frontend"
  stack_rm
}

cleanup() {
  local rc=$?
  set +e
  in_cleanup=true
  if $compose_up; then compose --profile test down -v --remove-orphans; fi
  if $stack_up; then stack_rm; fi
  if $init_swarm; then $DOCKER swarm leave --force >/dev/null && log "left the swarm"; fi
  if $made_secret; then rm -f secrets/redis-password; fi
  if [[ ${KEEP_IMAGES:-true} == false ]]; then $DOCKER image rm "$API_IMAGE" "$TEST_IMAGE" >/dev/null; fi
  if [[ -n $dockerd_pid ]]; then
    kill "$dockerd_pid" && wait "$dockerd_pid" 2>/dev/null
    log "stopped the dockerd it started (log: $started_dockerd)"
  fi
  log "total: $((SECONDS - t_total))s, exit $rc"
  exit "$rc"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || die "run as root: it installs packages and starts dockerd"
step "apt packages" install_packages
step "dockerd" start_dockerd
step "base images" nice -n 10 "$root/hack/containers/base-images.sh"
step "API and test images" build_images
step "leftovers of an earlier run" clean_leftovers
step "redis password" make_secret
step "compose v1 (docker-compose): up, sut, demo, Redis restart" run_compose docker-compose
if [[ ${REAS_COMPOSE_V2:-true} == true ]]; then
  step "compose v2 binary" build_compose_v2
  step "compose v2: up, sut, demo, Redis restart" run_compose "$COMPOSE_V2"
else
  log "REAS_COMPOSE_V2=false: compose v2 not checked"
fi
step "swarm stack + test image + replicas + demo" run_swarm
