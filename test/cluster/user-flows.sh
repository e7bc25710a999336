#!/usr/bin/env bash
# The users' flows and faults, on the cluster with a node (hack/cluster/up.sh, node-up.sh):
#
#   test/cluster/user-flows.sh [upgrade] [redis-delete] [networkpolicy] [api-networkpolicy] [skaffold] [skaffold-cdk8s]
#                              [skaffold-dev]     default: all seven, in this order
#
#   skaffold        `skaffold run` builds both images, pushes them to the node's registry (skaffold pushes for any
#                   cluster that is not kind/minikube) and deploys the chart with Helm into namespace reas (labelled
#                   restricted); the API runs the image it built, pinned by digest; `skaffold verify` runs the e2e
#                   suite in the cluster and passes; `skaffold delete` removes the release
#   skaffold-cdk8s  the same with `-p cdk8s` (synth, kubectl apply, the Secret hook), verify passes, delete
#   skaffold-dev    `skaffold dev -p dev` in a copy of the repository: an edit of GET /ok's answer in service/ is
#                   served by the same pod (synced, no new image, no restart), the restore too; figures: save to
#                   served, next to the same edit through `skaffold run` (build, push, helm upgrade, rollout)
#   upgrade         `helm upgrade` of a running release to a new image under a steady light load (one client with a
#                   connection per request, one with keep-alive connections): zero failed requests, every answer a
#                   distinct count, the count afterwards is the count before plus the acknowledged increments, the
#                   new pods run the new image, Redis is not restarted
#   redis-delete    deleting the Redis pod keeps every acknowledged increment: with no traffic, the count after the
#                   new pod is Ready equals the count before; under load, the count afterwards is at least the count
#                   before plus every acknowledged increment (and at most that plus the failures that may have
#                   reached Redis), and the API answers again without a restart
#   networkpolicy   the chart's NetworkPolicy is enforced (kube-router, see node-up.sh): a pod that is not
#                   an admitted client gets no connection to Redis but reaches the API; a pod with the API's labels
#                   gets Redis' answer; with the policy deleted, the first pod reaches Redis too (so the policy, not
#                   the network, stopped it)
#   api-networkpolicy  the API's NetworkPolicy: a pod under it (the API's labels) reaches Redis but not a listener
#                   that admits everyone (egress: Redis and DNS only); with api.networkPolicy.ingressFrom narrowed to a label, a pod
#                   without it is refused, a pod with it gets 200, and the API pods stay Ready (kubelet probes pass)
#
# The order matters on this node: skaffold's build of `reas` is the same image (same ID) as the reas:0.1.0 that
# node-up.sh imported, and containerd 1.6's CRI image store, once it pulls an image whose ID it already has under
# another name, no longer resolves the imported name (kubelet then tries to pull reas:0.1.0 from Docker Hub). So the
# checks that install reas:0.1.0 run before skaffold pulls its build.
#
# Prints `ok`/`not ok` per check and "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../../hack/cluster/checks.sh"

wait_s=${REAS_USER_FLOWS_TIMEOUT:-300}
registry=localhost:${REAS_REGISTRY_PORT:-5001}
use_cluster node
curl -fsS "http://$registry/v2/" >/dev/null || die "the node's registry does not answer on $registry (run hack/cluster/node-up.sh)"

skaffold_bin=$(bash "$repo/hack/tools/install-skaffold.sh") || die "skaffold: hack/tools/install-skaffold.sh failed"

cleanup() {
  local p
  # Load generators a failed check left running (checks run in subshells, so their pids are in a file).
  for p in $(cat "$work/load-pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  helm uninstall reas -n reas-s3 --wait --timeout 60s >/dev/null 2>&1 || true
  helm uninstall reas -n reas --wait --timeout 60s >/dev/null 2>&1 || true
  for ns in reas reas-s3; do kubectl delete namespace "$ns" --ignore-not-found --timeout=60s >/dev/null 2>&1 || true; done
  kubectl delete job -n default -l skaffold.dev/run-id --ignore-not-found >/dev/null 2>&1 || true
  stop_our_dockerd
  rm -rf "$work"
}
trap cleanup EXIT

check_failed_context() { kubectl get pods,events -n "$ctx_ns" 2>&1 | tail -n 30; }

# skaffold as a user runs it: the helm v4 and kubectl of tools.sh first on PATH, Debian's docker client (BuildKit)
# before any other.
sk() {
  PATH="$helm_dir:$kubectl_dir:/usr/bin:$PATH" SKAFFOLD_UPDATE_CHECK=false SKAFFOLD_COLLECT_METRICS=false \
    "$skaffold_bin" "$@" --default-repo "$registry" --interactive=false
}

api_images() { kubectl get pods -n "$1" -l app.kubernetes.io/name=api -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}'; }

# skaffold_flow PROFILE...: run, then verify with the tags run deployed, then delete.
skaffold_flow() {
  restricted_ns reas
  local t
  t=$(date +%s)
  sk run "$@"
  echo "figure: skaffold run $*: $(( $(date +%s) - t ))s"
  # The tags run deployed: build again, which finds every image already built and pushed (a cache hit).
  sk build "$@" -q --file-output="$work/build.json" >/dev/null
  local want
  want=$(node -e 'const b=require(process.argv[1]).builds.find((x)=>x.imageName==="reas"); console.log(b.tag)' "$work/build.json")
  echo "built: $want"
  [[ "$want" == "$registry/reas:"*"@sha256:"* ]] || { echo "the reas image was not pushed to $registry"; return 1; }
  kubectl rollout status -n reas deployment/reas-api --timeout="${wait_s}s"
  api_images reas | sort -u | tee "$work/images"
  [ "$(cat "$work/images")" = "$want" ] || { echo "the API does not run the image skaffold built ($want)"; return 1; }
  t=$(date +%s)
  sk verify "$@" -a "$work/build.json" 2>&1 | tee "$work/verify.log"
  echo "figure: skaffold verify: $(( $(date +%s) - t ))s, $(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$work/verify.log" | tail -n1)"
  sk delete "$@"
}

# until_answer URL BODY TIMEOUT_S: polls URL every 100 ms until it answers BODY; prints the milliseconds it took.
until_answer() {
  local start deadline
  start=$(date +%s%N)
  deadline=$(( $(date +%s) + $3 ))
  until [ "$(curl -s --max-time 2 "$1" || true)" = "$2" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$1 did not answer '$2' within $3 s (last: '$(curl -s --max-time 2 "$1" || true)')" >&2; return 1; }
    sleep 0.1
  done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}

# api_pod_state NS: the API pods' uid, container restart count and image ID, one line each.
api_pod_state() {
  kubectl get pods -n "$1" -l app.kubernetes.io/name=api --field-selector=status.phase=Running \
    -o jsonpath='{range .items[*]}{.metadata.uid} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].imageID}{"\n"}{end}'
}

# skaffold_dev: the dev profile's loop. `skaffold dev -p dev` runs in a copy of the repository; a saved edit of the
# answer of GET /ok (service/routes/health.ts) is served by the same pod (same uid, no container restart, same image:
# synced, no build) within seconds, and so is the restore. For comparison, the same edit with the default profile
# (`skaffold run`: image build, push, helm upgrade --wait, rollout of two replicas with their preStop sleep).
skaffold_dev() {
  restricted_ns reas
  local src="$work/dev-src" route=service/routes/health.ts url state ms dev_pid
  mkdir -p "$src"
  # The tracked files as they are in the working tree: the edits below never touch the checkout.
  (cd "$repo" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$src"
  grep -q "'gin OK'" "$src/$route" || { echo "$route has no 'gin OK' answer to edit"; return 1; }
  (cd "$src" && exec env PATH="$helm_dir:$kubectl_dir:/usr/bin:$PATH" SKAFFOLD_UPDATE_CHECK=false SKAFFOLD_COLLECT_METRICS=false \
    "$skaffold_bin" dev -p dev --port-forward=off --default-repo "$registry" --interactive=false) >"$work/dev.log" 2>&1 &
  dev_pid=$!
  echo "$dev_pid" >>"$work/load-pids"
  local t deadline
  t=$(date +%s)
  deadline=$(( t + wait_s ))
  until grep -q 'Watching for changes' "$work/dev.log"; do
    kill -0 "$dev_pid" 2>/dev/null || { tail -n 40 "$work/dev.log"; echo "skaffold dev exited"; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 40 "$work/dev.log"; echo "skaffold dev did not deploy within ${wait_s}s"; return 1; }
    sleep 1
  done
  echo "figure: skaffold dev -p dev: first build and deploy in $(( $(date +%s) - t ))s"
  url="http://$(kubectl get service -n reas reas-api -o jsonpath='{.spec.clusterIP}'):5000/ok"
  until_answer "$url" 'gin OK' 60 >/dev/null
  state=$(api_pod_state reas)
  echo "API pod (uid restarts imageID): $state"
  [ "$(echo "$state" | wc -l)" = 1 ] || { echo "expected one API pod in the dev profile"; return 1; }

  sed -i "s/'gin OK'/'gin OK, synced'/" "$src/$route"
  ms=$(until_answer "$url" 'gin OK, synced' 60)
  echo "figure: skaffold dev -p dev: save to served in ${ms} ms (file sync, tsx watch restart)"
  cp "$repo/$route" "$src/$route"
  ms=$(until_answer "$url" 'gin OK' 60)
  echo "figure: skaffold dev -p dev: restore to served in ${ms} ms"
  [ "$(api_pod_state reas)" = "$state" ] || { echo "the API pod was replaced or restarted: $(api_pod_state reas)"; return 1; }
  grep -E 'Syncing [0-9]+ files? for' "$work/dev.log" | sed 's/^/skaffold: /'
  grep -q 'Syncing 1 files for' "$work/dev.log" || { echo "skaffold did not report a file sync"; return 1; }
  # Ctrl-C: skaffold dev deletes what it deployed.
  kill -INT "$dev_pid"
  wait "$dev_pid" || true
  ! helm status reas -n reas >/dev/null 2>&1 || { echo "skaffold dev left its release behind"; return 1; }

  # The same edit without the dev profile: a new image and a rollout.
  (cd "$src" && sk run) >"$work/run.log" 2>&1 || { tail -n 40 "$work/run.log"; return 1; }
  url="http://$(kubectl get service -n reas reas-api -o jsonpath='{.spec.clusterIP}'):5000/ok"
  until_answer "$url" 'gin OK' 60 >/dev/null
  sed -i "s/'gin OK'/'gin OK, rebuilt'/" "$src/$route"
  t=$(date +%s%N)
  (cd "$src" && sk run) >"$work/run.log" 2>&1 || { tail -n 40 "$work/run.log"; return 1; }
  ms=$(until_answer "$url" 'gin OK, rebuilt' 60)
  echo "figure: skaffold run (default profile): save to served in $(( ($(date +%s%N) - t) / 1000000 )) ms (image build, push, helm upgrade --wait, rollout)"
  (cd "$src" && sk delete) >/dev/null 2>&1
}

start_load() { # name url [--keep-alive]
  node --import tsx "$hack_cluster/load.ts" --url "$2" --rate "${REAS_LOAD_RATE:-20}" "${@:3}" >"$work/load-$1.json" &
  echo "$!" >>"$work/load-pids"
  eval "load_pid_$1=$!"
}
stop_load() { # name
  local pid_var="load_pid_$1"
  kill -TERM "${!pid_var}"
  wait "${!pid_var}"
  cat "$work/load-$1.json"
}
field() { node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))[process.argv[2]])' "$work/load-$1.json" "$2"; }

# The release the upgrade and redis-delete checks share (installed by the first of them that runs).
s3_release() {
  if ! helm status reas -n reas-s3 >/dev/null 2>&1; then
    restricted_ns reas-s3
    helm install reas "$repo" -n reas-s3 --wait --timeout "${wait_s}s" >/dev/null
  fi
  # The Service's ClusterIP, reached from this host through kube-proxy's rules, as a pod would reach it.
  s3_url="http://$(kubectl get service -n reas-s3 reas-api -o jsonpath='{.spec.clusterIP}'):5000"
  # helm's --wait ends when the pods are Ready; kube-proxy programs the new Service's endpoints a moment later.
  api_answers_ready
}

# Until /readyz answers 200 through the Service (up to 60 s).
api_answers_ready() {
  for _ in $(seq 1 60); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$s3_url/readyz")" = 200 ] && return 0
    sleep 1
  done
  echo "the API at $s3_url did not answer /readyz with 200 within 60 s"; return 1
}
count() { curl -fsS --max-time 5 "$s3_url/count"; }

upgrade() {
  s3_release
  # A new image: the deployed one plus a label, so a different image ID, pushed to the node's registry.
  local new redis_uid before t
  new="$registry/reas:0.1.0-s3-$(date +%s)"
  printf 'FROM reas:0.1.0\nLABEL org.opencontainers.image.revision=stage3-upgrade\n' | /usr/bin/docker build -q -t "$new" - >/dev/null
  /usr/bin/docker push -q "$new" >/dev/null
  redis_uid=$(kubectl get pod -n reas-s3 reas-redis-0 -o jsonpath='{.metadata.uid}')
  before=$(count)
  start_load fresh "$s3_url"
  start_load keepalive "$s3_url" --keep-alive
  sleep 3
  t=$(date +%s)
  helm upgrade reas "$repo" -n reas-s3 --reuse-values --set api.image.repository="${new%:*}" --set api.image.tag="${new##*:}" \
    --wait --timeout "${wait_s}s" >/dev/null
  echo "figure: helm upgrade --wait: $(( $(date +%s) - t ))s"
  # Until the old pods have finished terminating (preStop sleep, then the drain), and a little after.
  kubectl wait -n reas-s3 --for=delete pod -l app.kubernetes.io/name=api,pod-template-hash!="$(kubectl get rs -n reas-s3 \
    -l app.kubernetes.io/name=api --sort-by=.metadata.creationTimestamp -o jsonpath='{.items[-1:].metadata.labels.pod-template-hash}')" \
    --timeout="${wait_s}s" || true
  sleep 3
  echo "load, a connection per request:"; stop_load fresh
  echo "load, keep-alive:"; stop_load keepalive
  local after acked=0 n
  after=$(count)
  for n in fresh keepalive; do
    [ "$(field "$n" failed)" = 0 ] || { echo "$n: requests failed during the upgrade"; return 1; }
    [ "$(field "$n" acknowledged)" -ge 100 ] || { echo "$n: too few requests to span the rollout"; return 1; }
    [ "$(field "$n" distinctAnswers)" = "$(field "$n" acknowledged)" ] || { echo "$n: a count was answered twice"; return 1; }
    acked=$(( acked + $(field "$n" acknowledged) ))
  done
  for n in fresh keepalive; do
    echo "figure: load ($n): $(field "$n" sent) sent over $(field "$n" seconds) s, $(field "$n" acknowledged) acknowledged, $(field "$n" failed) failed"
  done
  echo "figure: keep-alive answers with Connection: close (draining pods telling the client to reconnect): $(field keepalive toldToClose)"
  echo "figure: count before $before, after $after, acknowledged $acked"
  [ "$after" = "$(( before + acked ))" ] || { echo "count after != before + acknowledged"; return 1; }
  api_images reas-s3 | sort | uniq -c
  [ "$(api_images reas-s3 | sort -u)" = "$new" ] || { echo "not every API pod runs $new"; return 1; }
  [ "$(api_images reas-s3 | wc -l)" = 2 ] || { echo "expected 2 API pods"; return 1; }
  [ "$(kubectl get pod -n reas-s3 reas-redis-0 -o jsonpath='{.metadata.uid}')" = "$redis_uid" ] \
    || { echo "the API upgrade restarted Redis"; return 1; }
}

wait_api_ready() {
  kubectl wait -n reas-s3 --for=condition=Ready pod -l app.kubernetes.io/instance=reas --timeout="${wait_s}s"
  api_answers_ready
}

redis_delete() {
  s3_release
  local before after t api_uids acked maybe
  api_uids=$(kubectl get pods -n reas-s3 -l app.kubernetes.io/name=api -o jsonpath='{.items[*].metadata.uid}')
  # Quiet: acknowledged increments, then the pod deleted as a user or a node drain would.
  for _ in $(seq 1 50); do curl -fsS --max-time 5 -X POST "$s3_url/inc" >/dev/null; done
  before=$(count)
  t=$(date +%s)
  kubectl delete pod -n reas-s3 reas-redis-0 --wait --timeout="${wait_s}s"
  kubectl wait -n reas-s3 --for=create pod/reas-redis-0 --timeout="${wait_s}s"
  wait_api_ready
  after=$(count)
  echo "figure: quiet: count before $before, after $after; Redis and the API ready again in $(( $(date +%s) - t ))s"
  [ "$after" = "$before" ] || { echo "increments were lost"; return 1; }
  # Under load: whatever was acknowledged survives; failures while Redis is away are expected and bounded.
  start_load fresh "$s3_url"
  sleep 3
  kubectl delete pod -n reas-s3 reas-redis-0 --wait --timeout="${wait_s}s"
  kubectl wait -n reas-s3 --for=create pod/reas-redis-0 --timeout="${wait_s}s"
  wait_api_ready
  sleep 3
  stop_load fresh
  after=$(count)
  acked=$(field fresh acknowledged)
  maybe=$(field fresh maybeApplied)
  echo "figure: under load: count before $before, after $after, acknowledged $acked, failed $(field fresh failed) (may have reached Redis: $maybe): $(field fresh failuresByKind)"
  [ "$after" -ge $(( before + acked )) ] || { echo "acknowledged increments were lost"; return 1; }
  [ "$after" -le $(( before + acked + maybe )) ] || { echo "more increments than requests that could have made them"; return 1; }
  [ "$acked" -gt 0 ] || { echo "nothing was acknowledged"; return 1; }
  [ "$(kubectl get pods -n reas-s3 -l app.kubernetes.io/name=api -o jsonpath='{.items[*].metadata.uid}')" = "$api_uids" ] \
    || { echo "API pods were replaced (they should ride out a Redis restart)"; return 1; }
  kubectl get pods -n reas-s3 -l app.kubernetes.io/name=api -o jsonpath='{range .items[*]}{.metadata.name} restarts={.status.containerStatuses[0].restartCount}{"\n"}{end}'
}

# probe NAME LABELS HOST:PORT...: a one-shot pod (restricted PSS) in reas-s3 that opens a TCP connection to each
# target and prints what came back: Redis' first reply line to PING, the API's status line, `timeout`, or the error.
probe() {
  local name=$1 labels=$2
  shift 2
  kubectl apply -n reas-s3 -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $name, labels: $labels}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: probe
    image: reas-test:0.1.0
    imagePullPolicy: IfNotPresent
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    command:
    - node
    - -e
    - |
      const net = require('node:net');
      const probe = (host, port) => new Promise((resolve) => {
        const socket = net.connect(Number(port), host);
        const done = (result) => { socket.destroy(); resolve(result); };
        socket.setTimeout(4000, () => done('timeout'));
        socket.on('connect', () => socket.write(port === '6379' ? 'PING\r\n' : 'GET /ok HTTP/1.0\r\n\r\n'));
        socket.on('data', (data) => done('reply ' + data.toString().split('\r\n')[0]));
        socket.on('error', (error) => done('error ' + error.code));
      });
      // Up to 10 tries a second apart: the policy controller learns a new pod's IP (and a policy change) a moment
      // after the pod starts, as with most NetworkPolicy implementations. A target is tried until it answers, or,
      // written !host:port, until it does not (a policy on this pod's own egress starts when the controller has
      // seen the pod). The last result is printed.
      (async () => {
        for (const arg of process.argv.slice(1)) {
          const untilBlocked = arg.startsWith('!');
          const target = untilBlocked ? arg.slice(1) : arg;
          let result;
          for (let i = 0; i < 10; i += 1) {
            result = await probe(...target.split(':'));
            if (result.startsWith('reply') !== untilBlocked) break;
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
          console.log(target, result);
        }
      })();
$(for t in "$@"; do echo "    - '$t'"; done)
EOF
  kubectl wait -n reas-s3 --for=jsonpath='{.status.phase}'=Succeeded "pod/$name" --timeout=120s >/dev/null
  kubectl logs -n reas-s3 "pod/$name" >"$work/probe-$name"
  sed "s/^/figure: probe $name -> /" "$work/probe-$name"
  kubectl delete pod -n reas-s3 "$name" --wait=false >/dev/null
}

networkpolicy() {
  s3_release
  kubectl get networkpolicy -n reas-s3 reas-redis >/dev/null
  probe intruder '{app.kubernetes.io/name: intruder, app.kubernetes.io/instance: reas}' reas-redis:6379 reas-api:5000
  # Blocked is no answer: a timeout (dropped) or a refusal (kube-router rejects); the probes below show Redis answers.
  grep -Eqx 'reas-redis:6379 (timeout|error ECONNREFUSED|error EHOSTUNREACH)' "$work/probe-intruder" \
    || { echo "a pod that is no admitted client reached Redis"; return 1; }
  grep -qx 'reas-api:5000 reply HTTP/1.1 200 OK' "$work/probe-intruder" || { echo "the same pod could not reach the API"; return 1; }
  probe api-like '{app.kubernetes.io/name: api, app.kubernetes.io/instance: reas}' reas-redis:6379
  grep -q '^reas-redis:6379 reply -NOAUTH' "$work/probe-api-like" || { echo "a pod with the API's labels got no answer from Redis"; return 1; }
  kubectl delete networkpolicy -n reas-s3 reas-redis
  probe intruder-unguarded '{app.kubernetes.io/name: intruder, app.kubernetes.io/instance: reas}' reas-redis:6379
  grep -q '^reas-redis:6379 reply -NOAUTH' "$work/probe-intruder-unguarded" \
    || { echo "without the policy the pod still got no answer: the network, not the policy, blocked it"; return 1; }
  # Put the policy back for whatever runs next on this release.
  helm upgrade reas "$repo" -n reas-s3 --reuse-values --wait --timeout "${wait_s}s" >/dev/null
  kubectl get networkpolicy -n reas-s3 reas-redis >/dev/null
}

# The API's own NetworkPolicy: its egress reaches Redis and DNS only, and a narrowed ingress admits only the peers
# named in api.networkPolicy.ingressFrom. A pod with the API's labels is under that policy, as the API pods are.
# listener: a pod under no policy that answers any bytes with an HTTP status line, behind Service listener:8080: a
# destination whose own ingress admits everyone, so a refusal can only come from the caller's egress policy.
listener() {
  kubectl apply -n reas-s3 -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: listener, labels: {app.kubernetes.io/name: listener}}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: listener
    image: reas-test:0.1.0
    imagePullPolicy: IfNotPresent
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
    command: [node, -e, "require('node:net').createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\\\\r\\\\n\\\\r\\\\n'))).listen(8080)"]
    ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: listener}
spec:
  selector: {app.kubernetes.io/name: listener}
  ports: [{port: 8080, targetPort: 8080}]
EOF
  kubectl wait -n reas-s3 --for=condition=Ready pod/listener --timeout=60s >/dev/null
}

api_networkpolicy() {
  s3_release
  kubectl get networkpolicy -n reas-s3 reas-api >/dev/null
  listener
  probe listener-control '{app.kubernetes.io/name: intruder, app.kubernetes.io/instance: reas}' listener:8080
  grep -qx 'listener:8080 reply HTTP/1.1 200 OK' "$work/probe-listener-control" || { echo "the listener does not answer a pod under no policy"; return 1; }
  probe api-egress '{app.kubernetes.io/name: api, app.kubernetes.io/instance: reas}' '!listener:8080' reas-redis:6379
  grep -Eqx 'listener:8080 (timeout|error ECONNREFUSED|error EHOSTUNREACH)' "$work/probe-api-egress" \
    || { echo "a pod under the API's policy reached something other than Redis and DNS (the listener)"; return 1; }
  grep -q '^reas-redis:6379 reply -NOAUTH' "$work/probe-api-egress" || { echo "a pod under the API's policy did not reach Redis"; return 1; }
  kubectl delete -n reas-s3 pod/listener service/listener --wait=false >/dev/null
  helm upgrade reas "$repo" -n reas-s3 --reuse-values --wait --timeout "${wait_s}s" \
    --set-json 'api.networkPolicy.ingressFrom=[{"podSelector":{"matchLabels":{"reas.example/client":"yes"}}}]' >/dev/null
  # The policy controller applies a changed policy a moment after the upgrade: tried until refused (10 s at most).
  probe api-outsider '{app.kubernetes.io/name: intruder, app.kubernetes.io/instance: reas}' '!reas-api:5000'
  grep -Eqx 'reas-api:5000 (timeout|error ECONNREFUSED|error EHOSTUNREACH)' "$work/probe-api-outsider" \
    || { echo "with ingress narrowed, a pod outside ingressFrom still reached the API"; return 1; }
  probe api-client '{app.kubernetes.io/name: client, app.kubernetes.io/instance: reas, reas.example/client: "yes"}' reas-api:5000
  grep -qx 'reas-api:5000 reply HTTP/1.1 200 OK' "$work/probe-api-client" \
    || { echo "with ingress narrowed, a pod named in ingressFrom could not reach the API (or the API pods went unready)"; return 1; }
  kubectl wait --for=condition=Ready pod -n reas-s3 -l app.kubernetes.io/name=api --timeout=30s >/dev/null \
    || { echo "the API pods are not Ready under the narrowed policy: the kubelet's probes were refused"; return 1; }
  helm upgrade reas "$repo" -n reas-s3 --reuse-values --wait --timeout "${wait_s}s" --set-json 'api.networkPolicy.ingressFrom=[]' >/dev/null
}

start_dockerd_if_needed
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=(upgrade redis-delete networkpolicy api-networkpolicy skaffold skaffold-cdk8s skaffold-dev)
for s in "${selected[@]}"; do
  ctx_ns=reas-s3
  case "$s" in skaffold*) ctx_ns=reas ;; esac
  case "$s" in
    skaffold) check "skaffold run deploys with Helm what it built and pushed; skaffold verify passes" skaffold_flow ;;
    skaffold-cdk8s) check "skaffold run -p cdk8s deploys the synth; skaffold verify passes" skaffold_flow -p cdk8s ;;
    skaffold-dev) check "skaffold dev -p dev: a saved edit in service/ is served by the same pod, synced without a new image" skaffold_dev ;;
    upgrade) check "helm upgrade to a new image under load: zero failed requests, every increment counted once" upgrade ;;
    redis-delete) check "deleting the Redis pod keeps every acknowledged increment" redis_delete ;;
    networkpolicy) check "the Redis NetworkPolicy is enforced: only admitted clients reach Redis" networkpolicy ;;
    api-networkpolicy) check "the API NetworkPolicy is enforced: egress to Redis and DNS only; a narrowed ingress admits only its peers" api_networkpolicy ;;
    *) die "unknown check '$s' (upgrade, redis-delete, networkpolicy, api-networkpolicy, skaffold, skaffold-cdk8s, skaffold-dev)" ;;
  esac
done
report
