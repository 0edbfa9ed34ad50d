// Package lru is a small bounded least-recently-used map with insertion times
// and an eviction callback. It is not safe for concurrent use: callers hold
// their own lock.
package lru

import (
	"container/list"
	"time"
)

// Entry is a cached value and when it was stored.
type Entry[V any] struct {
	Value    V
	StoredAt time.Time
}

type item[K comparable, V any] struct {
	key   K
	entry Entry[V]
}

// Cache maps keys to entries, evicting the least recently used one beyond
// MaxEntries. OnEvict sees every value that leaves (evicted, replaced,
// deleted, swept or cleared), so it can zero key bytes.
type Cache[K comparable, V any] struct {
	maxEntries int
	onEvict    func(V)
	now        func() time.Time
	order      *list.List
	items      map[K]*list.Element
}

// New returns a cache of at most maxEntries (at least 1) entries.
func New[K comparable, V any](maxEntries int, now func() time.Time, onEvict func(V)) *Cache[K, V] {
	if maxEntries < 1 {
		maxEntries = 1
	}
	if onEvict == nil {
		onEvict = func(V) {}
	}
	return &Cache[K, V]{maxEntries: maxEntries, onEvict: onEvict, now: now, order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the entry for key and marks it recently used.
func (c *Cache[K, V]) Get(key K) (Entry[V], bool) {
	el, ok := c.items[key]
	if !ok {
		return Entry[V]{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*item[K, V]).entry, true
}

// Peek returns the entry for key without changing its recency.
func (c *Cache[K, V]) Peek(key K) (Entry[V], bool) {
	el, ok := c.items[key]
	if !ok {
		return Entry[V]{}, false
	}
	return el.Value.(*item[K, V]).entry, true
}

// Set stores value under key, stamped now, replacing (and evicting) any old value.
func (c *Cache[K, V]) Set(key K, value V) {
	if el, ok := c.items[key]; ok {
		it := el.Value.(*item[K, V])
		old := it.entry.Value
		it.entry = Entry[V]{Value: value, StoredAt: c.now()}
		c.order.MoveToFront(el)
		c.onEvict(old)
		return
	}
	c.items[key] = c.order.PushFront(&item[K, V]{key: key, entry: Entry[V]{Value: value, StoredAt: c.now()}})
	for c.order.Len() > c.maxEntries {
		c.remove(c.order.Back())
	}
}

// Delete removes key, evicting its value.
func (c *Cache[K, V]) Delete(key K) {
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
}

// Sweep evicts every entry stored maxAge or longer ago.
func (c *Cache[K, V]) Sweep(maxAge time.Duration) {
	now := c.now()
	for el := c.order.Back(); el != nil; {
		prev := el.Prev()
		if now.Sub(el.Value.(*item[K, V]).entry.StoredAt) >= maxAge {
			c.remove(el)
		}
		el = prev
	}
}

// Clear evicts every entry.
func (c *Cache[K, V]) Clear() {
	for el := c.order.Back(); el != nil; el = c.order.Back() {
		c.remove(el)
	}
}

// Len is the number of entries.
func (c *Cache[K, V]) Len() int { return c.order.Len() }

func (c *Cache[K, V]) remove(el *list.Element) {
	it := c.order.Remove(el).(*item[K, V])
	delete(c.items, it.key)
	c.onEvict(it.entry.Value)
}
