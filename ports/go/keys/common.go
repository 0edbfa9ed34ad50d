package keys

import (
	"context"
	"time"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// Observer sees key-source activity, for metrics. Kind is "latest" (the key
// to encrypt with) or "version" (an exact version to decrypt with). Embed
// [NopObserver] to implement only some methods.
type Observer interface {
	CacheHit(kind string)
	CacheMiss(kind string)
	StaleServed(kind string)
	SourceRequest(operation string, duration time.Duration, ok bool)
}

// NopObserver ignores everything.
type NopObserver struct{}

// CacheHit does nothing.
func (NopObserver) CacheHit(string) {}

// CacheMiss does nothing.
func (NopObserver) CacheMiss(string) {}

// StaleServed does nothing.
func (NopObserver) StaleServed(string) {}

// SourceRequest does nothing.
func (NopObserver) SourceRequest(string, time.Duration, bool) {}

// duration applies the option rule: zero is the default, negative is none.
func duration(value, fallback time.Duration) time.Duration {
	switch {
	case value == 0:
		return fallback
	case value < 0:
		return 0
	default:
		return value
	}
}

func timed[T any](observer Observer, operation string, now func() time.Time, fn func() (T, error)) (T, error) {
	started := now()
	value, err := fn()
	observer.SourceRequest(operation, now().Sub(started), err == nil)
	return value, err
}

func copyBytes(b []byte) []byte { return append([]byte(nil), b...) }

func unavailable(message string, cause error) *codec.Error {
	return codec.NewError(codec.ErrKeySourceUnavailable, message).WithCause(cause)
}

// waitErr turns a caller's expired context into a retryable error.
func waitErr(ctx context.Context) error {
	return unavailable("Key source request abandoned: "+ctx.Err().Error(), ctx.Err())
}

func namespaceMismatch(namespace string, ref codec.KeyRef) error {
	e := codec.NewError(codec.ErrNamespaceMismatch, "Payload key id does not belong to namespace "+namespace).
		WithKey(ref.KeyID, ref.Version)
	e.Namespace = namespace
	return e
}

// sweepEvery is how often caches drop entries past every window.
func sweepEvery(shortest time.Duration) time.Duration {
	return max(time.Second, min(shortest, time.Minute))
}

// sweeper runs fn periodically until stop is closed.
func sweeper(every time.Duration, stop <-chan struct{}, fn func()) {
	ticker := time.NewTicker(every)
	go func() {
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				fn()
			case <-stop:
				return
			}
		}
	}()
}
