# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Sourced first by every cluster check in test/cluster: the repository root, the cluster's versions and state
# layout (versions.sh, lib.sh, with check() and use_cluster), helm and kubectl on PATH (tools.sh), a private work
# dir with an isolated helm state (no user repositories or plugins take part), and the pass/fail counters that
# check() adds to. The calling script sets its own trap, which must remove "$work".
#   source "$(dirname "${BASH_SOURCE[0]}")/../../hack/cluster/checks.sh"
hack_cluster=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$hack_cluster/../.." && pwd)
# shellcheck source=versions.sh
source "$hack_cluster/versions.sh"
# shellcheck source=lib.sh
source "$hack_cluster/lib.sh"
# shellcheck source=tools.sh
source "$hack_cluster/tools.sh"

work=$(mktemp -d)
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
passed=0
failed=0
# REAS_CHECK_VERBOSE=1 prints every check's output, not only a failing one's.
check_verbose=${REAS_CHECK_VERBOSE:-}

# Plain closing line: .ci/run adds up every "N passed, N failed" line.
report() {
  echo "$(basename "$0" .sh): $passed passed, $failed failed${1:+, $1}"
  [ "$failed" = 0 ]
}
