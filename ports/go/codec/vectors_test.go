package codec_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// The published vectors (docs/test-vectors.json) are the wire-format
// contract shared with the TypeScript library, read table-driven: vectors
// added to the file are checked here without a code change, and a vector
// whose kind or fields this test does not know fails (vectors_load_test.go).

func TestPublishedVectors(t *testing.T) {
	vectors := loadVectors(t)
	for _, v := range vectors.positive {
		t.Run("positive/"+v.Name, func(t *testing.T) {
			checkSealedBytes(t, v)
			c, _ := newVectorCodec(t, vectorDecoder{
				namespace: v.Namespace, keyID: v.KeyID,
				keys: map[string]string{codecVersion(v.Version): v.RootKeyHex},
			})
			expectOpens(t, c, v)
		})
	}
	for _, v := range vectors.transit {
		t.Run("transit/"+v.Name, func(t *testing.T) {
			checkSealedBytes(t, v)
			if want := base64.StdEncoding.EncodeToString([]byte(v.Namespace)); v.DerivationContext != want {
				t.Errorf("derivation context %q, want base64(namespace) %q", v.DerivationContext, want)
			}
			if want := "temporal-codec-" + v.KeyID; v.TransitKeyName != want {
				t.Errorf("Transit key name %q, want %q", v.TransitKeyName, want)
			}
			decoder := vectorDecoder{
				namespace: v.Namespace, keyID: v.KeyID, wrappedKeys: map[string]string{v.WrappedKey: v.DataKeyHex},
				transitKeyName: v.TransitKeyName, derivationCtx: v.DerivationContext,
			}
			c, transit := newVectorCodec(t, decoder)
			expectOpens(t, c, v)
			expectCalls(t, transit, "/v1/transit/decrypt/"+v.TransitKeyName)

			// Sealing with the data key Transit hands out writes the published metadata.
			c, transit = newVectorCodec(t, decoder)
			sealed, err := c.EncodeContext(context.Background(), []*commonpb.Payload{v.original(t)})
			if err != nil {
				t.Fatalf("encoding through Transit: %v", err)
			}
			expectTextMetadata(t, sealed[0].GetMetadata(), v.Expected.Metadata)
			if got, want := len(sealed[0].GetData()), len(v.Expected.DataHex)/2; got != want {
				t.Errorf("sealed length %d, want %d", got, want)
			}
			expectCalls(t, transit, "/v1/transit/datakey/plaintext/"+v.TransitKeyName)
		})
	}
	for _, v := range vectors.negative {
		t.Run("negative/"+v.Name, func(t *testing.T) {
			decoder := vectorDecoder{namespace: v.Namespace, keyID: v.KeyID, keys: v.Keys, wrappedKeys: v.WrappedKeys}
			if v.Unencrypted == "reject" {
				decoder.unencrypted = codec.UnencryptedReject
			}
			c, transit := newVectorCodec(t, decoder)
			_, err := c.DecodeContext(context.Background(), []*commonpb.Payload{v.input(t)})
			if got := string(codec.CodeOf(err)); got != v.ExpectedError {
				t.Errorf("decode error code %q (%v), want %q", got, err, v.ExpectedError)
			}
			// A Transit payload whose metadata is refused never reaches Vault.
			if transit != nil && v.ExpectedError == string(codec.ErrMalformedMetadata) {
				expectCalls(t, transit)
			}
		})
	}
}

func codecVersion(version uint32) string { return strconv.FormatUint(uint64(version), 10) }

// checkSealedBytes recomputes a positive or Transit vector with the port's
// serialization, derivation and sealing, byte for byte.
func checkSealedBytes(t *testing.T, v sealVector) {
	t.Helper()
	ref := codec.KeyRef{KeyID: v.KeyID, Version: v.Version, WrappedKey: v.WrappedKey}
	root := v.rootKey(t)
	salt := mustHex(t, "saltHex", v.SaltHex)
	serialized, err := codec.SerializePayload(v.original(t))
	if err != nil {
		t.Fatal(err)
	}
	expectHex(t, "serialized payload", serialized, v.Expected.SerializedPayloadHex)
	okm, err := codec.DeriveBytes(root, salt, v.KeyID, v.Version)
	if err != nil {
		t.Fatal(err)
	}
	expectHex(t, "AES key", okm[:32], v.Expected.AESKeyHex)
	expectHex(t, "commitment", okm[32:], v.Expected.CommitmentHex)
	expectHex(t, "AAD", codec.BuildAAD(codec.FormatV1, v.Namespace, v.KeyID, v.Version), v.Expected.AADHex)
	sealed, err := codec.SealPlaintext(root, salt, mustHex(t, "nonceHex", v.NonceHex), ref, v.Namespace, serialized)
	if err != nil {
		t.Fatal(err)
	}
	expectHex(t, "sealed data", sealed, v.Expected.DataHex)
	expectTextMetadata(t, codec.EncryptedMetadata(ref), v.Expected.Metadata)
}

// expectOpens decodes the published payload and compares it with the original, external payload details included.
func expectOpens(t *testing.T, c *codec.Codec, v sealVector) {
	t.Helper()
	decoded, err := c.DecodeContext(context.Background(), []*commonpb.Payload{v.sealed(t)})
	if err != nil {
		t.Fatalf("decoding the published payload: %v", err)
	}
	if want := v.original(t); !proto.Equal(decoded[0], want) {
		t.Errorf("decoded %v, want %v", decoded[0], want)
	}
}

func expectTextMetadata(t *testing.T, got map[string][]byte, want map[string]string) {
	t.Helper()
	text := map[string]string{}
	for k, value := range got {
		text[k] = string(value)
	}
	if !maps.Equal(text, want) {
		t.Errorf("metadata\n got %v\nwant %v", text, want)
	}
}

func expectCalls(t *testing.T, transit *vectorTransit, want ...string) {
	t.Helper()
	if got := transit.seen(); !slices.Equal(got, want) {
		t.Errorf("Transit calls %q, want %q", got, want)
	}
}

func expectHex(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if hex.EncodeToString(got) != want {
		t.Errorf("%s\n got %x\nwant %s", what, got, want)
	}
}
