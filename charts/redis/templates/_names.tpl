{{- /*
Object names shared by the umbrella and both subcharts, written once: here. charts/api/templates/_names.tpl and
charts/redis/templates/_names.tpl are byte-identical copies (test/chart/chart-names.test.ts fails when they drift;
copy this file over them). Not a library chart: each subchart stays a plain chart that lints and renders on its own
(ct lints each alone) with no vendored dependency, Chart.lock or fourth chart version to keep in step. Not symbolic
links: helm 4 logs an INFO line for each on every command, and Windows checkouts need core.symlinks. Named templates
are global at render time, so the umbrella holds three identical definitions, which is harmless.

Names are `<release>-<component>`, not helm create's "contains the chart name" rule: every chart of the umbrella
(and the cdk8s app, k8s/lib/labels.ts) computes every other component's name from the release name alone.
*/ -}}

{{/* The API's name: `<release>-api`, or the api subchart's fullnameOverride; (list $ fullnameOverride). */}}
{{- define "reas.names.api" -}}
{{- index . 1 | default (printf "%s-api" (index . 0).Release.Name) | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
The bundled Redis' name: `<release>-redis`, at most 52 characters (the release part is cut, the suffix kept): a
StatefulSet's pods carry a controller-revision-hash label made of its name plus an 11-character suffix, and label
values stop at 63.
*/}}
{{- define "reas.names.redis" -}}
{{- printf "%s-redis" (.Release.Name | trunc 46 | trimSuffix "-") -}}
{{- end }}

{{/* The bundled Redis' headless Service, which names its pods in DNS (the Sentinels announce them by it). */}}
{{- define "reas.names.redisHeadless" -}}
{{- printf "%s-headless" (include "reas.names.redis" .) | trunc 63 | trimSuffix "-" -}}
{{- end }}
