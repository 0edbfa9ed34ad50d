package codec

// Wire constants of format v1 (docs/wire-format.md). Every name here appears
// on the wire or in payload metadata: changing one is a breaking change.
const (
	// MetadataEncoding is the Temporal metadata key naming a payload's encoding.
	MetadataEncoding = "encoding"
	// MetadataKeyID names the key that sealed the payload (the namespace by default).
	MetadataKeyID = "encryption-key-id"
	// MetadataKeyVersion is the key version as a decimal integer in 1..4294967295.
	MetadataKeyVersion = "encryption-key-version"
	// MetadataFormat is the format identifier, bound into the authenticated data.
	MetadataFormat = "encryption-format"
	// MetadataWrappedKey carries the Transit-wrapped data key (vault:vN:...), Transit mode only.
	MetadataWrappedKey = "encryption-wrapped-key"

	// EncodingEncrypted is the encoding value of an encrypted payload, the
	// convention of Temporal's samples and Web UI.
	EncodingEncrypted = "binary/encrypted"
	// FormatV1 is AES-256-GCM with HKDF-SHA256 per-salt keys and key commitment.
	FormatV1 = "tvc1-aes256gcm-hkdf-sha256-commit"

	// RootKeyBytes is the length of a key version's root material.
	RootKeyBytes = 32
	// MaxPayloadsPerDerivedKey bounds the payloads sealed under one derived key
	// (one salt) before a fresh salt is drawn: 2^24.
	MaxPayloadsPerDerivedKey = 1 << 24
)

// Byte lengths of the v1 data layout: salt | commitment | nonce | ciphertext | tag.
const (
	saltLen       = 32
	commitmentLen = 32
	nonceLen      = 12
	tagLen        = 16
	headerLen     = saltLen + commitmentLen + nonceLen
	// MinSealedLen is the smallest valid sealed data (an empty serialized Payload).
	MinSealedLen = headerLen + tagLen
)

// KeyRef identifies one version of one key, as an encrypted payload's metadata names it.
type KeyRef struct {
	KeyID   string
	Version uint32
	// WrappedKey is the Transit-wrapped data key (Transit envelope mode only).
	WrappedKey string
}
