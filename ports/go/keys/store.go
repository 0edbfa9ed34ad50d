package keys

import "context"

// VersionedStore is a store of versioned raw keys (Vault KV v2, the local
// keyring file), without caching: [CachingProvider] wraps it. Errors are
// *codec.Error: ErrUnknownKey, ErrUnknownKeyVersion, ErrKeyVersionDestroyed,
// ErrKeySourceUnavailable (retryable), ErrKeySourceDenied.
type VersionedStore interface {
	// Kind is a short name for logs and metrics, e.g. "vault-kv".
	Kind() string
	// ReadLatest returns the newest active version and its 32 key bytes,
	// which the caller owns.
	ReadLatest(ctx context.Context, keyID string) (version uint32, key []byte, err error)
	// ReadVersion returns exactly version (active or inactive); the caller owns the bytes.
	ReadVersion(ctx context.Context, keyID string, version uint32) ([]byte, error)
	// CheckHealth returns ErrKeySourceUnavailable when the store cannot be reached.
	CheckHealth(ctx context.Context) error
}
