package codec_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
)

// Reading docs/test-vectors.json into a table. The file is one JSON array;
// each entry has a "kind" (positive, transit, negative) whose fields are
// listed in docs/wire-format.md ("Test vectors"). Entries are decoded
// strictly: an unknown kind or an unknown field fails the test, so a vector
// this port does not understand is never skipped.

// vectorFile is the published vector file (or the file named by TVC_TEST_VECTORS).
func vectorFile() string {
	if path := os.Getenv("TVC_TEST_VECTORS"); path != "" {
		return path
	}
	return filepath.Join("..", "..", "..", "docs", "test-vectors.json")
}

// textPayload is a plaintext payload: metadata and data as UTF-8 text.
type textPayload struct {
	Metadata         map[string]string `json:"metadata"`
	Data             string            `json:"data"`
	ExternalPayloads []struct {
		SizeBytes string `json:"sizeBytes"`
	} `json:"externalPayloads"`
}

// sealedOutput is what sealing a positive or Transit vector must produce.
type sealedOutput struct {
	SerializedPayloadHex string            `json:"serializedPayloadHex"`
	AESKeyHex            string            `json:"aesKeyHex"`
	CommitmentHex        string            `json:"commitmentHex"`
	AADHex               string            `json:"aadHex"`
	Metadata             map[string]string `json:"metadata"`
	DataHex              string            `json:"dataHex"`
}

// sealVector is a positive or a Transit vector: in Transit mode RootKeyHex
// is empty and the data key is the root key.
type sealVector struct {
	Kind              string       `json:"kind"`
	Name              string       `json:"name"`
	Namespace         string       `json:"namespace"`
	KeyID             string       `json:"keyId"`
	Version           uint32       `json:"version"`
	RootKeyHex        string       `json:"rootKeyHex"`
	TransitKeyName    string       `json:"transitKeyName"`
	DerivationContext string       `json:"derivationContext"`
	WrappedKey        string       `json:"wrappedKey"`
	DataKeyHex        string       `json:"dataKeyHex"`
	SaltHex           string       `json:"saltHex"`
	NonceHex          string       `json:"nonceHex"`
	Payload           textPayload  `json:"payload"`
	Expected          sealedOutput `json:"expected"`
}

// negativeVector is a payload the decoder of Namespace (key id KeyID) must
// refuse with ExpectedError, holding exactly Keys or (Transit) WrappedKeys.
type negativeVector struct {
	Kind        string            `json:"kind"`
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	KeyID       string            `json:"keyId"`
	Keys        map[string]string `json:"keys"`
	WrappedKeys map[string]string `json:"wrappedKeys"`
	Unencrypted string            `json:"unencrypted"`
	Input       struct {
		Metadata    map[string]string `json:"metadata"`
		MetadataHex map[string]string `json:"metadataHex"`
		DataHex     string            `json:"dataHex"`
	} `json:"input"`
	SealedPlaintextHex string `json:"sealedPlaintextHex"`
	ExpectedError      string `json:"expectedError"`
}

// publishedVectors is the file's table, by kind, in file order.
type publishedVectors struct {
	positive, transit []sealVector
	negative          []negativeVector
}

func loadVectors(t *testing.T) publishedVectors {
	t.Helper()
	text, err := os.ReadFile(vectorFile())
	if err != nil {
		t.Fatalf("reading the published vectors: %v", err)
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(text, &entries); err != nil {
		t.Fatalf("the vector file is not a JSON array: %v", err)
	}
	var out publishedVectors
	for i, entry := range entries {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(entry, &head); err != nil {
			t.Fatalf("vector [%d]: %v", i, err)
		}
		where := "vector [" + strconv.Itoa(i) + "] of kind " + strconv.Quote(head.Kind)
		switch head.Kind {
		case "positive", "transit":
			var v sealVector
			strictDecode(t, where, entry, &v)
			checkSealVectorShape(t, where, v)
			if v.Kind == "positive" {
				out.positive = append(out.positive, v)
			} else {
				out.transit = append(out.transit, v)
			}
		case "negative":
			var v negativeVector
			strictDecode(t, where, entry, &v)
			if v.Name == "" || v.ExpectedError == "" || (v.Keys == nil) == (v.WrappedKeys == nil) ||
				(v.Unencrypted != "" && v.Unencrypted != "reject") {
				t.Fatalf("%s (%q) has a shape this test does not know", where, v.Name)
			}
			out.negative = append(out.negative, v)
		default:
			t.Fatalf("%s: a kind this test does not know", where)
		}
	}
	if len(out.positive) == 0 || len(out.transit) == 0 || len(out.negative) == 0 {
		t.Fatalf("the vector file lacks a kind: %d positive, %d transit, %d negative",
			len(out.positive), len(out.transit), len(out.negative))
	}
	return out
}

// strictDecode fails on fields the target does not name.
func strictDecode(t *testing.T, where string, entry json.RawMessage, target any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(entry))
	dec.DisallowUnknownFields()
	if err := dec.Decode(target); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

func checkSealVectorShape(t *testing.T, where string, v sealVector) {
	t.Helper()
	transit := v.Kind == "transit"
	if v.Name == "" || v.Version == 0 || v.Expected.DataHex == "" ||
		(v.RootKeyHex != "") == transit || (v.DataKeyHex != "") != transit || (v.WrappedKey != "") != transit ||
		(v.TransitKeyName != "") != transit || (v.DerivationContext != "") != transit {
		t.Fatalf("%s (%q) has a shape this test does not know", where, v.Name)
	}
}

func mustHex(t *testing.T, what, text string) []byte {
	t.Helper()
	b, err := hex.DecodeString(text)
	if err != nil {
		t.Fatalf("%s is not hex: %v", what, err)
	}
	return b
}

// rootKey is the key version's material: the root key, or in Transit mode the data key.
func (v sealVector) rootKey(t *testing.T) []byte {
	if v.Kind == "transit" {
		return mustHex(t, v.Name+" dataKeyHex", v.DataKeyHex)
	}
	return mustHex(t, v.Name+" rootKeyHex", v.RootKeyHex)
}

// original is the vector's plaintext payload, external payload details included.
func (v sealVector) original(t *testing.T) *commonpb.Payload {
	p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: []byte(v.Payload.Data)}
	for k, value := range v.Payload.Metadata {
		p.Metadata[k] = []byte(value)
	}
	for _, details := range v.Payload.ExternalPayloads {
		size, err := strconv.ParseInt(details.SizeBytes, 10, 64)
		if err != nil {
			t.Fatalf("%s: externalPayloads sizeBytes %q: %v", v.Name, details.SizeBytes, err)
		}
		p.ExternalPayloads = append(p.ExternalPayloads, &commonpb.Payload_ExternalPayloadDetails{SizeBytes: size})
	}
	return p
}

// sealed is the published encrypted payload of a positive or Transit vector.
func (v sealVector) sealed(t *testing.T) *commonpb.Payload {
	p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: mustHex(t, v.Name+" dataHex", v.Expected.DataHex)}
	for k, value := range v.Expected.Metadata {
		p.Metadata[k] = []byte(value)
	}
	return p
}

// input is the payload a negative vector gives to decode.
func (v negativeVector) input(t *testing.T) *commonpb.Payload {
	p := &commonpb.Payload{Data: mustHex(t, v.Name+" dataHex", v.Input.DataHex)}
	if len(v.Input.Metadata)+len(v.Input.MetadataHex) > 0 {
		p.Metadata = map[string][]byte{}
	}
	for k, value := range v.Input.Metadata {
		p.Metadata[k] = []byte(value)
	}
	for k, value := range v.Input.MetadataHex {
		p.Metadata[k] = mustHex(t, v.Name+" metadataHex."+k, value)
	}
	return p
}
