package keys

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// KeyringFormat is the format tag of the keyring file, shared with the TypeScript library.
const KeyringFormat = "temporal-vault-codec-keyring/v1"

// Key version states, as stored in the keyring file and reported by Vault.
const (
	StateActive    = "active"
	StateInactive  = "inactive"
	StateDestroyed = "destroyed"
)

type keyringVersion struct {
	Version   uint32 `json:"version"`
	CreatedAt string `json:"createdAt"`
	State     string `json:"state"`
	// Material is base64; absent once destroyed.
	Material string `json:"material,omitempty"`
}

type keyringKey struct {
	Versions []keyringVersion `json:"versions"`
}

type keyringFile struct {
	Format string                 `json:"format"`
	Keys   map[string]*keyringKey `json:"keys"`
}

// LocalKeyringOptions configure a [LocalKeyring].
type LocalKeyringOptions struct {
	// Path is the keyring file; created (mode 0600) on first use.
	Path string
	// NoCreateMissingKeys turns off creating a namespace's key on its first
	// encryption (on by default, as in the TypeScript library: it is the
	// zero-setup development default).
	NoCreateMissingKeys bool
	// Warn receives the development-only warning. Default log.Print.
	Warn func(message string)
}

// LocalKeyring is a [VersionedStore] of keys in a local JSON file, the same
// file the TypeScript library reads and writes. Keys sit unencrypted on
// disk, protected only by file mode 0600: for development only, never in
// production; use Vault.
type LocalKeyring struct {
	path          string
	createMissing bool
	warn          func(string)
	warnOnce      sync.Once
	writes        sync.Mutex
}

var _ VersionedStore = (*LocalKeyring)(nil)

// NewLocalKeyring returns a keyring over options.Path.
func NewLocalKeyring(options LocalKeyringOptions) (*LocalKeyring, error) {
	if options.Path == "" {
		return nil, codec.NewError(codec.ErrInvalidConfig, "LocalKeyring needs a file path")
	}
	warn := options.Warn
	if warn == nil {
		warn = func(message string) { log.Print(message) }
	}
	return &LocalKeyring{path: options.Path, createMissing: !options.NoCreateMissingKeys, warn: warn}, nil
}

// Kind implements VersionedStore.
func (k *LocalKeyring) Kind() string { return "local-keyring" }

// ReadLatest implements VersionedStore.
func (k *LocalKeyring) ReadLatest(_ context.Context, keyID string) (uint32, []byte, error) {
	file, err := k.read()
	if err != nil {
		return 0, nil, err
	}
	entry := file.Keys[keyID]
	if entry == nil && k.createMissing {
		// Another writer may have created it first; that is fine.
		if _, err := k.CreateKey(keyID); err != nil && codec.CodeOf(err) != codec.ErrInvalidArgument {
			return 0, nil, err
		}
		if file, err = k.read(); err != nil {
			return 0, nil, err
		}
		entry = file.Keys[keyID]
	}
	if entry == nil {
		return 0, nil, unknownKey(keyID)
	}
	for i := len(entry.Versions) - 1; i >= 0; i-- {
		v := entry.Versions[i]
		if v.State == StateActive && v.Material != "" {
			key, err := decodeMaterial(v.Material, keyID, v.Version)
			return v.Version, key, err
		}
	}
	return 0, nil, codec.NewError(codec.ErrUnknownKeyVersion, "Key has no active version").WithKey(keyID, 0)
}

// ReadVersion implements VersionedStore.
func (k *LocalKeyring) ReadVersion(_ context.Context, keyID string, version uint32) ([]byte, error) {
	file, err := k.read()
	if err != nil {
		return nil, err
	}
	entry := file.Keys[keyID]
	if entry == nil {
		return nil, unknownKey(keyID)
	}
	i := slices.IndexFunc(entry.Versions, func(v keyringVersion) bool { return v.Version == version })
	if i < 0 {
		return nil, codec.NewError(codec.ErrUnknownKeyVersion, "Unknown key version").WithKey(keyID, version)
	}
	stored := entry.Versions[i]
	if stored.State == StateDestroyed || stored.Material == "" {
		return nil, codec.NewError(codec.ErrKeyVersionDestroyed, "Key version was destroyed").WithKey(keyID, version)
	}
	return decodeMaterial(stored.Material, keyID, version)
}

// CheckHealth implements VersionedStore: the file must be readable (or absent).
func (k *LocalKeyring) CheckHealth(context.Context) error {
	_, err := k.read()
	return err
}

// CreateKey creates version 1 of keyID; it fails with ErrInvalidArgument when the key exists.
func (k *LocalKeyring) CreateKey(keyID string) (uint32, error) {
	return k.update(func(file *keyringFile) (uint32, error) {
		if file.Keys[keyID] != nil {
			return 0, codec.NewError(codec.ErrInvalidArgument, "Key already exists").WithKey(keyID, 0)
		}
		file.Keys[keyID] = &keyringKey{Versions: []keyringVersion{newKeyringVersion(1)}}
		return 1, nil
	})
}

// RotateKey adds a new newest version of keyID (creating the key when missing) and returns it.
func (k *LocalKeyring) RotateKey(keyID string) (uint32, error) {
	return k.update(func(file *keyringFile) (uint32, error) {
		entry := file.Keys[keyID]
		if entry == nil {
			entry = &keyringKey{}
			file.Keys[keyID] = entry
		}
		var next uint32 = 1
		for _, v := range entry.Versions {
			next = max(next, v.Version+1)
		}
		entry.Versions = append(entry.Versions, newKeyringVersion(next))
		return next, nil
	})
}

func (k *LocalKeyring) read() (*keyringFile, error) {
	text, err := os.ReadFile(k.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &keyringFile{Format: KeyringFormat, Keys: map[string]*keyringKey{}}, nil
	}
	if err != nil {
		return nil, fileError(err)
	}
	k.warnOnce.Do(k.warnUse)
	var file keyringFile
	if err := json.Unmarshal(text, &file); err != nil {
		return nil, codec.NewError(codec.ErrInvalidConfig, "Keyring file is not valid JSON").WithCause(err)
	}
	if file.Format != KeyringFormat {
		return nil, codec.NewError(codec.ErrInvalidConfig, "Keyring file is not a "+KeyringFormat+" file")
	}
	if file.Keys == nil {
		file.Keys = map[string]*keyringKey{}
	}
	return &file, nil
}

// update applies change holding the file's lock (within the process and
// across processes, shared with the TypeScript library) from the read to the
// rename, and replaces the file atomically (write a temporary file, then rename).
func (k *LocalKeyring) update(change func(*keyringFile) (uint32, error)) (uint32, error) {
	k.writes.Lock()
	defer k.writes.Unlock()
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return 0, fileError(err)
	}
	unlock, err := lockKeyring(k.path)
	if err != nil {
		return 0, err
	}
	defer unlock()
	file, err := k.read()
	if err != nil {
		return 0, err
	}
	result, err := change(file)
	if err != nil {
		return 0, err
	}
	text, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return 0, codec.NewError(codec.ErrInvalidConfig, "Keyring cannot be serialized").WithCause(err)
	}
	if err := writeAtomically(k.path, append(text, '\n')); err != nil {
		return 0, fileError(err)
	}
	k.warnOnce.Do(k.warnUse)
	return result, nil
}

func (k *LocalKeyring) warnUse() {
	k.warn("WARNING: using the local keyring file " + k.path + ". Keys are stored unencrypted on this disk; " +
		"this is for development only. Use Vault (KV v2 or Transit) in production.")
	if info, err := os.Stat(k.path); err == nil && info.Mode().Perm()&0o077 != 0 {
		k.warn("WARNING: keyring file " + k.path + " is readable by other users (mode " +
			strconv.FormatUint(uint64(info.Mode().Perm()), 8) + "); run chmod 600.")
	}
}
