{{/* The names of every component are defined once, in _names.tpl (a link to the umbrella's templates/_names.tpl). */}}
{{- define "api.fullname" -}}
{{- include "reas.names.api" (list . .Values.fullnameOverride) -}}
{{- end }}

{{- define "api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "api.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "api.labels" -}}
helm.sh/chart: {{ include "api.chart" . }}
{{ include "api.selectorLabels" . }}
{{- /* A tag pinned by digest ("1.2.3@sha256:...", skaffold's form) is labelled with its tag part only. */}}
app.kubernetes.io/version: {{ include "api.imageTag" . | splitList "@" | first | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: reas
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "api.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end }}

{{/* The image reference: [global.imageRegistry/]repository:tag, and @digest when image.digest pins it. */}}
{{- define "api.image" -}}
{{- $registry := dig "imageRegistry" "" (.Values.global | default dict) -}}
{{- $ref := printf "%s%s:%s" (ternary (printf "%s/" $registry) "" (ne $registry "")) .Values.image.repository (include "api.imageTag" .) -}}
{{- with .Values.image.digest }}{{ $ref = printf "%s@%s" $ref . }}{{ end -}}
{{- $ref -}}
{{- end }}

{{/* imagePullSecrets: global.imagePullSecrets then the chart's own, as a YAML list (empty when none). */}}
{{- define "api.imagePullSecrets" -}}
{{- $secrets := concat (dig "imagePullSecrets" list (.Values.global | default dict)) .Values.imagePullSecrets -}}
{{- if $secrets }}{{ toYaml $secrets }}{{ end -}}
{{- end }}

{{- define "api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "api.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/* global.externalRedis, empty when the umbrella (or a standalone install) leaves it out. */}}
{{- define "api.externalRedis" -}}
{{- $global := .Values.global | default dict -}}
{{- toYaml ($global.externalRedis | default dict) -}}
{{- end }}

{{/* REDIS_URL: the external URL, else the bundled Redis' ClusterIP Service on global.redis.service.port. */}}
{{- define "api.redisUrl" -}}
{{- $ext := include "api.externalRedis" . | fromYaml -}}
{{- if $ext.url -}}
{{- $ext.url -}}
{{- else -}}
{{- printf "redis://%s:%v" (include "reas.names.redis" .) (dig "redis" "service" "port" 6379 (.Values.global | default dict)) -}}
{{- end -}}
{{- end }}

{{/* The Secret holding the Redis password as "name key", or empty when an external Redis needs none. */}}
{{- define "api.redisSecret" -}}
{{- $ext := include "api.externalRedis" . | fromYaml -}}
{{- if $ext.url -}}
{{- if $ext.existingSecret -}}
{{- printf "%s %s" $ext.existingSecret ($ext.existingSecretPasswordKey | default "redis-password") -}}
{{- end -}}
{{- else -}}
{{- $auth := dig "redis" "auth" dict (.Values.global | default dict) -}}
{{- if $auth.existingSecret -}}
{{- printf "%s %s" $auth.existingSecret ($auth.existingSecretPasswordKey | default "redis-password") -}}
{{- else -}}
{{- printf "%s redis-password" (include "reas.names.redis" .) -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/*
Replication mode of the bundled Redis (global.redis.architecture=replication): the Sentinels as REDIS_SENTINELS,
one per Redis pod by its name in the headless Service; empty otherwise.
*/}}
{{- define "api.redisSentinels" -}}
{{- $global := .Values.global | default dict -}}
{{- $ext := include "api.externalRedis" . | fromYaml -}}
{{- if and (not $ext.url) (eq (dig "redis" "architecture" "standalone" $global) "replication") -}}
{{- $sts := include "reas.names.redis" . -}}
{{- $headless := include "reas.names.redisHeadless" . -}}
{{- $sentinels := list -}}
{{- range $i := until 3 -}}
{{- $sentinels = append $sentinels (printf "%s-%d.%s:26379" $sts $i $headless) -}}
{{- end -}}
{{- join "," $sentinels -}}
{{- end -}}
{{- end }}
