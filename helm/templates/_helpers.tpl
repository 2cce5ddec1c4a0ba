{{/* Names: the release's full name, at most 63 characters (a DNS label). */}}
{{- define "risk-scoring.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "risk-scoring.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pod labels that every selector uses; they never change for a release. */}}
{{- define "risk-scoring.selectorLabels" -}}
app.kubernetes.io/name: {{ include "risk-scoring.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "risk-scoring.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "risk-scoring.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: scoring
app.kubernetes.io/part-of: risk-scoring
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "risk-scoring.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "risk-scoring.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "risk-scoring.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "risk-scoring.devSecretName" -}}
{{- printf "%s-dev" (include "risk-scoring.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "risk-scoring.rulesConfigMapName" -}}
{{- default (printf "%s-rules" (include "risk-scoring.fullname" .)) .Values.rules.existingConfigMap -}}
{{- end -}}

{{/*
The Secret that a reference {name, key} reads: its own name, else the development Secret when
that is created and holds the key, else nothing (the variable stays unset).
Call with (dict "ref" .Values.x.existingSecret "root" $).
*/}}
{{- define "risk-scoring.secretName" -}}
{{- $ref := .ref -}}
{{- $dev := .root.Values.devSecret -}}
{{- if $ref.name -}}
{{- $ref.name -}}
{{- else if and $dev.create (hasKey $dev.stringData $ref.key) -}}
{{- include "risk-scoring.devSecretName" .root -}}
{{- end -}}
{{- end -}}

{{/*
An environment value as the service reads it. Numbers from a values file arrive as float64,
which Go would print as 1e+06: whole numbers are printed as integers.
*/}}
{{- define "risk-scoring.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}

{{/* Whether one Redis primary is configured: a plain URL or a Secret that holds one. */}}
{{- define "risk-scoring.redisUrlConfigured" -}}
{{- if or .Values.redis.url (include "risk-scoring.secretName" (dict "ref" .Values.redis.existingSecret "root" .)) -}}true{{- end -}}
{{- end -}}

{{/* Whether Redis is configured: one primary or a Redis Cluster. */}}
{{- define "risk-scoring.redisConfigured" -}}
{{- if or (include "risk-scoring.redisUrlConfigured" .) .Values.redis.clusterNodes -}}true{{- end -}}
{{- end -}}

{{- define "risk-scoring.postgresConfigured" -}}
{{- if or .Values.postgres.url (include "risk-scoring.secretName" (dict "ref" .Values.postgres.existingSecret "root" .)) -}}true{{- end -}}
{{- end -}}

{{/*
Refuses values that would render a valid but broken deployment. The schema checks each value on
its own; these checks need several.
*/}}
{{- define "risk-scoring.validate" -}}
{{- $replicas := ternary .Values.autoscaling.maxReplicas .Values.replicaCount .Values.autoscaling.enabled -}}
{{- if and .Values.redis.clusterNodes (include "risk-scoring.redisUrlConfigured" .) -}}
{{- fail "redis.clusterNodes and redis.url / redis.existingSecret are exclusive: velocity and idempotency go to one Redis primary or to a Redis Cluster, not both" -}}
{{- end -}}
{{- if and (gt (int $replicas) 1) (not (include "risk-scoring.redisConfigured" .)) -}}
{{- fail (printf "%v replicas need Redis (redis.url, redis.existingSecret.name or redis.clusterNodes): without it each pod keeps its own velocity windows and idempotency records, so counts would be per pod and a retried transaction could be scored twice" $replicas) -}}
{{- end -}}
{{- if and (gt (int $replicas) 1) (not (include "risk-scoring.postgresConfigured" .)) -}}
{{- fail (printf "%v replicas need Postgres (postgres.url or postgres.existingSecret.name): without it each pod keeps its own rule versions, so a publish would reach one pod only" $replicas) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" -}}
{{- end -}}
{{- $drainMs := int64 (default 10000 .Values.config.SHUTDOWN_TIMEOUT_MS) -}}
{{- $needed := add (int64 .Values.lifecycle.preStopSleepSeconds) (div (add $drainMs 999) 1000) -}}
{{- if le (int64 .Values.terminationGracePeriodSeconds) $needed -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed lifecycle.preStopSleepSeconds + SHUTDOWN_TIMEOUT_MS/1000 (%v s), or the kubelet kills pods in the middle of their drain" .Values.terminationGracePeriodSeconds $needed) -}}
{{- end -}}
{{- $review := toString .Values.config.DECISION_REVIEW_THRESHOLD -}}
{{- $decline := toString .Values.config.DECISION_DECLINE_THRESHOLD -}}
{{- if and $review $decline (gt (float64 $review) (float64 $decline)) -}}
{{- fail "config.DECISION_REVIEW_THRESHOLD must not exceed config.DECISION_DECLINE_THRESHOLD" -}}
{{- end -}}
{{- end -}}
