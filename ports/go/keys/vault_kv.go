package keys

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	vault "github.com/hashicorp/vault/api"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// InactiveVersionsField is the KV v2 custom metadata field listing
// deactivated (decrypt-only) versions, comma separated.
const InactiveVersionsField = "inactive_versions"

// VaultKVOptions configure a [VaultKV] store.
type VaultKVOptions struct {
	// Mount is the KV v2 mount. Default "secret".
	Mount string
	// PathPrefix prefixes the per-key secret paths. Default "temporal-codec/".
	// Set NoPathPrefix to use none.
	PathPrefix string
	// NoPathPrefix puts secrets directly under the mount.
	NoPathPrefix bool
	// CreateMissingKeys creates a namespace's key on first encryption. Default
	// false: keys are created by an administrator.
	CreateMissingKeys bool
	// MaxVersions is written on every key this store creates: KV v2 silently
	// deletes versions beyond it (0 means the mount's default, 10), which
	// would make old payloads unreadable. Default 100,000.
	MaxVersions int
}

// VaultKV is a [VersionedStore] of keys in Vault KV v2, laid out as the
// TypeScript library lays them out: one secret per key id at
// <mount>/data/<prefix><keyID> holding {"key": "<base64 of 32 bytes>"}.
// Vault's secret versions are the key versions; deactivated versions are
// listed in the secret's custom metadata (inactive_versions), which every
// data read returns, so the newest active version costs one request.
type VaultKV struct {
	client        *VaultClient
	mount         string
	prefix        string
	createMissing bool
	maxVersions   int
}

var _ VersionedStore = (*VaultKV)(nil)

// NewVaultKV returns a KV v2 store reached through client.
func NewVaultKV(client *VaultClient, options VaultKVOptions) (*VaultKV, error) {
	if client == nil {
		return nil, codec.NewError(codec.ErrInvalidConfig, "VaultKV needs a Vault client")
	}
	s := &VaultKV{
		client:        client,
		mount:         strings.Trim(options.Mount, "/"),
		prefix:        options.PathPrefix,
		createMissing: options.CreateMissingKeys,
		maxVersions:   options.MaxVersions,
	}
	if s.mount == "" {
		s.mount = "secret"
	}
	if s.prefix == "" && !options.NoPathPrefix {
		s.prefix = "temporal-codec/"
	}
	if s.maxVersions == 0 {
		s.maxVersions = 100_000
	}
	if s.maxVersions < 1 {
		return nil, codec.NewError(codec.ErrInvalidConfig, "MaxVersions must be a positive integer (0 would mean 10 in Vault)")
	}
	return s, nil
}

// Kind implements VersionedStore.
func (s *VaultKV) Kind() string { return "vault-kv" }

func (s *VaultKV) path(kind, keyID string) string {
	// The Vault client escapes the path when it builds the URL, as
	// encodeURIComponent does in the TypeScript library: Vault sees the same name.
	return s.mount + "/" + kind + "/" + s.prefix + keyID
}

type kvVersion struct {
	present   bool
	version   uint32
	deleted   bool
	inactive  map[uint32]bool
	data      map[string]any
	hasData   bool
	destroyed bool
}

func parseKV(secret *vault.Secret) kvVersion {
	var out kvVersion
	if secret == nil || secret.Data == nil {
		return out
	}
	meta, ok := secret.Data["metadata"].(map[string]any)
	if !ok {
		return out
	}
	out.present = true
	if n, ok := meta["version"].(json.Number); ok {
		if v, err := strconv.ParseUint(n.String(), 10, 32); err == nil {
			out.version = uint32(v)
		}
	}
	deletion, _ := meta["deletion_time"].(string)
	out.deleted = deletion != ""
	out.destroyed, _ = meta["destroyed"].(bool)
	custom, _ := meta["custom_metadata"].(map[string]any)
	text, _ := custom[InactiveVersionsField].(string)
	out.inactive = parseInactive(text)
	out.data, out.hasData = secret.Data["data"].(map[string]any)
	return out
}

func parseInactive(text string) map[uint32]bool {
	out := map[uint32]bool{}
	for _, part := range strings.Split(text, ",") {
		if v, err := strconv.ParseUint(part, 10, 32); err == nil {
			out[uint32(v)] = true
		}
	}
	return out
}

// ReadLatest implements VersionedStore.
func (s *VaultKV) ReadLatest(ctx context.Context, keyID string) (uint32, []byte, error) {
	secret, err := s.client.read(ctx, s.path("data", keyID), nil)
	if err != nil {
		return 0, nil, err
	}
	current := parseKV(secret)
	if !current.present && s.createMissing {
		if err := s.CreateKey(ctx, keyID); err != nil && codec.CodeOf(err) != codec.ErrInvalidArgument {
			return 0, nil, err
		}
		if secret, err = s.client.read(ctx, s.path("data", keyID), nil); err != nil {
			return 0, nil, err
		}
		current = parseKV(secret)
	}
	if !current.present {
		return 0, nil, unknownKey(keyID)
	}
	if current.hasData && !current.inactive[current.version] {
		key, err := kvMaterial(current.data, keyID, current.version)
		return current.version, key, err
	}
	// The newest version is deactivated or deleted: walk down to the newest usable one (rare, administrative).
	for v := int64(current.version) - 1; v >= 1; v-- {
		version := uint32(v)
		if current.inactive[version] {
			continue
		}
		key, err := s.ReadVersion(ctx, keyID, version)
		switch codec.CodeOf(err) {
		case "":
			return version, key, nil
		case codec.ErrKeyVersionDestroyed, codec.ErrUnknownKeyVersion:
			continue
		default:
			return 0, nil, err
		}
	}
	return 0, nil, codec.NewError(codec.ErrUnknownKeyVersion, "Key has no active version").WithKey(keyID, 0)
}

// ReadVersion implements VersionedStore.
func (s *VaultKV) ReadVersion(ctx context.Context, keyID string, version uint32) ([]byte, error) {
	query := map[string][]string{"version": {strconv.FormatUint(uint64(version), 10)}}
	secret, err := s.client.read(ctx, s.path("data", keyID), query)
	if err != nil {
		return nil, err
	}
	got := parseKV(secret)
	if !got.present || got.version != version {
		return nil, codec.NewError(codec.ErrUnknownKeyVersion, "Unknown key version").WithKey(keyID, version)
	}
	if got.destroyed || got.deleted || !got.hasData {
		return nil, codec.NewError(codec.ErrKeyVersionDestroyed, "Key version was destroyed or deleted").WithKey(keyID, version)
	}
	return kvMaterial(got.data, keyID, version)
}

// CheckHealth implements VersionedStore.
func (s *VaultKV) CheckHealth(ctx context.Context) error { return s.client.checkHealth(ctx) }

// CreateKey writes version 1 of keyID with fresh random material, setting
// max_versions first; it fails with ErrInvalidArgument when the key exists.
func (s *VaultKV) CreateKey(ctx context.Context, keyID string) error {
	if _, err := s.client.write(ctx, s.path("metadata", keyID), map[string]any{"max_versions": s.maxVersions}); err != nil {
		return err
	}
	material := make([]byte, codec.RootKeyBytes)
	rand.Read(material)
	body := map[string]any{
		"data":    map[string]any{"key": base64.StdEncoding.EncodeToString(material)},
		"options": map[string]any{"cas": 0},
	}
	clear(material)
	_, err := s.client.write(ctx, s.path("data", keyID), body)
	if err != nil && codec.CodeOf(err) == codec.ErrInvalidConfig && strings.Contains(strings.ToLower(err.Error()), "check-and-set") {
		return codec.NewError(codec.ErrInvalidArgument, "Key already exists").WithKey(keyID, 0).WithCause(err)
	}
	return err
}

func kvMaterial(data map[string]any, keyID string, version uint32) ([]byte, error) {
	text, _ := data["key"].(string)
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(key) != codec.RootKeyBytes {
		clear(key)
		return nil, codec.NewError(codec.ErrInvalidKeyMaterial, `Vault secret must hold a base64 "key" of 32 bytes`).WithKey(keyID, version)
	}
	return key, nil
}
