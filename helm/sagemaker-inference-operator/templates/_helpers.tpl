{{/* Chart name, truncated to the 63 characters DNS labels allow. */}}
{{- define "sio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, prefixed to the chart name unless it already contains it. */}}
{{- define "sio.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sio.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sio.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sio.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sio.labels" -}}
helm.sh/chart: {{ include "sio.chart" . }}
{{ include "sio.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sagemaker-inference-operator
{{- end }}

{{- define "sio.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sio.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" when the operator watches every namespace (cluster-wide RBAC), "" otherwise. */}}
{{- define "sio.clusterWide" -}}
{{- if not .Values.watchNamespaces }}true{{ end }}
{{- end }}

{{/* "true" when several replicas run with kopf peering, "" for a single standalone operator. */}}
{{- define "sio.ha" -}}
{{- if gt (int .Values.replicas) 1 }}true{{ end }}
{{- end }}

{{- define "sio.peeringName" -}}
{{- default (include "sio.fullname" .) .Values.peering.name }}
{{- end }}

{{- define "sio.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The API group of the operator's custom resources (docs/CONVENTIONS.md). */}}
{{- define "sio.group" -}}sagemaker.inference-operator.dev{{- end }}

{{/* RBAC rules on the watched resources, shared by the ClusterRole and the per-namespace Roles. */}}
{{- define "sio.watchedRules" -}}
# The custom resources: kopf lists/watches them and patches finalizers, annotations (handler
# progress) and status; it never creates, updates or deletes them.
- apiGroups: [{{ include "sio.group" . | quote }}]
  resources: [inferencecomponents, inferenceexperiments]
  verbs: [get, list, watch, patch]
- apiGroups: [{{ include "sio.group" . | quote }}]
  resources: [inferencecomponents/status, inferenceexperiments/status]
  verbs: [get, patch]
# kopf posts Kubernetes events about handler outcomes on the custom resources.
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end }}
