#!/usr/bin/env bash
# Stage 2: adds a real node to the control plane from up.sh: a separate containerd (own root, state and socket;
# any other containerd on the machine, e.g. dockerd's, is left alone), Debian's runc and CNI plugins, kubelet and
# kube-proxy (same build as the control plane) and CoreDNS (from its Go module) as host processes.
#
#   hack/cluster/up.sh && hack/cluster/node-up.sh      then hack/cluster/down.sh removes all of it
#
# Images are never pulled: the pause image is built from kubernetes' own pause.c (in the k8s.io/kubernetes
# module) and the project's images are exported from the local docker (`docker save`) and imported into this
# containerd. REAS_NODE_IMAGES lists them (default: reas:0.1.0 reas-test:0.1.0 redis:7.4.2-bookworm; empty: none).
#
# NetworkPolicy: Debian's CNI bridge plugin enforces none, so kube-router's network policy controller runs beside
# kube-proxy (firewall only: no routing, no service proxy) and filters pod traffic with iptables and ipsets.
#
# Registry: skaffold's flow pushes what it builds (`skaffold run --default-repo localhost:5001 --push`), as kind's
# local-registry recipe does; Debian's docker-registry serves 127.0.0.1:5001 from the state dir, and this containerd
# pulls localhost:5001/* from it over plain HTTP (loopback only). Nothing else is pulled from anywhere.
#
# Network: the node's address is 10.244.0.1 on the bridge reas-cni0 (pods get 10.244.0.0/24 from the CNI bridge
# plugin); kubelet serves there so the API server can reach it for logs and port-forward; CoreDNS answers on
# 10.244.0.1:53 for cluster.local only (no forwarding off the machine); Services (10.96.0.0/12) are kube-proxy
# iptables rules.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=tools.sh
source "$here/tools.sh"

timeout=${REAS_CLUSTER_TIMEOUT:-240}
images=${REAS_NODE_IMAGES-reas:0.1.0 reas-test:0.1.0 redis:7.4.2-bookworm}
node_name=reas-node
node_ip=10.244.0.1
bridge=reas-cni0
pod_cidr=10.244.0.0/24
pause_image=reas.local/pause:3.10.1
apiserver_port=${REAS_APISERVER_PORT:-6443}
ctr_sock=$node_run/containerd.sock
registry_port=${REAS_REGISTRY_PORT:-5001}

start_all=$(date +%s)
[ -f "$admin_kubeconfig" ] || die "no control plane: run hack/cluster/up.sh first"
cluster_running || die "no control plane running: run hack/cluster/up.sh first"
live_pid kubelet >/dev/null && { echo "node-up.sh: node already running"; exit 0; }
need containerd "apt-get install containerd (Debian's, >= 1.6)"
need ctr "apt-get install containerd"
need runc "apt-get install runc"
need gcc "apt-get install gcc libc6-dev (builds the pause image from kubernetes' pause.c)"
need go "install Go >= 1.25 (the binaries and pause.c come from Go modules)"
need ip "apt-get install iproute2"
need iptables "apt-get install iptables"
need docker-registry "apt-get install docker-registry (the node's local registry for skaffold's images)"
need ipset "apt-get install ipset (kube-router's network policies)"
[ -x /usr/lib/cni/bridge ] || die "CNI plugins missing (/usr/lib/cni/bridge): apt-get install containernetworking-plugins"
for c in cpu memory pids; do
  [ -d "/sys/fs/cgroup/$c" ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || die "cgroup controller $c not mounted"
done

t=$(date +%s)
"$here/build.sh" kubelet kube-proxy coredns kube-router
echo "node-up.sh: node binaries ready in $(( $(date +%s) - t ))s"

mkdir -p "$node_dir"/{cni,pv,kubelet,kubelet-certs,containerd,ipam,registry} "$node_run"
# Network namespaces that exist before the node starts are not ours (down.sh removes only the others it finds).
ls /var/run/netns 2>/dev/null >"$node_dir/netns-before" || true
# --- pause image: upstream's pause.c, statically linked, in a hand-made OCI archive -------------------------------
pause_tar="$REAS_CLUSTER_CACHE/$CLUSTER_KEY/images/pause-3.10.1.tar"
if [ ! -f "$pause_tar" ]; then
  src=$(cd "$REAS_CLUSTER_CACHE/$CLUSTER_KEY/src/kubernetes" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -f "$src/build/pause/linux/pause.c" ] || die "pause.c not found in k8s.io/kubernetes@$K8S_VERSION ($src)"
  b=$(mktemp -d)
  # Same flags as build/pause/Makefile.
  gcc -Os -Wall -Werror -static -DVERSION=v3.10.1-0 "$src/build/pause/linux/pause.c" -o "$b/pause"
  "$here/oci-image.sh" "$b/pause" "$pause_image" "$b/pause.tar"
  mkdir -p "$(dirname "$pause_tar")"
  mv "$b/pause.tar" "$pause_tar"
  rm -rf "$b"
fi

# --- containerd ------------------------------------------------------------------------------------------------
cat >"$node_dir/containerd.toml" <<EOF
version = 2
root = "$node_dir/containerd"
state = "$node_run/state"
[grpc]
  address = "$ctr_sock"
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$node_dir/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  stream_server_address = "127.0.0.1"
  # No CAP_SYS_RESOURCE here (negative oom_score_adj is refused): without this every sandbox fails with
  # "runc create failed: can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$node_run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$node_dir/cni"
  # The local registry below; plain HTTP is acceptable only because it listens on loopback.
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."localhost:$registry_port"]
    endpoint = ["http://127.0.0.1:$registry_port"]
EOF
cat >"$node_dir/cni/10-reas.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "reas",
  "plugins": [
    {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$node_dir/ipam", "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "loopback"}
  ]
}
EOF
# The bridge exists before kubelet so that the node address is there to serve on.
if ! ip link show "$bridge" >/dev/null 2>&1; then
  ip link add "$bridge" type bridge
  ip addr add "$node_ip/24" dev "$bridge"
fi
ip link set "$bridge" up
echo "$bridge" >"$node_dir/bridge"
# dockerd sets the FORWARD policy to DROP, and with br_netfilter on even pod-to-pod frames on our bridge pass
# FORWARD: without these, Service traffic (DNAT to a pod on the same bridge) times out. Our own chain, one jump.
iptables -N REAS-CLUSTER-FORWARD 2>/dev/null || iptables -F REAS-CLUSTER-FORWARD
iptables -A REAS-CLUSTER-FORWARD -i "$bridge" -j ACCEPT
iptables -A REAS-CLUSTER-FORWARD -o "$bridge" -j ACCEPT
iptables -C FORWARD -j REAS-CLUSTER-FORWARD 2>/dev/null || iptables -I FORWARD 1 -j REAS-CLUSTER-FORWARD

# --- local registry (skaffold pushes here, containerd pulls from here) -------------------------------------------
cat >"$node_dir/registry.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: "$node_dir/registry"}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$registry_port
EOF
t=$(date +%s)
start registry "$(command -v docker-registry)" serve "$node_dir/registry.yml"
wait_healthy registry "$timeout" curl -fsS "http://127.0.0.1:$registry_port/v2/"
echo "node-up.sh: registry on 127.0.0.1:$registry_port ready in $(( $(date +%s) - t ))s"

t=$(date +%s)
start containerd "$(command -v containerd)" --config "$node_dir/containerd.toml"
wait_healthy containerd "$timeout" ctr --address "$ctr_sock" version
echo "node-up.sh: containerd ready in $(( $(date +%s) - t ))s"

t=$(date +%s)
ctr --address "$ctr_sock" -n k8s.io images import "$pause_tar" >/dev/null
trap stop_our_dockerd EXIT
if [ -n "$images" ]; then
  start_dockerd_if_needed
  for i in $images; do
    /usr/bin/docker image inspect "$i" >/dev/null 2>&1 || die "image $i is not in the local docker (build it first: test/containers/run.sh)"
  done
  # Exported once per set of image IDs: `docker save` of ~1 GB is most of this step.
  # shellcheck disable=SC2086
  key=$(/usr/bin/docker image inspect -f '{{.Id}}' $images | sha256sum | cut -c1-16)
  app_tar="$REAS_CLUSTER_CACHE/images/app-$key.tar"
  if [ ! -f "$app_tar" ]; then
    mkdir -p "$(dirname "$app_tar")"
    rm -f "$REAS_CLUSTER_CACHE"/images/app-*.tar
    # shellcheck disable=SC2086
    /usr/bin/docker save -o "$app_tar.tmp" $images
    mv "$app_tar.tmp" "$app_tar"
  fi
  stop_our_dockerd
  ctr --address "$ctr_sock" -n k8s.io images import "$app_tar" >/dev/null
fi
echo "node-up.sh: images imported in $(( $(date +%s) - t ))s: $pause_image $images"

# --- certificates and kubeconfigs for the node's clients --------------------------------------------------------
node_cert() { # name subject
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" 2>/dev/null
  openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 -sha256 \
    -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
  rm -f "$pki/$1.csr" "$pki/$1.ext"
  chmod 600 "$pki/$1.key"
  cat >"$REAS_CLUSTER_STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: reas
  cluster: {server: "https://127.0.0.1:$apiserver_port", certificate-authority: "$pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$pki/$1.crt", client-key: "$pki/$1.key"}
contexts:
- name: reas
  context: {cluster: reas, user: $1}
current-context: reas
EOF
}
node_cert kubelet "/O=system:nodes/CN=system:node:$node_name"
node_cert kube-proxy "/CN=system:kube-proxy"
node_cert coredns "/CN=system:coredns"
node_cert kube-router "/CN=reas:kube-router"

kubectl_admin() { kubectl --kubeconfig "$admin_kubeconfig" "$@"; }
# CoreDNS reads Services, EndpointSlices, Pods and Namespaces (the upstream CoreDNS ClusterRole).
kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}
EOF

# --- kubelet ----------------------------------------------------------------------------------------------------
cat >"$node_dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
address: $node_ip
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
# This machine has cgroup v1; kubelet 1.35 refuses it unless told (KEP-5573).
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$ctr_sock
clusterDomain: cluster.local
clusterDNS: [$node_ip]
resolvConf: /etc/resolv.conf
# Imported images cannot be pulled again: never garbage-collect them; evict only when really short.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", imagefs.available: "2%"}
serializeImagePulls: false
# No KUBE-FIREWALL / canary chains in the machine's iptables (kube-proxy --cleanup would not remove them).
makeIPTablesUtilChains: false
EOF
t=$(date +%s)
start kubelet "$CLUSTER_BIN/kubelet" --config="$node_dir/kubelet.yaml" \
  --kubeconfig="$REAS_CLUSTER_STATE/kubelet.kubeconfig" --root-dir="$node_dir/kubelet" \
  --cert-dir="$node_dir/kubelet-certs" --hostname-override="$node_name" --node-ip="$node_ip"
wait_healthy kubelet "$timeout" kubectl_admin wait --for=condition=Ready "node/$node_name" --timeout=5s
echo "node-up.sh: kubelet registered, node Ready in $(( $(date +%s) - t ))s"

# --- kube-proxy -------------------------------------------------------------------------------------------------
cat >"$node_dir/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$REAS_CLUSTER_STATE/kube-proxy.kubeconfig"}
hostnameOverride: $node_name
mode: iptables
clusterCIDR: $pod_cidr
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Leave the machine-wide conntrack sysctls alone (shared with dockerd).
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
t=$(date +%s)
start kube-proxy "$CLUSTER_BIN/kube-proxy" --config="$node_dir/kube-proxy.yaml"
wait_healthy kube-proxy "$timeout" curl -fsS http://127.0.0.1:10256/healthz
echo "node-up.sh: kube-proxy healthy in $(( $(date +%s) - t ))s"

# --- CoreDNS ----------------------------------------------------------------------------------------------------
cat >"$node_dir/Corefile" <<EOF
.:53 {
    bind $node_ip
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $REAS_CLUSTER_STATE/coredns.kubeconfig reas
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
}
EOF
t=$(date +%s)
start coredns "$COREDNS_BIN/coredns" -conf "$node_dir/Corefile"
wait_healthy coredns "$timeout" curl -fsS http://127.0.0.1:18181/ready
echo "node-up.sh: CoreDNS ready in $(( $(date +%s) - t ))s"

# --- NetworkPolicy enforcement: kube-router's network policy controller ----------------------------------------
# Only its firewall: no routing (one node, the bridge), no service proxy (kube-proxy). It filters traffic to and
# from local pods with iptables chains and ipsets.
kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "reas:kube-router"}
rules:
# Upstream's read rules (it starts its Service and endpoint informers even with the service proxy off); none of the
# write rules, which are for routing and load balancing.
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "reas:kube-router"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "reas:kube-router"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "reas:kube-router"}
EOF
t=$(date +%s)
start kube-router "$KUBE_ROUTER_BIN/kube-router" --run-router=false --run-firewall=true --run-service-proxy=false \
  --kubeconfig="$REAS_CLUSTER_STATE/kube-router.kubeconfig" --hostname-override="$node_name" \
  --service-cluster-ip-range=10.96.0.0/12 --health-port=20244 --v=2
wait_healthy kube-router "$timeout" curl -fsS http://127.0.0.1:20244/healthz
# Healthy is not enough: its chains are what enforce.
for _ in $(seq 1 30); do iptables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1 && break; sleep 1; done
iptables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1 || fail_component kube-router "healthy, but it created no KUBE-ROUTER-FORWARD chain"
echo "node-up.sh: kube-router (network policies) running in $(( $(date +%s) - t ))s"

# --- storage: a few classless hostPath PersistentVolumes for volumeClaimTemplates --------------------------------
for n in $(seq 0 23); do
  mkdir -p "$node_dir/pv/pv$n"
  # Redis runs as uid 999 and fsGroup does not apply to hostPath: the directory must be writable by anyone.
  chmod 0777 "$node_dir/pv/pv$n"
done
kubectl_admin apply -f - >/dev/null <<EOF
$(for n in $(seq 0 23); do cat <<PV
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: reas-node-pv$n}
spec:
  capacity: {storage: 8Gi}
  accessModes: [ReadWriteOnce]
  # Retain: the hostPath deleter only handles /tmp; down.sh removes the directories with the rest of the state.
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: "$node_dir/pv/pv$n", type: Directory}
PV
done)
EOF

echo "node-up.sh: node $node_name ($node_ip) up in $(( $(date +%s) - start_all ))s"
