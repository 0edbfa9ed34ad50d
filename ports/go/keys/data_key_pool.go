package keys

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

type poolSlot struct {
	dataKey   *transitDataKey
	fetchedAt time.Time
	uses      int
}

// dataKeyPool holds the data keys currently used for encryption, one per slot
// (key id and namespace), under two limits: age and number of payloads. Every
// caller reserves its payload count before it gets a copy, so concurrent
// batches cannot push a key past its limit; concurrent misses share one
// request, and callers that find the fresh key already used up fetch the next.
type dataKeyPool struct {
	fetch        func(ctx context.Context, slot string) (*transitDataKey, error)
	maxAge       time.Duration
	maxUses      int
	staleIfError time.Duration
	now          func() time.Time
	observer     Observer

	mu      sync.Mutex
	slots   map[string]*poolSlot
	flights singleflight.Group
}

// take returns a copy of a data key with room for count payloads in slot,
// fetching a new one when none has room.
func (p *dataKeyPool) take(ctx context.Context, slot string, count int) (*transitDataKey, error) {
	// Each pass returns or waits for a fetch; a key fetched after the caller
	// arrived is fresh enough for it whatever the clock says, so the loop ends.
	arrived := p.now()
	for {
		if key := p.reserve(slot, count, p.maxAge, arrived); key != nil {
			p.observer.CacheHit("latest")
			return key, nil
		}
		p.observer.CacheMiss("latest")
		ch := p.flights.DoChan(slot, func() (any, error) {
			return nil, p.refill(context.WithoutCancel(ctx), slot)
		})
		var err error
		select {
		case <-ctx.Done():
			return nil, waitErr(ctx)
		case r := <-ch:
			err = r.Err
		}
		if err == nil {
			continue
		}
		if codec.IsRetryable(err) {
			if stale := p.reserve(slot, count, p.maxAge+p.staleIfError, time.Time{}); stale != nil {
				p.observer.StaleServed("latest")
				return stale, nil
			}
		}
		return nil, err
	}
}

// reserve takes count uses of the slot's key when it is younger than maxAge
// (or was fetched after fetchedSince, unless that is zero) and has room. A batch larger than
// maxUses gets a fresh key of its own.
func (p *dataKeyPool) reserve(name string, count int, maxAge time.Duration, fetchedSince time.Time) *transitDataKey {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slots[name]
	if s == nil {
		return nil
	}
	if p.now().Sub(s.fetchedAt) >= maxAge && (fetchedSince.IsZero() || !s.fetchedAt.After(fetchedSince)) {
		return nil
	}
	if s.uses > 0 && s.uses+count > p.maxUses {
		return nil
	}
	s.uses = int(min(int64(s.uses)+int64(count), math.MaxInt32))
	return &transitDataKey{version: s.dataKey.version, wrappedKey: s.dataKey.wrappedKey, key: copyBytes(s.dataKey.key)}
}

func (p *dataKeyPool) refill(ctx context.Context, name string) error {
	dataKey, err := p.fetch(ctx, name)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLocked(name)
	p.slots[name] = &poolSlot{dataKey: dataKey, fetchedAt: p.now()}
	return nil
}

// sweep zeroes and drops keys too old even for the stale window.
func (p *dataKeyPool) sweep() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for name, s := range p.slots {
		if now.Sub(s.fetchedAt) >= p.maxAge+p.staleIfError {
			p.dropLocked(name)
		}
	}
}

func (p *dataKeyPool) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name := range p.slots {
		p.dropLocked(name)
	}
}

func (p *dataKeyPool) dropLocked(name string) {
	if s := p.slots[name]; s != nil {
		clear(s.dataKey.key)
		delete(p.slots, name)
	}
}
