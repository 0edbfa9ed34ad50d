{{/*
The server's environment: the variables docs/codec-server.md lists, and only those that have a value here (the
server refuses settings of a key source or auth method it does not use). Secrets come from Secrets only: as files
(re-read by the server) or secretKeyRefs.
*/}}
{{- define "temporal-codec-server.env" -}}
{{- $v := .Values }}
{{- $paths := include "temporal-codec-server.paths" . | fromYaml -}}
- name: HOST
  value: 0.0.0.0
- name: PORT
  value: "8081"
- name: KEY_SOURCE
  value: {{ $v.keySource | quote }}
- name: VAULT_ADDR
  value: {{ $v.vault.addr | quote }}
{{- with $v.vault.namespace }}
- name: VAULT_NAMESPACE
  value: {{ . | quote }}
{{- end }}
{{- if eq $v.keySource "vault-kv" }}
{{- with $v.vault.kv.mount }}
- name: VAULT_KV_MOUNT
  value: {{ . | quote }}
{{- end }}
{{- with $v.vault.kv.keyPrefix }}
- name: VAULT_KEY_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- else }}
{{- with $v.vault.transit.mount }}
- name: VAULT_TRANSIT_MOUNT
  value: {{ . | quote }}
{{- end }}
{{- with $v.vault.transit.keyPrefix }}
- name: VAULT_TRANSIT_KEY_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: VAULT_AUTH_METHOD
  value: {{ $v.vault.auth.method | quote }}
{{- if and $v.vault.auth.mount (ne $v.vault.auth.method "token") }}
- name: VAULT_AUTH_MOUNT
  value: {{ $v.vault.auth.mount | quote }}
{{- end }}
{{- if eq $v.vault.auth.method "kubernetes" }}
- name: VAULT_K8S_ROLE
  value: {{ $v.vault.auth.kubernetes.role | quote }}
{{- if include "temporal-codec-server.projectedVaultToken" . }}
- name: VAULT_K8S_JWT_FILE
  value: {{ printf "%s/token" $paths.vaultToken | quote }}
{{- end }}
{{- else if eq $v.vault.auth.method "approle" }}
- name: VAULT_ROLE_ID_FILE
  value: {{ printf "%s/%s" $paths.approle $v.vault.auth.approle.roleIdKey | quote }}
- name: VAULT_SECRET_ID_FILE
  value: {{ printf "%s/%s" $paths.approle $v.vault.auth.approle.secretIdKey | quote }}
{{- else }}
- name: VAULT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $v.vault.auth.token.existingSecret | quote }}
      key: {{ $v.vault.auth.token.key | quote }}
{{- end }}
{{- with $v.keyCache.ttl }}
- name: CODEC_KEY_CACHE_TTL
  value: {{ . | quote }}
{{- end }}
{{- with $v.keyCache.maxAge }}
- name: CODEC_KEY_MAX_AGE
  value: {{ . | quote }}
{{- end }}
{{- with $v.keyCache.staleIfError }}
- name: CODEC_KEY_STALE_IF_ERROR
  value: {{ . | quote }}
{{- end }}
{{- with $v.namespaces.default }}
- name: CODEC_DEFAULT_NAMESPACE
  value: {{ . | quote }}
{{- end }}
{{- with $v.namespaces.allowed }}
- name: CODEC_NAMESPACES
  value: {{ join "," . | quote }}
{{- end }}
{{- with $v.cors.origins }}
- name: CODEC_CORS_ORIGINS
  value: {{ join "," . | quote }}
{{- end }}
{{- if $v.cors.credentials }}
- name: CODEC_CORS_CREDENTIALS
  value: "true"
{{- end }}
- name: CODEC_AUTH
  value: {{ $v.auth.mode | quote }}
{{- if eq $v.auth.mode "static" }}
- name: CODEC_AUTH_TOKENS_FILE
  value: {{ printf "%s/%s" $paths.authTokens $v.auth.static.key | quote }}
{{- else if eq $v.auth.mode "jwt" }}
{{- with $v.auth.jwt.jwksUrl }}
- name: CODEC_JWKS_URL
  value: {{ . | quote }}
{{- end }}
{{- with $v.auth.jwt.secret.existingSecret }}
- name: CODEC_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ . | quote }}
      key: {{ $v.auth.jwt.secret.key | quote }}
{{- end }}
{{- with $v.auth.jwt.issuer }}
- name: CODEC_JWT_ISSUER
  value: {{ . | quote }}
{{- end }}
{{- with $v.auth.jwt.audience }}
- name: CODEC_JWT_AUDIENCE
  value: {{ join "," . | quote }}
{{- end }}
{{- with $v.auth.jwt.permissionsClaim }}
- name: CODEC_JWT_PERMISSIONS_CLAIM
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if $v.tls.enabled }}
- name: CODEC_TLS_CERT
  value: {{ printf "%s/tls.crt" $paths.tls | quote }}
- name: CODEC_TLS_KEY
  value: {{ printf "%s/tls.key" $paths.tls | quote }}
{{- end }}
{{- with $v.limits.bodyLimit }}
- name: CODEC_BODY_LIMIT
  value: {{ . | quote }}
{{- end }}
{{- with $v.limits.maxPayloads }}
- name: CODEC_MAX_PAYLOADS
  value: {{ . | toString | quote }}
{{- end }}
{{- with $v.limits.requestTimeoutMs }}
- name: CODEC_REQUEST_TIMEOUT_MS
  value: {{ . | toString | quote }}
{{- end }}
- name: CODEC_SHUTDOWN_GRACE_MS
  value: {{ $v.shutdownGraceMs | toString | quote }}
- name: CODEC_WORKERS
  value: {{ $v.workers | toString | quote }}
{{- with $v.nativeAesGcm }}
- name: CODEC_NATIVE_AES_GCM
  value: {{ . | quote }}
{{- end }}
{{- with $v.logLevel }}
- name: LOG_LEVEL
  value: {{ . | quote }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
