package keys

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/internal/lru"
)

// CachingOptions are the cache limits of [CachingProvider]. Zero means the
// default; a negative duration means none.
type CachingOptions struct {
	// LatestTTL is how long "the newest version" is trusted before asking
	// again, so a rotation propagates. Default 60 s.
	LatestTTL time.Duration
	// VersionMaxAge is how long an exact version is served from memory, so
	// destruction takes effect. Default 5 min.
	VersionMaxAge time.Duration
	// MaxCachedVersions is the number of exact versions kept (least recently
	// used evicted and zeroed). Default 1,000.
	MaxCachedVersions int
	// StaleIfError: when the store fails with a retryable error, a cached
	// exact version past its age is still served this much longer. Default 15 min.
	StaleIfError time.Duration
	// EncryptStaleIfError: likewise for the newest version, to keep
	// encrypting during an outage. Default 4 h, or StaleIfError when that is set.
	EncryptStaleIfError time.Duration
	// KeyIDFor maps a namespace to its key id. Default codec.DefaultKeyIDFor.
	KeyIDFor func(namespace string) (string, error)
	// Observer sees cache and store activity. Default none.
	Observer Observer
	// Now is the clock, injectable for tests. Default time.Now.
	Now func() time.Time
}

// keyEntry is a cached key; zeroed (and marked) when it leaves the cache.
type keyEntry struct {
	version uint32
	key     []byte
	zeroed  bool
}

func (e *keyEntry) zero() {
	clear(e.key)
	e.zeroed = true
}

// CachingProvider wraps a [VersionedStore] with the caching rules of the
// design: newest-version lookups with a short TTL, exact versions in a
// bounded LRU with a max age, one shared request for concurrent misses, and a
// bounded stale window when the store fails. It implements codec.KeyProvider.
type CachingProvider struct {
	store               VersionedStore
	latestTTL           time.Duration
	versionMaxAge       time.Duration
	staleIfError        time.Duration
	encryptStaleIfError time.Duration
	keyIDFor            func(string) (string, error)
	observer            Observer
	now                 func() time.Time

	mu            sync.Mutex
	latest        *lru.Cache[string, *keyEntry]
	versions      *lru.Cache[string, *keyEntry]
	latestFlight  singleflight.Group
	versionFlight singleflight.Group
	stop          chan struct{}
	closeOnce     sync.Once
}

var _ codec.KeyProvider = (*CachingProvider)(nil)

// NewCachingProvider returns a caching key provider over store. Close it to
// stop its sweeper and zero its keys.
func NewCachingProvider(store VersionedStore, options CachingOptions) *CachingProvider {
	p := &CachingProvider{
		store:         store,
		latestTTL:     duration(options.LatestTTL, time.Minute),
		versionMaxAge: duration(options.VersionMaxAge, 5*time.Minute),
		staleIfError:  duration(options.StaleIfError, 15*time.Minute),
		keyIDFor:      options.KeyIDFor,
		observer:      options.Observer,
		now:           options.Now,
		stop:          make(chan struct{}),
	}
	// An explicit StaleIfError (e.g. negative to turn stale serving off)
	// applies to both unless EncryptStaleIfError is given too.
	encryptDefault := 4 * time.Hour
	if options.StaleIfError != 0 {
		encryptDefault = p.staleIfError
	}
	p.encryptStaleIfError = duration(options.EncryptStaleIfError, encryptDefault)
	if p.keyIDFor == nil {
		p.keyIDFor = codec.DefaultKeyIDFor
	}
	if p.observer == nil {
		p.observer = NopObserver{}
	}
	if p.now == nil {
		p.now = time.Now
	}
	maxEntries := options.MaxCachedVersions
	if maxEntries <= 0 {
		maxEntries = 1000
	}
	zero := func(e *keyEntry) { e.zero() }
	p.latest = lru.New[string](maxEntries, p.now, zero)
	p.versions = lru.New[string](maxEntries, p.now, zero)
	// Entries past their stale window are useless: zero them even if nobody asks again.
	sweeper(sweepEvery(p.versionMaxAge), p.stop, p.sweep)
	return p
}

// KeyIDFor implements codec.KeyProvider.
func (p *CachingProvider) KeyIDFor(namespace string) (string, error) { return p.keyIDFor(namespace) }

// EncryptionKey implements codec.KeyProvider.
func (p *CachingProvider) EncryptionKey(ctx context.Context, namespace string, _ int) (*codec.KeyMaterial, error) {
	keyID, err := p.keyIDFor(namespace)
	if err != nil {
		return nil, err
	}
	if m := p.cached(p.latest, keyID, keyID, 0, p.latestTTL); m != nil {
		p.observer.CacheHit("latest")
		return m, nil
	}
	p.observer.CacheMiss("latest")
	m, err := p.fetch(ctx, &p.latestFlight, keyID, keyID, 0, func(ctx context.Context) (*keyEntry, error) {
		return p.fetchLatest(ctx, keyID)
	})
	if err == nil {
		return m, nil
	}
	if codec.IsRetryable(err) {
		if stale := p.cached(p.latest, keyID, keyID, 0, p.latestTTL+p.encryptStaleIfError); stale != nil {
			p.observer.StaleServed("latest")
			return stale, nil
		}
	}
	return nil, err
}

// DecryptionKey implements codec.KeyProvider.
func (p *CachingProvider) DecryptionKey(ctx context.Context, namespace string, ref codec.KeyRef) (*codec.KeyMaterial, error) {
	keyID, err := p.keyIDFor(namespace)
	if err != nil {
		return nil, err
	}
	if ref.KeyID != keyID {
		return nil, namespaceMismatch(namespace, ref)
	}
	cacheKey := keyID + "\x00" + strconv.FormatUint(uint64(ref.Version), 10)
	if m := p.cached(p.versions, cacheKey, keyID, ref.Version, p.versionMaxAge); m != nil {
		p.observer.CacheHit("version")
		return m, nil
	}
	p.observer.CacheMiss("version")
	m, err := p.fetch(ctx, &p.versionFlight, cacheKey, keyID, ref.Version, func(ctx context.Context) (*keyEntry, error) {
		return p.fetchVersion(ctx, keyID, ref.Version, cacheKey)
	})
	if err == nil {
		return m, nil
	}
	if !codec.IsRetryable(err) {
		// The store said this version is gone: forget it now rather than at max age.
		p.mu.Lock()
		p.versions.Delete(cacheKey)
		p.mu.Unlock()
		return nil, err
	}
	if stale := p.cached(p.versions, cacheKey, keyID, ref.Version, p.versionMaxAge+p.staleIfError); stale != nil {
		p.observer.StaleServed("version")
		return stale, nil
	}
	return nil, err
}

// cached returns a copy of the entry under cacheKey when it is younger than
// maxAge. version 0 means "the entry's own version".
func (p *CachingProvider) cached(c *lru.Cache[string, *keyEntry], cacheKey, keyID string, version uint32, maxAge time.Duration) *codec.KeyMaterial {
	p.mu.Lock()
	defer p.mu.Unlock()
	entry, ok := c.Get(cacheKey)
	if !ok || p.now().Sub(entry.StoredAt) >= maxAge {
		return nil
	}
	return material(entry.Value, keyID, version)
}

func material(e *keyEntry, keyID string, version uint32) *codec.KeyMaterial {
	if version == 0 {
		version = e.version
	}
	return &codec.KeyMaterial{KeyID: keyID, Version: version, Key: copyBytes(e.key)}
}

// fetch runs fn once for all concurrent callers of flightKey. The result is
// the cache entry fn stored; each caller copies it under the lock. If the
// entry was evicted (and zeroed) before a caller got to copy it, the caller
// fetches again.
func (p *CachingProvider) fetch(ctx context.Context, group *singleflight.Group, flightKey, keyID string, version uint32, fn func(context.Context) (*keyEntry, error)) (*codec.KeyMaterial, error) {
	for attempt := 0; attempt < 3; attempt++ {
		// One caller giving up must not fail the others: the request runs
		// detached from any caller's cancellation, bounded by the client's timeout.
		ch := group.DoChan(flightKey, func() (any, error) { return fn(context.WithoutCancel(ctx)) })
		select {
		case <-ctx.Done():
			return nil, waitErr(ctx)
		case r := <-ch:
			if r.Err != nil {
				return nil, r.Err
			}
			entry := r.Val.(*keyEntry)
			p.mu.Lock()
			var m *codec.KeyMaterial
			if !entry.zeroed {
				m = material(entry, keyID, version)
			}
			p.mu.Unlock()
			if m != nil {
				return m, nil
			}
		}
	}
	return nil, unavailable("Key cache too small for the number of keys in use; raise MaxCachedVersions", nil)
}

func (p *CachingProvider) fetchLatest(ctx context.Context, keyID string) (*keyEntry, error) {
	type latest struct {
		version uint32
		key     []byte
	}
	got, err := timed(p.observer, "readLatest", p.now, func() (latest, error) {
		v, k, err := p.store.ReadLatest(ctx, keyID)
		return latest{v, k}, err
	})
	if err != nil {
		return nil, err
	}
	defer clear(got.key)
	entry := &keyEntry{version: got.version, key: copyBytes(got.key)}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latest.Set(keyID, entry)
	p.versions.Set(keyID+"\x00"+strconv.FormatUint(uint64(got.version), 10), &keyEntry{version: got.version, key: copyBytes(got.key)})
	return entry, nil
}

func (p *CachingProvider) fetchVersion(ctx context.Context, keyID string, version uint32, cacheKey string) (*keyEntry, error) {
	key, err := timed(p.observer, "readVersion", p.now, func() ([]byte, error) {
		return p.store.ReadVersion(ctx, keyID, version)
	})
	if err != nil {
		return nil, err
	}
	defer clear(key)
	entry := &keyEntry{version: version, key: copyBytes(key)}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.versions.Set(cacheKey, entry)
	return entry, nil
}

// CheckHealth implements codec.KeyProvider.
func (p *CachingProvider) CheckHealth(ctx context.Context) error { return p.store.CheckHealth(ctx) }

// Invalidate drops (and zeroes) every cached key, e.g. after an administrative change.
func (p *CachingProvider) Invalidate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latest.Clear()
	p.versions.Clear()
}

// Close stops the sweeper and zeroes every cached key. The provider keeps
// working after Close, without the sweeper.
func (p *CachingProvider) Close() error {
	p.closeOnce.Do(func() { close(p.stop) })
	p.Invalidate()
	return nil
}

func (p *CachingProvider) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latest.Sweep(p.latestTTL + p.encryptStaleIfError)
	p.versions.Sweep(p.versionMaxAge + p.staleIfError)
}
