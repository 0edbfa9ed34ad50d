package codec_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// Nonce budget, namespaces, the SDK boundary and input checks.

func TestSplitsBatchesAtTheDerivedKeyBudgetAndNeverRepeatsANonce(t *testing.T) {
	f := setup(t, "orders", codec.Options{MaxPayloadsPerDerivedKey: 2})
	batch := make([]*commonpb.Payload, 10)
	for i := range batch {
		batch[i] = jsonPayload(`"x"`)
	}
	sealed, err := f.codec.EncodeContext(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	perSalt := map[string]int{}
	nonces := map[string]bool{}
	for _, p := range sealed {
		perSalt[string(p.Data[:32])]++
		nonces[string(p.Data[64:76])] = true
	}
	if len(perSalt) != 5 {
		t.Errorf("10 payloads with a budget of 2 used %d salts, want 5", len(perSalt))
	}
	for _, n := range perSalt {
		if n > 2 {
			t.Errorf("a derived key sealed %d payloads, budget 2", n)
		}
	}
	if len(nonces) != len(sealed) {
		t.Errorf("%d distinct nonces for %d payloads", len(nonces), len(sealed))
	}
	if _, err := f.codec.DecodeContext(context.Background(), sealed); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentBatchesStayWithinTheBudgetWithDistinctNonces(t *testing.T) {
	f := setup(t, "orders", codec.Options{MaxPayloadsPerDerivedKey: 7})
	var mu sync.Mutex
	var all []*commonpb.Payload
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				out, err := f.codec.EncodeContext(context.Background(), []*commonpb.Payload{jsonPayload("1"), jsonPayload("2"), jsonPayload("3")})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				all = append(all, out...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	perSalt := map[string]int{}
	nonces := map[string]bool{}
	for _, p := range all {
		perSalt[string(p.Data[:32])]++
		nonces[string(p.Data[:32])+string(p.Data[64:76])] = true
	}
	for _, n := range perSalt {
		if n > 7 {
			t.Fatalf("a derived key sealed %d payloads, budget 7", n)
		}
	}
	if len(nonces) != len(all) {
		t.Fatalf("nonce repeated under one derived key: %d distinct for %d payloads", len(nonces), len(all))
	}
	if _, err := f.codec.DecodeContext(context.Background(), all); err != nil {
		t.Fatal(err)
	}
}

func TestUnencryptedPayloadsPassOrAreRefusedByPolicy(t *testing.T) {
	plain := jsonPayload(`"plain"`)
	var counted []string
	allow := setup(t, "orders", codec.Options{OnUnencrypted: func(ns string) { counted = append(counted, ns) }})
	out, err := allow.codec.DecodeContext(context.Background(), []*commonpb.Payload{plain})
	if err != nil || out[0] != plain {
		t.Fatalf("allow: %v, %v", out, err)
	}
	if len(counted) != 1 || counted[0] != "orders" {
		t.Errorf("counted %v", counted)
	}
	reject := setup(t, "orders", codec.Options{Unencrypted: codec.UnencryptedReject})
	expectCode(t, decodeErr(reject.codec, plain), codec.ErrUnencryptedPayload)
}

func TestBindsPayloadsToTheSerializationContextNamespace(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	payments := f.codec.WithSerializationContext(converter.ActivitySerializationContext{Namespace: "payments"})
	sealed, err := payments.Encode([]*commonpb.Payload{jsonPayload(`"x"`)})
	if err != nil {
		t.Fatal(err)
	}
	if id := string(sealed[0].Metadata[codec.MetadataKeyID]); id != "payments" {
		t.Errorf("sealed under key id %q, want payments", id)
	}
	_, err = f.codec.Decode(sealed)
	expectCode(t, err, codec.ErrNamespaceMismatch)
	viaWorkflow := f.codec.WithSerializationContext(converter.WorkflowSerializationContext{Namespace: "payments"})
	if _, err := viaWorkflow.Decode(sealed); err != nil {
		t.Errorf("decode in the payments workflow context: %v", err)
	}
	bad := f.codec.WithSerializationContext(converter.WorkflowSerializationContext{Namespace: "a/b"})
	_, err = bad.Encode([]*commonpb.Payload{jsonPayload("1")})
	expectCode(t, err, codec.ErrInvalidArgument)
}

func TestSDKCallsFailTheWorkflowTaskNotTheExecution(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	_, err := f.codec.Decode([]*commonpb.Payload{withMetadata(encodeOne(t, f.codec, jsonPayload("1")), codec.MetadataKeyVersion, []byte("9"))})
	var taskFailure *converter.WorkflowTaskFailureError
	if !errors.As(err, &taskFailure) {
		t.Errorf("error %T is not a WorkflowTaskFailureError", err)
	}
	expectCode(t, err, codec.ErrUnknownKeyVersion)
	direct := setup(t, "orders", codec.Options{FailWorkflowOnError: true})
	_, err = direct.codec.Decode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("binary/encrypted")}}})
	if errors.As(err, &taskFailure) {
		t.Error("FailWorkflowOnError still wraps the error")
	}
	expectCode(t, err, codec.ErrUnsupportedFormat)
}

func TestValidatesItsInputAtTheBoundary(t *testing.T) {
	f := setup(t, "orders", codec.Options{})
	_, err := f.codec.EncodeContext(context.Background(), []*commonpb.Payload{nil})
	expectCode(t, err, codec.ErrInvalidArgument)
	_, err = f.codec.DecodeContext(context.Background(), []*commonpb.Payload{nil})
	expectCode(t, err, codec.ErrInvalidArgument)
	for _, ns := range []string{"", ".", "..", "a/b", `a\b`, "tab\there", string(bytes.Repeat([]byte("n"), 256)), "\xff"} {
		_, err := codec.New(codec.Options{Namespace: ns, KeyProvider: f.provider})
		expectCode(t, err, codec.ErrInvalidArgument)
	}
	_, err = codec.New(codec.Options{Namespace: "orders"})
	expectCode(t, err, codec.ErrInvalidConfig)
	_, err = codec.New(codec.Options{Namespace: "orders", KeyProvider: f.provider, MaxPayloadsPerDerivedKey: codec.MaxPayloadsPerDerivedKey + 1})
	expectCode(t, err, codec.ErrInvalidConfig)
	out, err := f.codec.EncodeContext(context.Background(), nil)
	if err != nil || len(out) != 0 {
		t.Errorf("empty batch: %v, %v", out, err)
	}
}

func TestAuthenticatedButUnparsablePlaintextIsMalformed(t *testing.T) {
	root := make([]byte, 32)
	salt := make([]byte, 32)
	nonce := make([]byte, 12)
	ref := codec.KeyRef{KeyID: "orders", Version: 1}
	// 0x0a 0x05 announces a 5-byte metadata entry that is not there.
	data, err := codec.SealPlaintext(root, salt, nonce, ref, "orders", []byte{0x0a, 0x05})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newVectorCodec(t, vectorDecoder{namespace: "orders", keyID: "orders", keys: map[string]string{"1": hex.EncodeToString(root)}})
	sealed := &commonpb.Payload{Metadata: codec.EncryptedMetadata(ref), Data: data}
	expectCode(t, decodeErr(c, sealed), codec.ErrMalformedMetadata)
}
