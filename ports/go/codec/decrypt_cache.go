package codec

import (
	"strconv"
	"sync"
	"time"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/internal/lru"
)

// decryptKeyCache holds derived decryption keys by (key id, version, wrapped
// key, salt). Payloads of one sealing session share a salt, so a batch costs
// one derivation. Entries expire after maxAge, so a destroyed key version
// stops decrypting, and the LRU is bounded.
type decryptKeyCache struct {
	mu     sync.Mutex
	lru    *lru.Cache[string, *derivedKey]
	maxAge time.Duration
	now    func() time.Time
}

func newDecryptKeyCache(maxEntries int, maxAge time.Duration, now func() time.Time) *decryptKeyCache {
	return &decryptKeyCache{lru: lru.New[string, *derivedKey](maxEntries, now, nil), maxAge: maxAge, now: now}
}

func decryptCacheKey(ref KeyRef, salt []byte) string {
	return ref.KeyID + "\x00" + strconv.FormatUint(uint64(ref.Version), 10) + "\x00" + ref.WrappedKey + "\x00" + string(salt)
}

func (c *decryptKeyCache) get(ref KeyRef, salt []byte) *derivedKey {
	key := decryptCacheKey(ref, salt)
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := c.lru.Get(key)
	if !ok {
		return nil
	}
	if c.now().Sub(entry.StoredAt) >= c.maxAge {
		c.lru.Delete(key)
		return nil
	}
	return entry.Value
}

func (c *decryptKeyCache) set(ref KeyRef, key *derivedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Set(decryptCacheKey(ref, key.salt[:]), key)
}

func (c *decryptKeyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Clear()
}
