#!/usr/bin/env bash
# Starts a single-machine Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) from upstream binaries built by build.sh, on loopback only, with generated certificates.
# CI uses this where kind cannot run (kind's node image comes from a container registry); users keep kind/minikube.
#
#   hack/cluster/up.sh        build-or-reuse binaries, start, wait for /readyz, print the admin kubeconfig path
#   hack/cluster/down.sh      stop everything and remove all state
#
# Env: REAS_CLUSTER_CACHE (binaries, default /var/cache/reas/k8s), REAS_CLUSTER_STATE (certs, data, logs,
# default /var/tmp/reas-cluster), REAS_APISERVER_PORT (6443), REAS_ETCD_PORT (2379; peer = +1),
# REAS_CM_PORT (10257), REAS_SCHEDULER_PORT (10259), REAS_CLUSTER_TIMEOUT (seconds per component, 240).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"
# shellcheck source=lib.sh
source "$here/lib.sh"

apiserver_port=${REAS_APISERVER_PORT:-6443}
etcd_port=${REAS_ETCD_PORT:-2379}
etcd_peer_port=$((etcd_port + 1))
cm_port=${REAS_CM_PORT:-10257}
scheduler_port=${REAS_SCHEDULER_PORT:-10259}
timeout=${REAS_CLUSTER_TIMEOUT:-240}
# Virtual only: no traffic is routed to it in stage 1 (no kube-proxy); its first address is the
# `kubernetes` Service's ClusterIP and must be in the apiserver's serving certificate.
service_cidr=10.96.0.0/12
service_ip=10.96.0.1

# The `kubernetes` Service gets no endpoints (--endpoint-reconciler-type=none): the only address is loopback,
# which Endpoints validation rejects, and nothing in stage 1 runs a pod that could use it.
start_all=$(date +%s)
need openssl "apt-get install openssl"
need curl "apt-get install curl"
need ss "apt-get install iproute2"

if cluster_running; then
  echo "up.sh: cluster already running (state: $REAS_CLUSTER_STATE); run hack/cluster/down.sh first to restart" >&2
  print_access
  exit 0
fi
# Logs kept by an earlier failed start (see down.sh) belong to that run.
rm -rf "$REAS_CLUSTER_STATE-logs"
if [ -e "$REAS_CLUSTER_STATE" ]; then
  echo "up.sh: removing stale state from a previous run: $REAS_CLUSTER_STATE"
  "$here/down.sh" >/dev/null
fi
for p in "$apiserver_port" "$etcd_port" "$etcd_peer_port" "$cm_port" "$scheduler_port"; do
  if [ -n "$(ss -Htln "sport = :$p")" ]; then
    die "port 127.0.0.1:$p is already in use (set REAS_APISERVER_PORT/REAS_ETCD_PORT/REAS_CM_PORT/REAS_SCHEDULER_PORT)"
  fi
done

t=$(date +%s)
"$here/build.sh"
echo "up.sh: binaries ready in $(( $(date +%s) - t ))s ($CLUSTER_BIN)"

mkdir -p "$pki" "$logs" "$run" "$REAS_CLUSTER_STATE/etcd"
chmod 700 "$REAS_CLUSTER_STATE"

# --- certificates -------------------------------------------------------------------------------
# ECDSA P-256 keys: fast to generate and accepted by every component; 2-day validity is plenty for CI.
newkey() { openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" 2>/dev/null; }
ca() { # name cn
  newkey "$1"
  openssl req -x509 -new -key "$pki/$1.key" -subj "/CN=$2" -days 2 -sha256 -out "$pki/$1.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
}
cert() { # name ca subject extendedKeyUsage [subjectAltName]
  local ext="$pki/$1.ext"
  newkey "$1"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$4"
    [ -z "${5:-}" ] || echo "subjectAltName=$5"
  } >"$ext"
  openssl req -new -key "$pki/$1.key" -subj "$3" -out "$pki/$1.csr"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.crt" -CAkey "$pki/$2.key" -CAcreateserial -days 2 -sha256 \
    -extfile "$ext" -out "$pki/$1.crt" 2>/dev/null
  rm -f "$pki/$1.csr" "$ext"
}
t=$(date +%s)
ca ca reas-cluster-ca
# etcd gets its own CA so that no Kubernetes client certificate can talk to etcd directly.
ca etcd-ca reas-etcd-ca
cert etcd-server etcd-ca "/CN=etcd" serverAuth "IP:127.0.0.1,DNS:localhost"
cert apiserver-etcd-client etcd-ca "/CN=kube-apiserver-etcd-client" clientAuth
cert apiserver ca "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1,IP:$service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
# Front proxy (aggregation layer): without a request-header CA, every delegated authenticator (controller-manager,
# scheduler) logs a missing-CA error on each sync.
ca front-proxy-ca reas-front-proxy-ca
cert front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
cert apiserver-kubelet-client ca "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
cert admin ca "/O=system:masters/CN=reas-admin" clientAuth
cert controller-manager ca "/CN=system:kube-controller-manager" clientAuth
cert scheduler ca "/CN=system:kube-scheduler" clientAuth
# Service-account token signing pair (RSA: the issuer's JWKS is consumed by clients that expect RS256).
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
chmod 600 "$pki"/*.key
echo "up.sh: certificates in $(( $(date +%s) - t ))s ($pki)"

kubeconfig() { # file user
  cat >"$REAS_CLUSTER_STATE/$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: reas
  cluster:
    server: https://127.0.0.1:$apiserver_port
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 <"$pki/$2.crt")
    client-key-data: $(base64 -w0 <"$pki/$2.key")
contexts:
- name: reas
  context:
    cluster: reas
    user: $2
current-context: reas
EOF
  chmod 600 "$REAS_CLUSTER_STATE/$1"
}
kubeconfig admin.kubeconfig admin
kubeconfig controller-manager.kubeconfig controller-manager
kubeconfig scheduler.kubeconfig scheduler

# --- components ---------------------------------------------------------------------------------
etcd_url=https://127.0.0.1:$etcd_port
t=$(date +%s)
# --unsafe-no-fsync: throwaway data on a shared disk; fsync latency would only slow CI down.
start etcd "$CLUSTER_BIN/etcd" \
  --name=reas --data-dir="$REAS_CLUSTER_STATE/etcd" \
  --listen-client-urls="$etcd_url" --advertise-client-urls="$etcd_url" \
  --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster="reas=http://127.0.0.1:$etcd_peer_port" --initial-cluster-state=new \
  --cert-file="$pki/etcd-server.crt" --key-file="$pki/etcd-server.key" \
  --client-cert-auth --trusted-ca-file="$pki/etcd-ca.crt" \
  --unsafe-no-fsync --log-level=warn
wait_healthy etcd "$timeout" curl -fsS --cacert "$pki/etcd-ca.crt" --cert "$pki/apiserver-etcd-client.crt" \
  --key "$pki/apiserver-etcd-client.key" "$etcd_url/health"
echo "up.sh: etcd healthy in $(( $(date +%s) - t ))s"

t=$(date +%s)
start kube-apiserver "$CLUSTER_BIN/kube-apiserver" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$apiserver_port" \
  --endpoint-reconciler-type=none \
  --cert-dir="$REAS_CLUSTER_STATE/apiserver-certs" \
  --etcd-servers="$etcd_url" --etcd-cafile="$pki/etcd-ca.crt" \
  --etcd-certfile="$pki/apiserver-etcd-client.crt" --etcd-keyfile="$pki/apiserver-etcd-client.key" \
  --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP \
  --service-cluster-ip-range="$service_cidr" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$pki/front-proxy-client.crt" --proxy-client-key-file="$pki/front-proxy-client.key" \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction,PodSecurity \
  --allow-privileged=false --profiling=false
wait_healthy kube-apiserver "$timeout" curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
  "https://127.0.0.1:$apiserver_port/readyz"
echo "up.sh: kube-apiserver ready in $(( $(date +%s) - t ))s"

t=$(date +%s)
start kube-controller-manager "$CLUSTER_BIN/kube-controller-manager" \
  --bind-address=127.0.0.1 --secure-port="$cm_port" --cert-dir="$REAS_CLUSTER_STATE/controller-manager-certs" \
  --kubeconfig="$REAS_CLUSTER_STATE/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$REAS_CLUSTER_STATE/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$REAS_CLUSTER_STATE/controller-manager.kubeconfig" \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --controllers='*,bootstrapsigner,tokencleaner' \
  --leader-elect=false --profiling=false
start kube-scheduler "$CLUSTER_BIN/kube-scheduler" \
  --bind-address=127.0.0.1 --secure-port="$scheduler_port" \
  --kubeconfig="$REAS_CLUSTER_STATE/scheduler.kubeconfig" \
  --authentication-kubeconfig="$REAS_CLUSTER_STATE/scheduler.kubeconfig" \
  --authorization-kubeconfig="$REAS_CLUSTER_STATE/scheduler.kubeconfig" \
  --leader-elect=false --profiling=false
# Their serving certificates are self-signed in memory, hence -k; /healthz needs no credentials.
wait_healthy kube-controller-manager "$timeout" curl -fsSk "https://127.0.0.1:$cm_port/healthz"
wait_healthy kube-scheduler "$timeout" curl -fsSk "https://127.0.0.1:$scheduler_port/healthz"
echo "up.sh: controller-manager and scheduler healthy in $(( $(date +%s) - t ))s"

# Pods are only admitted once the namespace's `default` ServiceAccount exists: wait for the controller.
wait_healthy "kube-controller-manager (default ServiceAccount)" "$timeout" curl -fsS --cacert "$pki/ca.crt" \
  --cert "$pki/admin.crt" --key "$pki/admin.key" \
  "https://127.0.0.1:$apiserver_port/api/v1/namespaces/default/serviceaccounts/default" -o /dev/null

echo "up.sh: control plane $K8S_VERSION (etcd $ETCD_VERSION) up in $(( $(date +%s) - start_all ))s"
print_access
