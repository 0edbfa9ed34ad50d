package codec

import commonpb "go.temporal.io/api/common/v1"

// Internals the external tests (package codec_test) check against the published vectors.

// DeriveBytes exposes the HKDF output (AES key || commitment).
func DeriveBytes(rootKey, salt []byte, keyID string, version uint32) ([]byte, error) {
	return deriveBytes(rootKey, salt, keyID, version)
}

// BuildAAD exposes the authenticated data.
func BuildAAD(format, namespace, keyID string, version uint32) []byte {
	return buildAAD(format, namespace, keyID, version)
}

// SerializePayload exposes the sealed plaintext's serialization.
func SerializePayload(p *commonpb.Payload) ([]byte, error) { return serializePayload(p) }

// SealPlaintext seals plaintext with a fixed salt and nonce, as the vectors do.
func SealPlaintext(rootKey, salt, nonce []byte, ref KeyRef, namespace string, plaintext []byte) ([]byte, error) {
	key, err := deriveKey(rootKey, salt, ref.KeyID, ref.Version)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, headerLen, headerLen+len(plaintext)+tagLen)
	buf = append(buf, plaintext...)
	return sealInto(key, buildAAD(FormatV1, namespace, ref.KeyID, ref.Version), buf, nonce), nil
}

// EncryptedMetadata exposes the metadata written for ref.
func EncryptedMetadata(ref KeyRef) map[string][]byte { return newMetadataFactory(ref).build() }
