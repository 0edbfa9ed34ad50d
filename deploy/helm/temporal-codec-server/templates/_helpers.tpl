{{/* Names and labels, as `helm create` lays them out. */}}
{{- define "temporal-codec-server.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "temporal-codec-server.fullname" -}}
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

{{- define "temporal-codec-server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "temporal-codec-server.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "temporal-codec-server.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "temporal-codec-server.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: codec-server
{{- end }}

{{- define "temporal-codec-server.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "temporal-codec-server.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* http or https, as the server listens. */}}
{{- define "temporal-codec-server.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/* Where Secrets are mounted. The server reads these paths from its environment. */}}
{{- define "temporal-codec-server.paths" -}}
tls: /etc/temporal-codec/tls
authTokens: /etc/temporal-codec/auth
approle: /etc/temporal-codec/approle
vaultToken: /var/run/secrets/vault
{{- end }}

{{/* True (non-empty) when the pod logs in with a projected service-account token of its own. */}}
{{- define "temporal-codec-server.projectedVaultToken" -}}
{{- if and (eq .Values.vault.auth.method "kubernetes") .Values.vault.auth.kubernetes.tokenAudience }}true{{ end }}
{{- end }}

{{/* Replicas the PodDisruptionBudget can count on. */}}
{{- define "temporal-codec-server.minReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end }}

{{/*
Refuses values the server would refuse at start, with the value to set. values.schema.json checks types and names;
these are the rules across values.
*/}}
{{- define "temporal-codec-server.validate" -}}
{{- $v := .Values }}
{{- if not $v.vault.addr }}
{{- fail "vault.addr is required: the Vault or OpenBao address, e.g. https://vault.example.com:8200" }}
{{- end }}
{{- if and (eq $v.vault.auth.method "kubernetes") (not $v.vault.auth.kubernetes.role) }}
{{- fail "vault.auth.kubernetes.role is required with vault.auth.method kubernetes: the Vault role bound to the service account" }}
{{- end }}
{{- if and (eq $v.vault.auth.method "kubernetes") (not $v.serviceAccount.create) (not $v.serviceAccount.name) }}
{{- fail "vault.auth.method kubernetes needs a service account of its own: serviceAccount.create or serviceAccount.name" }}
{{- end }}
{{- if and (eq $v.vault.auth.method "approle") (not $v.vault.auth.approle.existingSecret) }}
{{- fail "vault.auth.approle.existingSecret is required with vault.auth.method approle: a Secret with the role id and secret id" }}
{{- end }}
{{- if and (eq $v.vault.auth.method "token") (not $v.vault.auth.token.existingSecret) }}
{{- fail "vault.auth.token.existingSecret is required with vault.auth.method token: a Secret with the Vault token" }}
{{- end }}
{{- if and (eq $v.auth.mode "static") (not $v.auth.static.existingSecret) }}
{{- fail "auth.static.existingSecret is required with auth.mode static: a Secret with the tokens file" }}
{{- end }}
{{- if eq $v.auth.mode "jwt" }}
{{- if and $v.auth.jwt.jwksUrl $v.auth.jwt.secret.existingSecret }}
{{- fail "auth.jwt: set jwksUrl or secret.existingSecret, not both" }}
{{- end }}
{{- if not (or $v.auth.jwt.jwksUrl $v.auth.jwt.secret.existingSecret) }}
{{- fail "auth.jwt.jwksUrl (or auth.jwt.secret.existingSecret for HS256) is required with auth.mode jwt" }}
{{- end }}
{{- end }}
{{- if and $v.tls.enabled (not $v.tls.existingSecret) }}
{{- fail "tls.existingSecret is required with tls.enabled: a kubernetes.io/tls Secret" }}
{{- end }}
{{- if and $v.cors.credentials (has "*" $v.cors.origins) }}
{{- fail "cors.credentials cannot be used with the origin *: list the Web UI's exact origin" }}
{{- end }}
{{- if and $v.autoscaling.enabled (not (dig "requests" "cpu" "" $v.resources)) }}
{{- fail "autoscaling on CPU needs resources.requests.cpu" }}
{{- end }}
{{- end }}
