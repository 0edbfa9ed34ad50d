package keys

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// fakeTransit hands out numbered data keys, or fails.
type fakeTransit struct {
	mu      sync.Mutex
	fetches int
	fail    error
	gate    chan struct{}
}

func (f *fakeTransit) fetch(context.Context, string) (*transitDataKey, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.fetches++
	return &transitDataKey{version: 1, key: bytes.Repeat([]byte{byte(f.fetches)}, 32), wrappedKey: "vault:v1:k" + string(rune('0'+f.fetches))}, nil
}

func newPool(f *fakeTransit, clk *clock, maxUses int) *dataKeyPool {
	return &dataKeyPool{fetch: f.fetch, maxAge: time.Minute, maxUses: maxUses, staleIfError: 10 * time.Minute,
		now: clk.Now, observer: NopObserver{}, slots: map[string]*poolSlot{}}
}

func TestDataKeysHaveAPayloadBudgetAndAMaxAge(t *testing.T) {
	f := &fakeTransit{}
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	pool := newPool(f, clk, 10)
	for i := 0; i < 3; i++ {
		pool.take(ctx, "s", 3)
	}
	if f.fetches != 1 {
		t.Fatalf("9 of 10 uses: %d fetches", f.fetches)
	}
	k, _ := pool.take(ctx, "s", 3)
	if f.fetches != 2 || k.wrappedKey != "vault:v1:k2" {
		t.Fatalf("past the budget: %d fetches, key %s", f.fetches, k.wrappedKey)
	}
	// A batch larger than the budget gets a fresh key of its own.
	big, _ := pool.take(ctx, "s", 25)
	if f.fetches != 3 || big.wrappedKey != "vault:v1:k3" {
		t.Errorf("batch of 25: %d fetches", f.fetches)
	}
	clk.advance(time.Minute)
	pool.take(ctx, "s", 0)
	if f.fetches != 4 {
		t.Errorf("past the max age: %d fetches, want 4", f.fetches)
	}
	k.key[0] = 99
	if got, _ := pool.take(ctx, "s", 1); got.key[0] != 4 {
		t.Error("handed-out keys share the pool's buffer")
	}
}

func TestDataKeysServeStaleOnlyWithinTheWindowAndOnlyOnRetryableErrors(t *testing.T) {
	f := &fakeTransit{}
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	pool := newPool(f, clk, 1000)
	pool.take(ctx, "s", 1)
	f.fail = codec.NewError(codec.ErrKeySourceUnavailable, "down")
	clk.advance(5 * time.Minute)
	if _, err := pool.take(ctx, "s", 1); err != nil {
		t.Errorf("within the stale window: %v", err)
	}
	clk.advance(6 * time.Minute)
	if _, err := pool.take(ctx, "s", 1); !errors.Is(err, codec.ErrKeySourceUnavailable) {
		t.Errorf("past the stale window: %v", err)
	}
	f.fail = codec.NewError(codec.ErrUnknownKey, "gone")
	pool2 := newPool(&fakeTransit{}, clk, 1000)
	pool2.take(ctx, "s", 1)
	pool2.fetch = f.fetch
	clk.advance(2 * time.Minute)
	if _, err := pool2.take(ctx, "s", 1); !errors.Is(err, codec.ErrUnknownKey) {
		t.Errorf("a definitive refusal is not covered by a stale key: %v", err)
	}
	pool.clear()
	if len(pool.slots) != 0 {
		t.Error("clear left keys")
	}
}

func TestConcurrentTakersShareOneDataKeyRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeTransit{gate: make(chan struct{})}
		pool := newPool(f, &clock{now: time.Unix(1_700_000_000, 0)}, 1000)
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := pool.take(ctx, "s", 1); err != nil {
					t.Error(err)
				}
			}()
		}
		synctest.Wait()
		close(f.gate)
		wg.Wait()
		if f.fetches != 1 {
			t.Errorf("20 concurrent takers made %d datakey requests, want 1", f.fetches)
		}
	})
}
