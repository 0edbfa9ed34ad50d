package codec_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys"
)

type fixture struct {
	keyring  *keys.LocalKeyring
	provider *keys.CachingProvider
	codec    *codec.Codec
}

// setup returns a codec for namespace over a fresh keyring file holding keys "orders" and "payments".
func setup(t *testing.T, namespace string, options codec.Options) fixture {
	t.Helper()
	keyring, err := keys.NewLocalKeyring(keys.LocalKeyringOptions{
		Path: filepath.Join(t.TempDir(), "keyring.json"), NoCreateMissingKeys: true, Warn: func(string) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"orders", "payments"} {
		if _, err := keyring.RotateKey(id); err != nil {
			t.Fatal(err)
		}
	}
	provider := keys.NewCachingProvider(keyring, keys.CachingOptions{LatestTTL: -1})
	t.Cleanup(func() { provider.Close() })
	options.Namespace = namespace
	options.KeyProvider = provider
	c, err := codec.New(options)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{keyring, provider, c}
}

func jsonPayload(text string) *commonpb.Payload {
	return &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(text)}
}

func encodeOne(t *testing.T, c *codec.Codec, p *commonpb.Payload) *commonpb.Payload {
	t.Helper()
	out, err := c.EncodeContext(context.Background(), []*commonpb.Payload{p})
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out[0]
}

func expectCode(t *testing.T, err error, code codec.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

func decodeErr(c *codec.Codec, p *commonpb.Payload) error {
	_, err := c.DecodeContext(context.Background(), []*commonpb.Payload{p})
	return err
}

func withMetadata(p *commonpb.Payload, key string, value []byte) *commonpb.Payload {
	out := proto.Clone(p).(*commonpb.Payload)
	if value == nil {
		delete(out.Metadata, key)
	} else {
		out.Metadata[key] = value
	}
	return out
}

func TestRoundTripsPayloadsFromEmptyToOneMebibyte(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	for _, size := range []int{0, 1, 255, 256, 1024, 65536, 1 << 20} {
		data := make([]byte, size)
		rand.Read(data)
		original := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/plain"), "extra": []byte("x")}, Data: data}
		sealed := encodeOne(t, f.codec, original)
		if len(sealed.Data) != len(mustSerialize(t, original))+codec.MinSealedLen {
			t.Errorf("%d bytes: sealed length %d", size, len(sealed.Data))
		}
		decoded, err := f.codec.DecodeContext(context.Background(), []*commonpb.Payload{sealed})
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if !proto.Equal(decoded[0], original) {
			t.Errorf("%d bytes: round trip changed the payload", size)
		}
	}
}

func mustSerialize(t *testing.T, p *commonpb.Payload) []byte {
	b, err := codec.SerializePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTagsPayloadsWithReadableKeyMetadataAndHidesTheOriginal(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	original := jsonPayload(`{"secret":"hunter2"}`)
	sealed := encodeOne(t, f.codec, original)
	want := map[string]string{
		"encoding":               "binary/encrypted",
		"encryption-format":      codec.FormatV1,
		"encryption-key-id":      "orders",
		"encryption-key-version": "1",
	}
	if len(sealed.Metadata) != len(want) {
		t.Fatalf("metadata %v", sealed.Metadata)
	}
	for k, v := range want {
		if string(sealed.Metadata[k]) != v {
			t.Errorf("metadata %s = %q, want %q", k, sealed.Metadata[k], v)
		}
	}
	if bytes.Contains(sealed.Data, []byte("hunter2")) || bytes.Contains(sealed.Data, []byte("json/plain")) {
		t.Error("sealed data shows the plaintext")
	}
	if original.Metadata["encoding"] == nil || string(original.Metadata["encoding"]) != "json/plain" {
		t.Error("the input payload was mutated")
	}
}

func TestRefusesTamperingTruncationAndForeignNamespaces(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	sealed := encodeOne(t, f.codec, jsonPayload(`"x"`))

	for _, offset := range []int{0, 40, 70, 80, len(sealed.Data) - 1} {
		tampered := proto.Clone(sealed).(*commonpb.Payload)
		tampered.Data[offset] ^= 1
		expectCode(t, decodeErr(f.codec, tampered), codec.ErrDecryptionFailed)
	}
	for _, length := range []int{0, 1, codec.MinSealedLen - 1} {
		short := proto.Clone(sealed).(*commonpb.Payload)
		short.Data = short.Data[:length]
		expectCode(t, decodeErr(f.codec, short), codec.ErrPayloadTruncated)
	}
	// Cut, but still long enough: the tag no longer verifies.
	cut := proto.Clone(sealed).(*commonpb.Payload)
	cut.Data = cut.Data[:len(cut.Data)-1]
	expectCode(t, decodeErr(f.codec, cut), codec.ErrDecryptionFailed)

	payments, err := f.codec.WithNamespace("payments")
	if err != nil {
		t.Fatal(err)
	}
	expectCode(t, decodeErr(payments, sealed), codec.ErrNamespaceMismatch)
	// The key id edited to the other namespace's: the AAD (and the key) no longer match.
	expectCode(t, decodeErr(payments, withMetadata(sealed, codec.MetadataKeyID, []byte("payments"))), codec.ErrDecryptionFailed)
}

func TestChecksMetadataBeforeAnyCryptography(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	sealed := encodeOne(t, f.codec, jsonPayload(`"x"`))
	cases := []struct {
		name  string
		key   string
		value []byte
		code  codec.Code
	}{
		{"unknown format", codec.MetadataFormat, []byte("tvc9"), codec.ErrUnsupportedFormat},
		{"missing format", codec.MetadataFormat, nil, codec.ErrUnsupportedFormat},
		{"missing key id", codec.MetadataKeyID, nil, codec.ErrMalformedMetadata},
		{"empty key id", codec.MetadataKeyID, []byte(""), codec.ErrMalformedMetadata},
		{"key id not UTF-8", codec.MetadataKeyID, []byte{0xff}, codec.ErrMalformedMetadata},
		{"missing version", codec.MetadataKeyVersion, nil, codec.ErrMalformedMetadata},
		{"version zero", codec.MetadataKeyVersion, []byte("0"), codec.ErrMalformedMetadata},
		{"version with leading zero", codec.MetadataKeyVersion, []byte("01"), codec.ErrMalformedMetadata},
		{"version with sign", codec.MetadataKeyVersion, []byte("+1"), codec.ErrMalformedMetadata},
		{"version above 2^32-1", codec.MetadataKeyVersion, []byte("4294967296"), codec.ErrMalformedMetadata},
		{"unknown version", codec.MetadataKeyVersion, []byte("9"), codec.ErrUnknownKeyVersion},
		{"wrapped key not UTF-8", codec.MetadataWrappedKey, []byte{0xc3}, codec.ErrMalformedMetadata},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectCode(t, decodeErr(f.codec, withMetadata(sealed, tc.key, tc.value)), tc.code)
		})
	}
}

func TestCommitsToTheKeyVersion(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	sealed := encodeOne(t, f.codec, jsonPayload(`"x"`))
	if _, err := f.keyring.RotateKey("orders"); err != nil {
		t.Fatal(err)
	}
	// Version 2 with the same salt derives another commitment: refused before decryption.
	expectCode(t, decodeErr(f.codec, withMetadata(sealed, codec.MetadataKeyVersion, []byte("2"))), codec.ErrDecryptionFailed)
	// Rotation: new payloads use version 2, old ones still open.
	if v := string(encodeOne(t, f.codec, jsonPayload(`"y"`)).Metadata[codec.MetadataKeyVersion]); v != "2" {
		t.Errorf("after rotation the codec seals with version %s", v)
	}
	if err := decodeErr(f.codec, sealed); err != nil {
		t.Errorf("version 1 payload no longer opens: %v", err)
	}
}
