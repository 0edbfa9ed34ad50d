package codec

import (
	"context"
	"unicode/utf16"
	"unicode/utf8"
)

// KeyMaterial is one key version's root material, handed to the codec. The
// codec owns Key (a copy made for it) and zeroes it once it has derived what
// it needs.
type KeyMaterial struct {
	KeyID   string
	Version uint32
	// Key is 32 bytes of AES-256 root key material.
	Key []byte
	// WrappedKey is the wrapped form of Key (Transit envelope mode only),
	// carried in payload metadata.
	WrappedKey string
}

// Ref returns the key reference of m.
func (m *KeyMaterial) Ref() KeyRef {
	return KeyRef{KeyID: m.KeyID, Version: m.Version, WrappedKey: m.WrappedKey}
}

// Zero overwrites the key bytes.
func (m *KeyMaterial) Zero() { clear(m.Key) }

// KeyProvider is where keys come from. The codec asks for the key to encrypt
// with and for the exact key a payload names; it never does I/O itself, and
// swapping the provider never touches the cryptography.
//
//	Codec --EncryptionKey(ns)-----> KeyProvider --> cache --> Vault / keyring file
//	      --DecryptionKey(ns, ref)-^
//
// Implementations must be safe for concurrent use and return only [*Error]s.
type KeyProvider interface {
	// KeyIDFor returns the key id that holds namespace's keys (payloads naming
	// another key id fail with ErrNamespaceMismatch).
	KeyIDFor(namespace string) (string, error)
	// EncryptionKey returns the newest active key version for namespace, to
	// seal payloadCount payloads (envelope providers count data-key uses with
	// it). Called once per batch.
	EncryptionKey(ctx context.Context, namespace string, payloadCount int) (*KeyMaterial, error)
	// DecryptionKey returns exactly the key version ref names.
	DecryptionKey(ctx context.Context, namespace string, ref KeyRef) (*KeyMaterial, error)
	// CheckHealth returns ErrKeySourceUnavailable when the key source does not answer.
	CheckHealth(ctx context.Context) error
	// Close stops background work and zeroes cached keys.
	Close() error
}

// maxNamespaceLength is the longest namespace accepted, in UTF-16 code units
// as the TypeScript library counts.
const maxNamespaceLength = 255

// ValidateNamespace checks that namespace is usable as a key id and as a Vault
// path segment: valid UTF-8, non-empty, at most 255 UTF-16 code units, no
// control characters, no '/' or '\', and not "." or "..".
func ValidateNamespace(namespace string) error {
	bad := namespace == "" || namespace == "." || namespace == ".." || !utf8.ValidString(namespace)
	units := 0
	for _, r := range namespace {
		units += utf16.RuneLen(r)
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			bad = true
		}
	}
	if bad || units > maxNamespaceLength {
		return NewError(ErrInvalidArgument, "Invalid namespace name").WithField("namespace")
	}
	return nil
}

// DefaultKeyIDFor maps a namespace to its default key id: the namespace
// itself, validated.
func DefaultKeyIDFor(namespace string) (string, error) {
	if err := ValidateNamespace(namespace); err != nil {
		return "", err
	}
	return namespace, nil
}
