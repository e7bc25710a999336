{{/*
`<release>-redis`, at most 52 characters (the release part is cut, the suffix kept): a StatefulSet's pods carry
a controller-revision-hash label made of its name plus an 11-character suffix, and label values stop at 63. charts/api (api.redisFullname) and the cdk8s
app compute the same name from the release name alone.
*/}}
{{- define "redis.fullname" -}}
{{- printf "%s-redis" (.Release.Name | trunc 46 | trimSuffix "-") -}}
{{- end }}

{{- define "redis.headlessName" -}}
{{- printf "%s-headless" (include "redis.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "redis.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "redis.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "redis.labels" -}}
helm.sh/chart: {{ include "redis.chart" . }}
{{ include "redis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: database
app.kubernetes.io/part-of: reas
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "redis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "redis.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/*
The password: auth.password when set; else the one already in the release's Secret (lookup), so upgrades keep it;
else a new random one on install. On an upgrade where lookup sees no Secret, rendering fails instead of
rotating the password: that happens under `helm template --is-upgrade` and `helm upgrade --dry-run=client`
(no cluster access) and when Redis is enabled on an existing release.
*/}}
{{- define "redis.password" -}}
{{- if .Values.auth.password -}}
{{- .Values.auth.password -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "redis.fullname" .) -}}
{{- $data := dig "data" "redis-password" "" ($existing | default dict) -}}
{{- if $data -}}
{{- $data | b64dec -}}
{{- else if .Release.IsUpgrade -}}
{{- fail (printf "redis: upgrade found no Secret %s/%s to keep the Redis password from (lookup sees no cluster under `helm template` or `--dry-run=client`). Use `helm upgrade --dry-run=server`, or set redis.auth.password once (e.g. when enabling Redis on an existing release)." .Release.Namespace (include "redis.fullname" .)) -}}
{{- else -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end -}}
{{- end }}
