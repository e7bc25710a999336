{{/* The names of every component are defined once, in _names.tpl (a link to the umbrella's templates/_names.tpl). */}}
{{- define "redis.fullname" -}}
{{- include "reas.names.redis" . -}}
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
{{- /* A tag pinned by digest ("7.4.2-bookworm@sha256:...") is labelled with its tag part only. */}}
app.kubernetes.io/version: {{ .Values.image.tag | splitList "@" | first | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: database
app.kubernetes.io/part-of: reas
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* imagePullSecrets: global.imagePullSecrets then the chart's own, as a YAML list (empty when none). */}}
{{- define "redis.imagePullSecrets" -}}
{{- $secrets := concat (dig "imagePullSecrets" list (.Values.global | default dict)) .Values.imagePullSecrets -}}
{{- if $secrets }}{{ toYaml $secrets }}{{ end -}}
{{- end }}

{{- define "redis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "redis.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/* The image reference: [global.imageRegistry/]repository:tag, and @digest when image.digest pins it. */}}
{{- define "redis.image" -}}
{{- $registry := dig "imageRegistry" "" (.Values.global | default dict) -}}
{{- $ref := printf "%s%s:%s" (ternary (printf "%s/" $registry) "" (ne $registry "")) .Values.image.repository .Values.image.tag -}}
{{- with .Values.image.digest }}{{ $ref = printf "%s@%s" $ref . }}{{ end -}}
{{- $ref -}}
{{- end }}

{{/*
global.redis: what the API subchart must know about this Redis as well (its Service port, its password Secret).
Subcharts cannot read each other's values, so the umbrella sets these under global; on its own this chart takes
its own service.port and auth.existingSecret.
*/}}
{{- define "redis.global" -}}
{{- $global := .Values.global | default dict -}}
{{- toYaml ($global.redis | default dict) -}}
{{- end }}

{{- define "redis.servicePort" -}}
{{- dig "service" "port" .Values.service.port (include "redis.global" . | fromYaml) -}}
{{- end }}

{{/* The password Secret as "name key": an existing one (global.redis.auth, else auth), else the chart's own. */}}
{{- define "redis.secret" -}}
{{- $auth := dig "auth" dict (include "redis.global" . | fromYaml) -}}
{{- $name := $auth.existingSecret | default .Values.auth.existingSecret -}}
{{- if $name -}}
{{- printf "%s %s" $name ($auth.existingSecretPasswordKey | default .Values.auth.existingSecretPasswordKey | default "redis-password") -}}
{{- else -}}
{{- printf "%s redis-password" (include "redis.fullname" .) -}}
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

{{/*
standalone (one Redis, today's chart) or replication (three Redis pods with a Sentinel each, see docs/ha.md). The
value sits in global (global.redis.architecture) because the api subchart must follow it too, and Helm shares only
global between subcharts.
*/}}
{{- define "redis.architecture" -}}
{{- dig "redis" "architecture" "standalone" (.Values.global | default dict) -}}
{{- end }}

{{/* Replication mode: the Redis pods' full DNS names through the headless Service, space-separated, by ordinal. */}}
{{- define "redis.nodes" -}}
{{- $names := list -}}
{{- range $i := until 3 -}}
{{- $names = append $names (printf "%s-%d.%s.%s.svc.%s" (include "redis.fullname" $) $i (include "reas.names.redisHeadless" $) $.Release.Namespace $.Values.clusterDomain) -}}
{{- end -}}
{{- join " " $names -}}
{{- end }}

{{/* Replication mode: the environment of the Redis and Sentinel containers; (list . failoverWaitSeconds). */}}
{{- define "redis.replicationEnv" -}}
{{- $ := index . 0 -}}
- name: REDIS_NODES
  value: {{ include "redis.nodes" $ | quote }}
- name: REDIS_PASSWORD_FILE
  value: /var/run/secrets/reas/redis-password
- name: SENTINEL_MASTER_SET
  value: mymaster
- name: FAILOVER_WAIT_SECONDS
  value: {{ index . 1 | quote }}
{{- end }}

{{/* redis.conf as both architectures start it, up to the lines only one of them adds. */}}
{{- define "redis.confHead" -}}
bind * -::*
port 6379
protected-mode yes
dir /data
# AOF is the persistence; RDB snapshots on top would only add I/O.
appendonly yes
appenddirname "appendonlydir"
appendfsync {{ .Values.config.appendfsync }}
save ""
maxmemory {{ .Values.config.maxmemory }}
maxmemory-policy noeviction
{{- with .Values.config.extra }}
{{ . }}
{{- end }}
{{- end }}

{{/*
The startup, liveness and readiness probes of a container: (list $ auth port), where auth is the shell word that
reads the mounted password file into REDISCLI_AUTH, for redis-cli alone (in no env var of the spec, on no command
line). Alive while it answers at all: a Redis loading its data (LOADING) or a replica without its primary
(MASTERDOWN) must not be restarted; readiness still keeps clients away until it answers PONG.
*/}}
{{- define "redis.probes" -}}
{{- $ := index . 0 -}}
{{- $ping := printf "REDISCLI_AUTH=%s redis-cli -h 127.0.0.1 -p %v ping" (index . 1) (index . 2) -}}
{{- $ready := printf "%s | grep -qx PONG" $ping -}}
{{- $alive := printf "case \"$(%s)\" in PONG|LOADING*|MASTERDOWN*) exit 0;; *) exit 1;; esac" $ping -}}
{{- range $i, $probe := list "startupProbe" "livenessProbe" "readinessProbe" }}
{{- if $i }}
{{ end -}}
{{ $probe }}:
  exec:
    command: ["/bin/sh", "-c", {{ ternary $alive $ready (eq $probe "livenessProbe") | quote }}]
  periodSeconds: {{ (index $.Values $probe).periodSeconds }}
  timeoutSeconds: {{ (index $.Values $probe).timeoutSeconds }}
  failureThreshold: {{ (index $.Values $probe).failureThreshold }}
{{- end }}
{{- end }}

{{/* The volume of the password file; the Secret's key is always mounted as the file redis-password. */}}
{{- define "redis.passwordVolume" -}}
{{- $secret := include "redis.secret" . | splitList " " -}}
- name: redis-password
  secret:
    secretName: {{ index $secret 0 }}
    defaultMode: 0440
    items:
      - key: {{ index $secret 1 }}
        path: redis-password
{{- end }}

{{/* The claim template of /data, one claim per pod (persistence.enabled; otherwise the pod mounts an emptyDir). */}}
{{- define "redis.dataClaimTemplate" -}}
- metadata:
    name: data
    labels:
      {{- include "redis.selectorLabels" . | nindent 6 }}
    {{- with .Values.persistence.annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    accessModes:
      - {{ .Values.persistence.accessMode }}
    {{- with .Values.persistence.storageClass }}
    storageClassName: {{ . | quote }}
    {{- end }}
    resources:
      requests:
        storage: {{ .Values.persistence.size }}
{{- end }}
