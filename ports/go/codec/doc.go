// Package codec implements wire format v1 of temporal-vault-codec for the
// Temporal Go SDK: a [converter.PayloadCodec] that seals each payload whole
// (metadata and data) with AES-256-GCM under a key derived per salt with
// HKDF-SHA256 from the namespace's newest key version, with key commitment and
// authenticated data binding format, namespace, key id and version.
//
//	payload --protobuf--> bytes --AES-256-GCM(HKDF(root key, salt))--> {encoding: binary/encrypted,
//	                                                                   key id, key version, format}
//	                                                                   + salt|commit|nonce|ct|tag
//
// The bytes are those of the TypeScript library in this repository, byte for
// byte: docs/wire-format.md is the specification and docs/test-vectors.json
// the published vectors, both checked by this package's tests.
//
// The codec does no I/O itself. Keys come from a [KeyProvider]; package
// github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys has the
// three key sources (Vault KV v2, Vault Transit envelope, the local keyring
// file) behind one cache.
//
// Every failure is an [*Error] whose Code is one of the ERR_* constants (the
// same strings as the TypeScript library), so callers can write
//
//	if errors.Is(err, codec.ErrDecryptionFailed) { ... }
//
// [converter.PayloadCodec]: https://pkg.go.dev/go.temporal.io/sdk/converter#PayloadCodec
package codec
