package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// A keyring file as the TypeScript library writes it (JSON.stringify with two-space indent).
const tsKeyring = `{
  "format": "temporal-vault-codec-keyring/v1",
  "keys": {
    "orders": {
      "versions": [
        { "version": 1, "createdAt": "2026-01-01T00:00:00.000Z", "state": "destroyed" },
        { "version": 2, "createdAt": "2026-01-02T00:00:00.000Z", "state": "active", "material": "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=" },
        { "version": 3, "createdAt": "2026-01-03T00:00:00.000Z", "state": "inactive", "material": "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=" }
      ]
    },
    "short": { "versions": [ { "version": 1, "createdAt": "2026-01-01T00:00:00.000Z", "state": "active", "material": "AAAA" } ] }
  }
}
`

func writeKeyring(t *testing.T, text string) *LocalKeyring {
	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := NewLocalKeyring(LocalKeyringOptions{Path: path, NoCreateMissingKeys: true, Warn: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestReadsTheTypeScriptKeyringFormat(t *testing.T) {
	k := writeKeyring(t, tsKeyring)
	version, key, err := k.ReadLatest(ctx, "orders")
	// Version 3 is inactive (decrypt only): the newest active one is 2.
	if err != nil || version != 2 || !bytes.Equal(key, bytes.Repeat([]byte{2}, 32)) {
		t.Fatalf("latest: %d %x %v", version, key, err)
	}
	if key, err := k.ReadVersion(ctx, "orders", 3); err != nil || !bytes.Equal(key, bytes.Repeat([]byte{3}, 32)) {
		t.Errorf("inactive version 3: %x %v", key, err)
	}
	checks := []struct {
		keyID   string
		version uint32
		code    codec.Code
	}{
		{"orders", 1, codec.ErrKeyVersionDestroyed},
		{"orders", 4, codec.ErrUnknownKeyVersion},
		{"missing", 1, codec.ErrUnknownKey},
		{"short", 1, codec.ErrInvalidKeyMaterial},
	}
	for _, c := range checks {
		if _, err := k.ReadVersion(ctx, c.keyID, c.version); !errors.Is(err, c.code) {
			t.Errorf("%s v%d: %v, want %s", c.keyID, c.version, err, c.code)
		}
	}
	if _, _, err := k.ReadLatest(ctx, "missing"); !errors.Is(err, codec.ErrUnknownKey) {
		t.Errorf("missing key: %v", err)
	}
}

func TestCreatesMissingKeysInAPrivateFileTheTypeScriptLibraryCanRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keyring.json")
	var warnings []string
	k, _ := NewLocalKeyring(LocalKeyringOptions{Path: path, Warn: func(m string) { warnings = append(warnings, m) }})
	version, key, err := k.ReadLatest(ctx, "orders")
	if err != nil || version != 1 || len(key) != 32 {
		t.Fatalf("%d %d %v", version, len(key), err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("keyring file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	if len(warnings) == 0 {
		t.Error("no development-only warning")
	}
	var file struct {
		Format string `json:"format"`
		Keys   map[string]struct {
			Versions []map[string]any `json:"versions"`
		} `json:"keys"`
	}
	text, _ := os.ReadFile(path)
	if err := json.Unmarshal(text, &file); err != nil || file.Format != KeyringFormat {
		t.Fatalf("file: %s (%v)", text, err)
	}
	stored := file.Keys["orders"].Versions[0]
	material, _ := base64.StdEncoding.DecodeString(stored["material"].(string))
	if stored["state"] != "active" || stored["version"] != float64(1) || !bytes.Equal(material, key) {
		t.Errorf("stored version %v", stored)
	}
	if v, _ := k.RotateKey("orders"); v != 2 {
		t.Errorf("rotation made version %d", v)
	}
	if _, err := k.CreateKey("orders"); !errors.Is(err, codec.ErrInvalidArgument) {
		t.Errorf("creating an existing key: %v", err)
	}
}

func TestRefusesAFileThatIsNotAKeyring(t *testing.T) {
	for _, text := range []string{"not json", `{"format":"other","keys":{}}`} {
		if _, _, err := writeKeyring(t, text).ReadLatest(ctx, "orders"); !errors.Is(err, codec.ErrInvalidConfig) {
			t.Errorf("%q: %v, want ERR_INVALID_CONFIG", text, err)
		}
	}
	if _, err := NewLocalKeyring(LocalKeyringOptions{}); !errors.Is(err, codec.ErrInvalidConfig) {
		t.Errorf("no path: %v", err)
	}
}

func TestWaitsForTheCrossProcessLockAndTakesOverAStaleOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	k, _ := NewLocalKeyring(LocalKeyringOptions{Path: path, Warn: func(string) {}})
	// A lock held by another process (as proper-lockfile makes it): the change waits for its release.
	if err := os.Mkdir(path+".lock", 0o700); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := k.RotateKey("orders")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("rotated while another process held the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	os.Remove(path + ".lock")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A lock left by a crashed process (older than the stale limit) is taken over.
	os.Mkdir(path+".lock", 0o700)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(path+".lock", old, old)
	if v, err := k.RotateKey("orders"); err != nil || v != 2 {
		t.Fatalf("stale lock: %d %v", v, err)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Error("the lock was not released")
	}
}
