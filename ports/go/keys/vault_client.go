package keys

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// VaultConfig configures [NewVaultClient]. Fields left empty keep the Vault
// client's own defaults, which read the standard environment (VAULT_ADDR,
// VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, ...).
type VaultConfig struct {
	// Address, e.g. https://vault.example.com:8200.
	Address string
	// Token authenticates requests. For AppRole, Kubernetes and other auth
	// methods, build the *vault.Client yourself (see the vault/api/auth
	// packages) and use [WrapVaultClient].
	Token string
	// Namespace is the Vault Enterprise / OpenBao namespace, not a Temporal namespace.
	Namespace string
	// Timeout bounds each request. Default 5 s.
	Timeout time.Duration
	// Retries after the first attempt, on network errors, 429 and 5xx. Default 3; negative for none.
	Retries int
}

// VaultClient is the transport of the Vault key sources: the official Go API
// client, with every failure mapped to a *codec.Error. Vault's error messages
// are kept (they never contain secret values); request bodies never are.
type VaultClient struct {
	api *vault.Client
}

// NewVaultClient builds a Vault API client from config.
func NewVaultClient(config VaultConfig) (*VaultClient, error) {
	cfg := vault.DefaultConfig()
	if cfg.Error != nil {
		return nil, codec.NewError(codec.ErrInvalidConfig, "Vault client configuration: "+cfg.Error.Error()).WithCause(cfg.Error)
	}
	if config.Address != "" {
		u, err := url.Parse(config.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, codec.NewError(codec.ErrInvalidConfig, "Vault address must be a URL such as http://127.0.0.1:8200")
		}
		cfg.Address = config.Address
	}
	cfg.Timeout = duration(config.Timeout, 5*time.Second)
	switch {
	case config.Retries == 0:
		cfg.MaxRetries = 3
	case config.Retries < 0:
		cfg.MaxRetries = 0
	default:
		cfg.MaxRetries = config.Retries
	}
	client, err := vault.NewClient(cfg)
	if err != nil {
		return nil, codec.NewError(codec.ErrInvalidConfig, "Vault client: "+err.Error()).WithCause(err)
	}
	if config.Token != "" {
		client.SetToken(config.Token)
	}
	if config.Namespace != "" {
		client.SetNamespace(config.Namespace)
	}
	return &VaultClient{api: client}, nil
}

// WrapVaultClient uses an existing Vault API client (with its own auth, TLS
// and retry settings).
func WrapVaultClient(client *vault.Client) *VaultClient { return &VaultClient{api: client} }

// API returns the underlying Vault API client.
func (v *VaultClient) API() *vault.Client { return v.api }

// read sends a GET. A 404 answers (nil, nil), or the body when it has one
// (KV v2 answers 404 with metadata for deleted versions).
func (v *VaultClient) read(ctx context.Context, path string, query map[string][]string) (*vault.Secret, error) {
	secret, err := v.api.Logical().ReadWithDataWithContext(ctx, path, query)
	if err != nil {
		return nil, mapVaultError(err, "GET", path)
	}
	return secret, nil
}

// write sends a PUT with a JSON body.
func (v *VaultClient) write(ctx context.Context, path string, body map[string]any) (*vault.Secret, error) {
	secret, err := v.api.Logical().WriteWithContext(ctx, path, body)
	if err != nil {
		return nil, mapVaultError(err, "PUT", path)
	}
	return secret, nil
}

// checkHealth fails with ErrKeySourceUnavailable when Vault cannot be reached or is sealed.
func (v *VaultClient) checkHealth(ctx context.Context) error {
	health, err := v.api.Sys().HealthWithContext(ctx)
	if err != nil {
		return mapVaultError(err, "GET", "sys/health")
	}
	if health.Sealed {
		return codec.NewError(codec.ErrKeySourceUnavailable, "Vault is sealed")
	}
	return nil
}

// mapVaultError maps a Vault client error: network errors, 429 and 5xx are
// ErrKeySourceUnavailable (retryable), 401/403 ErrKeySourceDenied, other 4xx
// ErrInvalidConfig (a wrong mount or path) quoting Vault's messages.
func mapVaultError(err error, method, path string) error {
	where := method + " " + path
	var response *vault.ResponseError
	if !errors.As(err, &response) {
		return unavailable("Vault unreachable on "+where, err)
	}
	detail := ""
	if len(response.Errors) > 0 {
		detail = ": " + strings.Join(response.Errors, "; ")
	}
	status := response.StatusCode
	switch {
	case status == 401 || status == 403:
		return codec.NewError(codec.ErrKeySourceDenied,
			fmt.Sprintf("Vault denied %s (HTTP %d); check the token and its policy%s", where, status, detail)).WithCause(err)
	case status == 429 || status >= 500:
		return unavailable(fmt.Sprintf("Vault failed %s (HTTP %d)%s", where, status, detail), err)
	default:
		return codec.NewError(codec.ErrInvalidConfig, fmt.Sprintf("Vault rejected %s (HTTP %d)%s", where, status, detail)).WithCause(err)
	}
}
