package codec_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"maps"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys"
)

// The published vectors (docs/test-vectors.json) are the wire-format
// contract shared with the TypeScript library. The table is read from the
// file, so vectors added there are checked here without a code change. A
// vector whose shape this test does not know fails, rather than being skipped.

// vectorProvider knows exactly the vector's key version; in Transit mode it
// checks the payload's wrapped key as the Transit provider does, and Transit
// refuses to unwrap any wrapped key but the vector's.
type vectorProvider struct {
	v   vector
	key []byte
}

func (p vectorProvider) KeyIDFor(string) (string, error) { return p.v.KeyID, nil }
func (p vectorProvider) EncryptionKey(context.Context, string, int) (*codec.KeyMaterial, error) {
	return &codec.KeyMaterial{KeyID: p.v.KeyID, Version: p.v.Version, Key: bytes.Clone(p.key), WrappedKey: p.v.WrappedKey}, nil
}
func (p vectorProvider) DecryptionKey(_ context.Context, _ string, ref codec.KeyRef) (*codec.KeyMaterial, error) {
	if p.v.transit() {
		if err := keys.CheckTransitRef(ref); err != nil {
			return nil, err
		}
		if p.v.WrappedKey != "" && ref.WrappedKey != p.v.WrappedKey {
			return nil, codec.NewError(codec.ErrDecryptionFailed, "Decryption failed")
		}
	}
	if ref.Version != p.v.Version {
		return nil, codec.NewError(codec.ErrUnknownKeyVersion, "Unknown key version")
	}
	return &codec.KeyMaterial{KeyID: p.v.KeyID, Version: ref.Version, Key: bytes.Clone(p.key), WrappedKey: ref.WrappedKey}, nil
}
func (vectorProvider) CheckHealth(context.Context) error { return nil }
func (vectorProvider) Close() error                      { return nil }

func TestPublishedVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.group+"/"+v.Name, func(t *testing.T) {
			code := v.expectedCode()
			_, hasData := v.expectedString(t, "dataHex")
			switch {
			case code != "":
				checkNegative(t, v, code)
			case hasData && v.Payload != nil:
				checkPositive(t, v)
			default:
				t.Fatalf("vector %q has a shape this test does not know: neither an expected error code nor expected.dataHex with a payload", v.Name)
			}
		})
	}
}

func newVectorCodec(t *testing.T, v vector) *codec.Codec {
	c, err := codec.New(codec.Options{Namespace: v.Namespace, KeyProvider: vectorProvider{v: v, key: v.rootKey(t)}, FailWorkflowOnError: true})
	if err != nil {
		t.Fatalf("codec.New: %v", err)
	}
	return c
}

func checkPositive(t *testing.T, v vector) {
	ref := codec.KeyRef{KeyID: v.KeyID, Version: v.Version, WrappedKey: v.WrappedKey}
	if ref.WrappedKey == "" {
		var meta map[string]string
		_ = json.Unmarshal(v.Expected["metadata"], &meta)
		ref.WrappedKey = meta[codec.MetadataWrappedKey]
	}
	root := v.rootKey(t)
	salt := mustHex(t, "saltHex", v.SaltHex)
	okm, err := codec.DeriveBytes(root, salt, v.KeyID, v.Version)
	if err != nil {
		t.Fatal(err)
	}
	expectHex(t, v, "aesKeyHex", okm[:32])
	expectHex(t, v, "commitmentHex", okm[32:])
	expectHex(t, v, "aadHex", codec.BuildAAD(codec.FormatV1, v.Namespace, v.KeyID, v.Version))

	original := v.original(t)
	serialized, err := codec.SerializePayload(original)
	if err != nil {
		t.Fatal(err)
	}
	published, ok := v.expectedString(t, "serializedPayloadHex")
	plaintext := serialized
	if ok {
		plaintext = mustHex(t, "serializedPayloadHex", published)
		if v.metadataKeysSorted(t) {
			// Go writes metadata sorted by key; the TypeScript library in insertion order, the same here.
			if !bytes.Equal(serialized, plaintext) {
				t.Errorf("serialized payload\n got %x\nwant %x", serialized, plaintext)
			}
		} else if !proto.Equal(mustUnmarshal(t, serialized), mustUnmarshal(t, plaintext)) {
			t.Errorf("serialized payload differs as a message")
		}
	}
	sealed, err := codec.SealPlaintext(root, salt, mustHex(t, "nonceHex", v.NonceHex), ref, v.Namespace, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	expectHex(t, v, "dataHex", sealed)

	var wantMeta map[string]string
	if raw, ok := v.Expected["metadata"]; ok {
		if err := json.Unmarshal(raw, &wantMeta); err != nil {
			t.Fatal(err)
		}
		gotMeta := map[string]string{}
		for k, value := range codec.EncryptedMetadata(ref) {
			gotMeta[k] = string(value)
		}
		if !maps.Equal(gotMeta, wantMeta) {
			t.Errorf("metadata\n got %v\nwant %v", gotMeta, wantMeta)
		}
	}

	encrypted, ok := v.encrypted(t, false)
	if !ok {
		t.Fatal("no encrypted payload in the vector")
	}
	decoded, err := newVectorCodec(t, v).DecodeContext(context.Background(), []*commonpb.Payload{encrypted})
	if err != nil {
		t.Fatalf("decoding the published payload: %v", err)
	}
	if !proto.Equal(decoded[0], original) {
		t.Errorf("decoded %v, want %v", decoded[0], original)
	}
}

func checkNegative(t *testing.T, v vector, code string) {
	encrypted, ok := v.encrypted(t, true)
	if !ok {
		t.Fatalf("negative vector %q gives no payload to decode", v.Name)
	}
	c := newVectorCodec(t, v)
	if v.DecodeNamespace != "" {
		view, err := c.WithNamespace(v.DecodeNamespace)
		if err != nil {
			if got := string(codec.CodeOf(err)); got != code {
				t.Errorf("namespace error code %q, want %q", got, code)
			}
			return
		}
		c = view
	}
	_, err := c.DecodeContext(context.Background(), []*commonpb.Payload{encrypted})
	if got := string(codec.CodeOf(err)); got != code {
		t.Errorf("decode error code %q (%v), want %q", got, err, code)
	}
}

func expectHex(t *testing.T, v vector, name string, got []byte) {
	t.Helper()
	if want, ok := v.expectedString(t, name); ok && hex.EncodeToString(got) != want {
		t.Errorf("%s\n got %x\nwant %s", name, got, want)
	}
}

func mustUnmarshal(t *testing.T, b []byte) *commonpb.Payload {
	p := &commonpb.Payload{}
	if err := proto.Unmarshal(b, p); err != nil {
		t.Fatal(err)
	}
	return p
}
