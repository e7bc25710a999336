{{/* `<release>-<component>` names, as in the subcharts; see charts/api/templates/_helpers.tpl. */}}
{{- define "reas.testName" -}}
{{- printf "%s-test" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "reas.apiName" -}}
{{- printf "%s-api" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Same rule as charts/redis (redis.fullname). */}}
{{- define "reas.redisName" -}}
{{- printf "%s-redis" (.Release.Name | trunc 46 | trimSuffix "-") -}}
{{- end }}

{{- define "reas.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "reas.testSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{- define "reas.testLabels" -}}
helm.sh/chart: {{ include "reas.chart" . }}
{{ include "reas.testSelectorLabels" . }}
{{- /* A tag pinned by digest ("1.2.3@sha256:...", skaffold's form) is labelled with its tag part only. */}}
app.kubernetes.io/version: {{ .Values.test.image.tag | default .Chart.AppVersion | splitList "@" | first | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/part-of: reas
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The API Service's port: the api subchart's value when the user set it, else its default. */}}
{{- define "reas.apiPort" -}}
{{- dig "service" "port" 5000 (.Values.api | default dict) -}}
{{- end }}

{{/* Exactly one Redis: the bundled one or global.externalRedis.url. */}}
{{- define "reas.validate" -}}
{{- $external := dig "externalRedis" "url" "" (.Values.global | default dict) -}}
{{- if and .Values.redis.enabled $external -}}
{{- fail "set either redis.enabled=true (the bundled Redis) or global.externalRedis.url, not both" -}}
{{- end -}}
{{- if and (not .Values.redis.enabled) (not $external) -}}
{{- fail "redis.enabled=false needs global.externalRedis.url (and usually global.externalRedis.existingSecret)" -}}
{{- end -}}
{{- if and (eq (dig "redis" "architecture" "standalone" (.Values.global | default dict)) "replication") (not .Values.redis.enabled) -}}
{{- fail "global.redis.architecture=replication deploys the bundled Redis with Sentinels: it needs redis.enabled=true (an external Redis is reached by global.externalRedis.url)" -}}
{{- end -}}
{{- end }}
