package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
)

// The cryptography of wire format v1 and nothing else: no I/O, no key
// sourcing, no metadata.

const (
	deriveLabel = "tvc1-derive"
	aadLabel    = "tvc1-aad"
)

// derivedKey is a per-salt AES-256-GCM key and its commitment. The raw AES key
// bytes are zeroed as soon as the cipher is built; what stays in memory is
// crypto/aes's own key schedule, which Go gives no way to wipe, and which the
// garbage collector reclaims once the key is dropped. Immutable after
// creation, so one derivedKey may be used by many goroutines at once.
type derivedKey struct {
	salt       [saltLen]byte
	commitment [commitmentLen]byte
	aead       cipher.AEAD
}

func appendLP16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// deriveKey runs HKDF-SHA256(ikm = root key, salt, info = "tvc1-derive" ||
// lp16(keyID) || u32(version), L = 64): the first 32 bytes are the AES key,
// the last 32 the key commitment.
func deriveKey(rootKey, salt []byte, keyID string, version uint32) (*derivedKey, error) {
	okm, err := deriveBytes(rootKey, salt, keyID, version)
	if err != nil {
		return nil, err
	}
	defer clear(okm)
	key := &derivedKey{}
	copy(key.salt[:], salt)
	copy(key.commitment[:], okm[32:])
	block, err := aes.NewCipher(okm[:32])
	if err != nil {
		return nil, NewError(ErrInvalidKeyMaterial, "AES key setup failed").WithCause(err)
	}
	if key.aead, err = cipher.NewGCM(block); err != nil {
		return nil, NewError(ErrInvalidKeyMaterial, "AES-GCM setup failed").WithCause(err)
	}
	return key, nil
}

// deriveBytes returns the 64 HKDF bytes: AES key, then commitment. The caller zeroes them.
func deriveBytes(rootKey, salt []byte, keyID string, version uint32) ([]byte, error) {
	if len(rootKey) != RootKeyBytes {
		return nil, NewError(ErrInvalidKeyMaterial, "Key material must be 32 bytes").WithKey(keyID, version)
	}
	info := make([]byte, 0, len(deriveLabel)+2+len(keyID)+4)
	info = append(info, deriveLabel...)
	info = appendLP16(info, keyID)
	info = binary.BigEndian.AppendUint32(info, version)
	okm, err := hkdf.Key(sha256.New, rootKey, salt, string(info), 64)
	if err != nil {
		return nil, NewError(ErrInvalidKeyMaterial, "Key derivation failed").WithKey(keyID, version).WithCause(err)
	}
	return okm, nil
}

// buildAAD returns "tvc1-aad" || lp16(format) || lp16(namespace) || lp16(keyID) || u32(version).
func buildAAD(format, namespace, keyID string, version uint32) []byte {
	out := make([]byte, 0, len(aadLabel)+6+len(format)+len(namespace)+len(keyID)+4)
	out = append(out, aadLabel...)
	out = appendLP16(out, format)
	out = appendLP16(out, namespace)
	out = appendLP16(out, keyID)
	return binary.BigEndian.AppendUint32(out, version)
}

// nonceAt writes base XOR counter (big-endian, in the last four bytes) into
// out: the nonce construction of TLS 1.3 (RFC 8446, section 5.3), distinct for
// every counter value below 2^32, and a derived key seals at most 2^24.
func nonceAt(out []byte, base *[nonceLen]byte, counter uint32) {
	copy(out, base[:])
	tail := binary.BigEndian.Uint32(base[nonceLen-4:]) ^ counter
	binary.BigEndian.PutUint32(out[nonceLen-4:], tail)
}

// sealInto seals the plaintext already written at out[headerLen:] in place:
// out becomes salt || commitment || nonce || ciphertext || tag. out has room
// for the tag in its capacity or is reallocated by the AEAD.
func sealInto(key *derivedKey, aad, out, nonce []byte) []byte {
	copy(out[:saltLen], key.salt[:])
	copy(out[saltLen:], key.commitment[:])
	copy(out[saltLen+commitmentLen:headerLen], nonce)
	plaintext := out[headerLen:]
	sealed := key.aead.Seal(plaintext[:0], out[saltLen+commitmentLen:headerLen], plaintext, aad)
	return out[:headerLen+len(sealed)]
}

// openSealed checks the key commitment in constant time, then decrypts and
// authenticates data (salt || commitment || nonce || ciphertext || tag). Every
// failure is ErrDecryptionFailed with no detail. Precondition: len(data) >=
// MinSealedLen and key was derived from this payload's salt.
func openSealed(key *derivedKey, aad, data []byte) ([]byte, error) {
	if subtle.ConstantTimeCompare(key.commitment[:], data[saltLen:saltLen+commitmentLen]) != 1 {
		return nil, decryptionFailed(nil)
	}
	ciphertext := data[headerLen:]
	// A fresh buffer: input payloads are never mutated, and Open wipes it on failure.
	plaintext, err := key.aead.Open(make([]byte, 0, len(ciphertext)-tagLen), data[saltLen+commitmentLen:headerLen], ciphertext, aad)
	if err != nil {
		return nil, decryptionFailed(err)
	}
	return plaintext, nil
}
