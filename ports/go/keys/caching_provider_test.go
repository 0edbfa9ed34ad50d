package keys

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// memStore is an in-memory VersionedStore that counts reads and can fail on demand.
type memStore struct {
	mu       sync.Mutex
	versions map[uint32][]byte
	latest   uint32
	fail     error
	reads    atomic.Int32
	gate     chan struct{} // when set, reads wait for it
	entered  chan struct{} // when set, each read announces itself here first
	handed   [][]byte      // every buffer handed to the caller
}

func newMemStore() *memStore { return &memStore{versions: map[uint32][]byte{}} }

func (s *memStore) rotate() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latest++
	s.versions[s.latest] = bytes.Repeat([]byte{byte(s.latest)}, 32)
	return s.latest
}

func (s *memStore) Kind() string { return "memory" }

func (s *memStore) read(version uint32) ([]byte, error) {
	s.reads.Add(1)
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	key, ok := s.versions[version]
	if !ok {
		return nil, codec.NewError(codec.ErrUnknownKeyVersion, "Unknown key version")
	}
	out := bytes.Clone(key)
	s.handed = append(s.handed, out)
	return out, nil
}

func (s *memStore) ReadLatest(_ context.Context, _ string) (uint32, []byte, error) {
	s.mu.Lock()
	latest := s.latest
	s.mu.Unlock()
	key, err := s.read(latest)
	return latest, key, err
}

func (s *memStore) ReadVersion(_ context.Context, _ string, version uint32) ([]byte, error) {
	return s.read(version)
}

func (s *memStore) CheckHealth(context.Context) error { return nil }

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newProvider(t *testing.T, store VersionedStore, options CachingOptions) (*CachingProvider, *clock) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	options.Now = c.Now
	p := NewCachingProvider(store, options)
	t.Cleanup(func() { p.Close() })
	return p, c
}

var ctx = context.Background()

func TestTrustsTheNewestVersionForItsTTLThenSeesARotation(t *testing.T) {
	store := newMemStore()
	store.rotate()
	p, clk := newProvider(t, store, CachingOptions{LatestTTL: time.Minute})
	m, _ := p.EncryptionKey(ctx, "orders", 1)
	store.rotate()
	again, _ := p.EncryptionKey(ctx, "orders", 1)
	if m.Version != 1 || again.Version != 1 || store.reads.Load() != 1 {
		t.Fatalf("within the TTL: versions %d, %d after %d reads", m.Version, again.Version, store.reads.Load())
	}
	clk.advance(time.Minute)
	if m, _ := p.EncryptionKey(ctx, "orders", 1); m.Version != 2 {
		t.Errorf("after the TTL the provider encrypts with version %d, want 2", m.Version)
	}
}

func TestServesExactVersionsForTheirMaxAgeAndHandsOutCopies(t *testing.T) {
	store := newMemStore()
	store.rotate()
	p, clk := newProvider(t, store, CachingOptions{VersionMaxAge: time.Minute})
	ref := codec.KeyRef{KeyID: "orders", Version: 1}
	a, _ := p.DecryptionKey(ctx, "orders", ref)
	a.Zero()
	b, _ := p.DecryptionKey(ctx, "orders", ref)
	if store.reads.Load() != 1 || !bytes.Equal(b.Key, bytes.Repeat([]byte{1}, 32)) {
		t.Fatalf("zeroing a handed-out key reached the cache, or the cache missed (%d reads)", store.reads.Load())
	}
	for _, handed := range store.handed {
		if !bytes.Equal(handed, make([]byte, 32)) {
			t.Error("the store's buffer was not zeroed after copying")
		}
	}
	clk.advance(time.Minute)
	p.DecryptionKey(ctx, "orders", ref)
	if store.reads.Load() != 2 {
		t.Errorf("past the max age: %d reads, want 2", store.reads.Load())
	}
}

func TestEvictsTheLeastRecentlyUsedVersionAndZeroesIt(t *testing.T) {
	store := newMemStore()
	for i := 0; i < 3; i++ {
		store.rotate()
	}
	p, _ := newProvider(t, store, CachingOptions{MaxCachedVersions: 2})
	p.DecryptionKey(ctx, "orders", codec.KeyRef{KeyID: "orders", Version: 1})
	p.mu.Lock()
	first, _ := p.versions.Peek("orders\x001")
	p.mu.Unlock()
	p.DecryptionKey(ctx, "orders", codec.KeyRef{KeyID: "orders", Version: 2})
	p.DecryptionKey(ctx, "orders", codec.KeyRef{KeyID: "orders", Version: 3})
	if !first.Value.zeroed || !bytes.Equal(first.Value.key, make([]byte, 32)) {
		t.Error("the evicted version's bytes were not zeroed")
	}
	p.DecryptionKey(ctx, "orders", codec.KeyRef{KeyID: "orders", Version: 1})
	if store.reads.Load() != 4 {
		t.Errorf("%d reads, want 4 (version 1 read again after eviction)", store.reads.Load())
	}
}

func TestConcurrentMissesShareOneRequest(t *testing.T) {
	// In a synctest bubble, Wait returns once every caller is blocked: one in
	// the store, the others waiting for its answer (or each in the store, if
	// there were no single flight).
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		store.rotate()
		store.gate = make(chan struct{})
		p := NewCachingProvider(store, CachingOptions{})
		defer p.Close()
		var wg sync.WaitGroup
		results := make([]*codec.KeyMaterial, 20)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := p.DecryptionKey(ctx, "orders", codec.KeyRef{KeyID: "orders", Version: 1})
				if err != nil {
					t.Error(err)
				}
				results[i] = m
			}()
		}
		synctest.Wait()
		close(store.gate)
		wg.Wait()
		if n := store.reads.Load(); n != 1 {
			t.Errorf("20 concurrent misses made %d store reads, want 1", n)
		}
		results[0].Zero()
		if !bytes.Equal(results[1].Key, bytes.Repeat([]byte{1}, 32)) {
			t.Error("callers share one key buffer")
		}
	})
}

func TestServesStaleKeysOnlyForRetryableFailuresWithinTheWindow(t *testing.T) {
	store := newMemStore()
	store.rotate()
	p, clk := newProvider(t, store, CachingOptions{LatestTTL: time.Minute, VersionMaxAge: time.Minute, StaleIfError: 10 * time.Minute})
	ref := codec.KeyRef{KeyID: "orders", Version: 1}
	p.EncryptionKey(ctx, "orders", 1)
	store.fail = codec.NewError(codec.ErrKeySourceUnavailable, "down")
	clk.advance(5 * time.Minute)
	if _, err := p.EncryptionKey(ctx, "orders", 1); err != nil {
		t.Errorf("newest version not served stale: %v", err)
	}
	if _, err := p.DecryptionKey(ctx, "orders", ref); err != nil {
		t.Errorf("exact version not served stale: %v", err)
	}
	clk.advance(6 * time.Minute)
	if _, err := p.DecryptionKey(ctx, "orders", ref); !errors.Is(err, codec.ErrKeySourceUnavailable) {
		t.Errorf("past the stale window: %v, want ERR_KEY_SOURCE_UNAVAILABLE", err)
	}
	// A definitive answer is never covered up by a stale key, and forgets the cached one.
	store.fail = codec.NewError(codec.ErrKeyVersionDestroyed, "destroyed")
	p2, clk2 := newProvider(t, store, CachingOptions{VersionMaxAge: time.Minute})
	store.fail = nil
	p2.DecryptionKey(ctx, "orders", ref)
	store.fail = codec.NewError(codec.ErrKeyVersionDestroyed, "destroyed")
	clk2.advance(time.Minute)
	if _, err := p2.DecryptionKey(ctx, "orders", ref); !errors.Is(err, codec.ErrKeyVersionDestroyed) {
		t.Errorf("destroyed version: %v", err)
	}
}

func TestRefusesKeyIDsOfOtherNamespaces(t *testing.T) {
	p, _ := newProvider(t, newMemStore(), CachingOptions{})
	_, err := p.DecryptionKey(ctx, "orders", codec.KeyRef{KeyID: "payments", Version: 1})
	if !errors.Is(err, codec.ErrNamespaceMismatch) {
		t.Errorf("%v, want ERR_NAMESPACE_MISMATCH", err)
	}
	if _, err := p.EncryptionKey(ctx, "a/b", 1); !errors.Is(err, codec.ErrInvalidArgument) {
		t.Errorf("%v, want ERR_INVALID_ARGUMENT", err)
	}
}

func TestCallerDeadlineDoesNotCancelTheSharedRequest(t *testing.T) {
	store := newMemStore()
	store.rotate()
	store.gate = make(chan struct{})
	store.entered = make(chan struct{}, 100)
	p, _ := newProvider(t, store, CachingOptions{})
	short, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := p.EncryptionKey(short, "orders", 1)
		done <- err
	}()
	<-store.entered
	cancel()
	if err := <-done; !errors.Is(err, codec.ErrKeySourceUnavailable) {
		t.Errorf("abandoned wait: %v", err)
	}
	close(store.gate)
	if _, err := p.EncryptionKey(ctx, "orders", 1); err != nil {
		t.Error(err)
	}
}
