#!/usr/bin/env bash
# The field's chart checkers over this chart, as platform teams run them (in .ci/run, not in npm test):
#   helm-docs    the values table of docs/chart.md is what helm-docs writes from the values' comments now
#   ct lint      chart-testing with ct.yaml: helm lint + yamllint + Chart.yaml schema, once per ci/*-values.yaml
#   kube-score   over the render of every ci/*-values.yaml
#   checkov      --framework kubernetes over the same renders
# Every remaining kube-score/checkov finding must be in allow-list.yaml with its reason; a new one fails, and so does
# an allow-list entry that no longer matches anything. Prints each tool's finding counts.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"

bin=$(bash hack/tools/install-chart-tools.sh)
helm=$(node --import tsx --input-type=module -e "import { helmBinary } from './hack/lib/helm.ts'; console.log(helmBinary());")
export PATH="$bin:$(dirname "$helm"):$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> the values table of docs/chart.md (helm-docs)"
bash hack/tools/values-table.sh --check

echo "==> ct lint (chart-testing $(ct version | sed -n 's/^Version:[[:space:]]*//p'), ct.yaml)"
# ct needs a git work tree; a fresh clone is one. helm dependency build writes a Chart.lock (git-ignored).
ct lint --config ct.yaml --chart-yaml-schema "$bin/chart_schema.yaml" --lint-conf "$bin/lintconf.yaml" >"$work/ct.log" 2>&1 || {
  cat "$work/ct.log"; echo "ct lint failed" >&2; exit 1; }
grep -E '^ (✔|✖)' "$work/ct.log" || true

echo "==> renders of every ci/*-values.yaml"
mkdir -p "$work/renders"
for values in ci/*-values.yaml; do
  release=reas
  [ "$values" = ci/long-release-name-values.yaml ] && release=reas-release-name-that-is-exactly-fifty-three-chars-x
  helm template "$release" . --namespace reas --kube-version 1.35.0 --values "$values" >"$work/renders/$(basename "$values")"
done
ls "$work/renders"

echo "==> kube-score $(kube-score version | sed -n 's/^kube-score version: \([^,]*\),.*/\1/p')"
for render in "$work"/renders/*.yaml; do
  # Exit status 1 means findings, which the allow-list judges; anything else is a failure of the tool.
  rc=0
  kube-score score --output-format ci --kubernetes-version v1.35 "$render" >"$work/kube-score-$(basename "$render" .yaml).txt" || rc=$?
  [ "$rc" -le 1 ] || { echo "kube-score failed on $render ($rc)" >&2; exit 1; }
done

echo "==> checkov $(checkov --version)"
rc=0
checkov --directory "$work/renders" --framework kubernetes --quiet --compact --output json >"$work/checkov.json" 2>"$work/checkov.err" || rc=$?
[ "$rc" -le 1 ] || { cat "$work/checkov.err"; echo "checkov failed ($rc)" >&2; exit 1; }

npx tsx test/chart-tools/findings.ts "$work"
