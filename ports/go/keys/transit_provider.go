package keys

import (
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/internal/lru"
)

// TransitOptions configure a [TransitProvider]. Zero means the default; a
// negative duration means none.
type TransitOptions struct {
	// Mount is the Transit mount. Default "transit".
	Mount string
	// KeyPrefix is prepended to the key id to name the Transit key (letters,
	// digits and _ - . @). Default "temporal-codec-"; NoKeyPrefix for none.
	KeyPrefix string
	// NoKeyPrefix names Transit keys by the key id alone.
	NoKeyPrefix bool
	// DataKeyMaxAge: a data key is used for new payloads at most this long,
	// so a rotation propagates. Default 60 s.
	DataKeyMaxAge time.Duration
	// MaxPayloadsPerDataKey: a data key seals at most this many payloads
	// (counted per batch). Default 100,000.
	MaxPayloadsPerDataKey int
	// UnwrappedKeyMaxAge is how long an unwrapped data key is served from
	// memory, so destruction takes effect. Default 5 min.
	UnwrappedKeyMaxAge time.Duration
	// MaxCachedDataKeys is the number of unwrapped data keys kept (least
	// recently used evicted and zeroed). Default 1,000.
	MaxCachedDataKeys int
	// StaleIfError: on retryable Vault errors, cached keys past their age are
	// served this much longer (never beyond a data key's payload limit). Default 15 min.
	StaleIfError time.Duration
	// KeyIDFor maps a namespace to its key id. Default codec.DefaultKeyIDFor.
	KeyIDFor func(namespace string) (string, error)
	// Observer sees cache and Vault activity. Default none.
	Observer Observer
	// Now is the clock, injectable for tests. Default time.Now.
	Now func() time.Time
}

// TransitProvider is envelope encryption with Vault Transit, compatible with
// the TypeScript library's. Each namespace's key-encryption key is a Transit
// key (derived aes256-gcm96) that never leaves Vault; payloads are sealed
// under data keys from datakey/plaintext, whose wrapped form (vault:vN:...)
// travels in the payload metadata, and Transit's N is the payload's key version.
//
//	encode: data key pool (max age, max payloads) --miss--> transit/datakey/plaintext/<prefix><keyID>
//	decode: LRU by wrapped key (max age, zeroed)  --miss--> transit/decrypt/<prefix><keyID>  (single flight)
//
// Both calls pass the namespace as the derivation context. It implements codec.KeyProvider.
type TransitProvider struct {
	transit      *transitClient
	keyIDFor     func(string) (string, error)
	observer     Observer
	now          func() time.Time
	unwrapMaxAge time.Duration
	staleIfError time.Duration
	dataKeys     *dataKeyPool

	mu        sync.Mutex
	unwrapped *lru.Cache[string, *keyEntry]
	flights   singleflight.Group
	stop      chan struct{}
	closeOnce sync.Once
}

var _ codec.KeyProvider = (*TransitProvider)(nil)

// NewTransitProvider returns a Transit envelope key provider reached through client.
func NewTransitProvider(client *VaultClient, options TransitOptions) (*TransitProvider, error) {
	transit, err := newTransitClient(client, options.Mount, options.KeyPrefix, options.NoKeyPrefix)
	if err != nil {
		return nil, err
	}
	p := &TransitProvider{
		transit:      transit,
		keyIDFor:     options.KeyIDFor,
		observer:     options.Observer,
		now:          options.Now,
		unwrapMaxAge: duration(options.UnwrappedKeyMaxAge, 5*time.Minute),
		staleIfError: duration(options.StaleIfError, 15*time.Minute),
		stop:         make(chan struct{}),
	}
	if p.keyIDFor == nil {
		p.keyIDFor = codec.DefaultKeyIDFor
	}
	if p.observer == nil {
		p.observer = NopObserver{}
	}
	if p.now == nil {
		p.now = time.Now
	}
	maxUses := options.MaxPayloadsPerDataKey
	if maxUses == 0 {
		maxUses = 100_000
	}
	maxEntries := options.MaxCachedDataKeys
	if maxEntries == 0 {
		maxEntries = 1000
	}
	if maxUses < 1 || maxEntries < 1 {
		return nil, codec.NewError(codec.ErrInvalidConfig, "MaxPayloadsPerDataKey and MaxCachedDataKeys must be positive")
	}
	p.unwrapped = lru.New[string](maxEntries, p.now, func(e *keyEntry) { e.zero() })
	dataKeyMaxAge := duration(options.DataKeyMaxAge, time.Minute)
	p.dataKeys = &dataKeyPool{
		fetch:        p.generate,
		maxAge:       dataKeyMaxAge,
		maxUses:      maxUses,
		staleIfError: p.staleIfError,
		now:          p.now,
		observer:     p.observer,
		slots:        map[string]*poolSlot{},
	}
	sweeper(sweepEvery(min(p.unwrapMaxAge, dataKeyMaxAge)), p.stop, p.sweep)
	return p, nil
}

// KeyIDFor implements codec.KeyProvider.
func (p *TransitProvider) KeyIDFor(namespace string) (string, error) { return p.keyIDFor(namespace) }

// CheckTransitRef checks what a Transit-mode payload's metadata must say
// before any request: a wrapped key is present, has Transit's form, and its
// vN is the payload's key version (ErrMalformedMetadata otherwise).
func CheckTransitRef(ref codec.KeyRef) error {
	if ref.WrappedKey == "" {
		return codec.NewError(codec.ErrMalformedMetadata, "Missing metadata field "+codec.MetadataWrappedKey).
			WithKey(ref.KeyID, ref.Version).WithField(codec.MetadataWrappedKey)
	}
	version, err := WrappedKeyVersion(ref.WrappedKey)
	if err != nil {
		return err
	}
	if version != ref.Version {
		return codec.NewError(codec.ErrMalformedMetadata, "Metadata field "+codec.MetadataKeyVersion+
			" does not match the wrapped key's version").WithKey(ref.KeyID, ref.Version).WithField(codec.MetadataKeyVersion)
	}
	return nil
}

// Key ids and namespaces never contain NUL (codec.ValidateNamespace), so it separates them unambiguously.
func slotName(keyID, namespace string) string { return keyID + "\x00" + namespace }

// EncryptionKey implements codec.KeyProvider.
func (p *TransitProvider) EncryptionKey(ctx context.Context, namespace string, payloadCount int) (*codec.KeyMaterial, error) {
	keyID, err := p.keyIDFor(namespace)
	if err != nil {
		return nil, err
	}
	// Precondition: the key id can name a Transit key (checked before any request).
	if _, err := p.transit.keyName(keyID); err != nil {
		return nil, err
	}
	dataKey, err := p.dataKeys.take(ctx, slotName(keyID, namespace), max(payloadCount, 1))
	if err != nil {
		return nil, err
	}
	return &codec.KeyMaterial{KeyID: keyID, Version: dataKey.version, Key: dataKey.key, WrappedKey: dataKey.wrappedKey}, nil
}

// DecryptionKey implements codec.KeyProvider.
func (p *TransitProvider) DecryptionKey(ctx context.Context, namespace string, ref codec.KeyRef) (*codec.KeyMaterial, error) {
	keyID, err := p.keyIDFor(namespace)
	if err != nil {
		return nil, err
	}
	if ref.KeyID != keyID {
		return nil, namespaceMismatch(namespace, ref)
	}
	if err := CheckTransitRef(ref); err != nil {
		return nil, err
	}
	cacheKey := keyID + "\x00" + namespace + "\x00" + ref.WrappedKey
	if m := p.cached(cacheKey, ref, p.unwrapMaxAge); m != nil {
		p.observer.CacheHit("version")
		return m, nil
	}
	p.observer.CacheMiss("version")
	for attempt := 0; attempt < 3; attempt++ {
		ch := p.flights.DoChan(cacheKey, func() (any, error) {
			return p.unwrap(context.WithoutCancel(ctx), keyID, namespace, ref.WrappedKey, cacheKey)
		})
		var r singleflight.Result
		select {
		case <-ctx.Done():
			return nil, waitErr(ctx)
		case r = <-ch:
		}
		if r.Err != nil {
			return p.unwrapFailed(cacheKey, ref, r.Err)
		}
		entry := r.Val.(*keyEntry)
		p.mu.Lock()
		var m *codec.KeyMaterial
		if !entry.zeroed {
			m = &codec.KeyMaterial{KeyID: ref.KeyID, Version: ref.Version, WrappedKey: ref.WrappedKey, Key: copyBytes(entry.key)}
		}
		p.mu.Unlock()
		if m != nil {
			return m, nil
		}
	}
	return nil, unavailable("Data key cache too small for the number of keys in use; raise MaxCachedDataKeys", nil)
}

func (p *TransitProvider) unwrapFailed(cacheKey string, ref codec.KeyRef, err error) (*codec.KeyMaterial, error) {
	if codec.IsRetryable(err) {
		if stale := p.cached(cacheKey, ref, p.unwrapMaxAge+p.staleIfError); stale != nil {
			p.observer.StaleServed("version")
			return stale, nil
		}
		return nil, err
	}
	// Vault said this version is gone (or the wrapped key is bad): forget it now rather than at max age.
	p.mu.Lock()
	p.unwrapped.Delete(cacheKey)
	p.mu.Unlock()
	return nil, err
}

func (p *TransitProvider) cached(cacheKey string, ref codec.KeyRef, maxAge time.Duration) *codec.KeyMaterial {
	p.mu.Lock()
	defer p.mu.Unlock()
	entry, ok := p.unwrapped.Get(cacheKey)
	if !ok || p.now().Sub(entry.StoredAt) >= maxAge {
		return nil
	}
	return &codec.KeyMaterial{KeyID: ref.KeyID, Version: ref.Version, WrappedKey: ref.WrappedKey, Key: copyBytes(entry.Value.key)}
}

func (p *TransitProvider) generate(ctx context.Context, slot string) (*transitDataKey, error) {
	keyID, namespace, _ := strings.Cut(slot, "\x00")
	dataKey, err := timed(p.observer, "datakey", p.now, func() (*transitDataKey, error) {
		return p.transit.generateDataKey(ctx, keyID, namespace)
	})
	if err != nil {
		return nil, err
	}
	// The same process often decodes what it just sealed: let that hit memory.
	p.mu.Lock()
	p.unwrapped.Set(keyID+"\x00"+namespace+"\x00"+dataKey.wrappedKey, &keyEntry{version: dataKey.version, key: copyBytes(dataKey.key)})
	p.mu.Unlock()
	return dataKey, nil
}

func (p *TransitProvider) unwrap(ctx context.Context, keyID, namespace, wrappedKey, cacheKey string) (*keyEntry, error) {
	key, err := timed(p.observer, "decrypt", p.now, func() ([]byte, error) {
		return p.transit.unwrap(ctx, keyID, namespace, wrappedKey)
	})
	if err != nil {
		return nil, err
	}
	entry := &keyEntry{key: key}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unwrapped.Set(cacheKey, entry)
	return entry, nil
}

// CheckHealth implements codec.KeyProvider.
func (p *TransitProvider) CheckHealth(ctx context.Context) error {
	return p.transit.vault.checkHealth(ctx)
}

// Invalidate drops (and zeroes) every cached data key, e.g. after an administrative change.
func (p *TransitProvider) Invalidate() {
	p.dataKeys.clear()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unwrapped.Clear()
}

// Close stops the sweeper and zeroes every cached key.
func (p *TransitProvider) Close() error {
	p.closeOnce.Do(func() { close(p.stop) })
	p.Invalidate()
	return nil
}

func (p *TransitProvider) sweep() {
	p.dataKeys.sweep()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unwrapped.Sweep(p.unwrapMaxAge + p.staleIfError)
}
