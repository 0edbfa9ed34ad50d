package keys

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// File-level pieces of the keyring: atomic writes, key material, errors.

func writeAtomically(path string, text []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	temp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(temp.Name())
	if err := temp.Chmod(0o600); err != nil {
		temp.Close()
		return err
	}
	if _, err := temp.Write(text); err != nil {
		temp.Close()
		return err
	}
	if err := temp.Sync(); err != nil {
		temp.Close()
		return err
	}
	if err := temp.Close(); err != nil {
		return err
	}
	return os.Rename(temp.Name(), path)
}

func newKeyringVersion(version uint32) keyringVersion {
	material := make([]byte, codec.RootKeyBytes)
	rand.Read(material)
	defer clear(material)
	return keyringVersion{
		Version:   version,
		CreatedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		State:     StateActive,
		Material:  base64.StdEncoding.EncodeToString(material),
	}
}

func decodeMaterial(material, keyID string, version uint32) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(material)
	if err != nil || len(key) != codec.RootKeyBytes {
		clear(key)
		return nil, codec.NewError(codec.ErrInvalidKeyMaterial, "Key material must be 32 bytes").WithKey(keyID, version)
	}
	return key, nil
}

func unknownKey(keyID string) error {
	return codec.NewError(codec.ErrUnknownKey, "Unknown key").WithKey(keyID, 0)
}

func fileError(cause error) error {
	if errors.Is(cause, fs.ErrPermission) {
		return codec.NewError(codec.ErrKeySourceDenied, "Keyring file is not accessible (permission denied)").WithCause(cause)
	}
	return unavailable("Keyring file could not be read or written", cause)
}
