package keys

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"time"
)

// The keyring file's lock across processes is the one the TypeScript library
// takes with proper-lockfile: a directory <path>.lock, created atomically with
// mkdir, taken over when its modification time is older than keyringLockStale
// (its holder crashed). A change holds it for milliseconds, so it is never refreshed.
const (
	keyringLockStale = 10 * time.Second
	keyringLockWait  = 15 * time.Second
)

// lockKeyring takes the lock of path and returns its release function;
// ErrKeySourceUnavailable (retryable) when another process holds it too long.
func lockKeyring(path string) (func(), error) {
	lock := path + ".lock"
	deadline := time.Now().Add(keyringLockWait)
	delay := 20 * time.Millisecond
	for {
		err := os.Mkdir(lock, 0o700)
		if err == nil {
			return func() { os.Remove(lock) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fileError(err)
		}
		if info, statErr := os.Stat(lock); statErr == nil && time.Since(info.ModTime()) > keyringLockStale {
			// A stale lock: remove it and race for a fresh one (mkdir decides the winner).
			os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return nil, unavailable("Keyring file is locked by another process", err)
		}
		time.Sleep(delay + rand.N(delay))
		delay = min(delay*11/10, 250*time.Millisecond)
	}
}
