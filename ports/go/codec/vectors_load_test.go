package codec_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
)

// Reading the published vector files into a table. The fields are those the
// TypeScript test reads (test/support/vectors.ts) and those a negative or
// Transit vector may carry.

// vectorFiles are the published vector files: docs/test-vectors.json and any
// docs/test-vectors-*.json beside it (or the file named by TVC_TEST_VECTORS).
func vectorFiles(t *testing.T) []string {
	if path := os.Getenv("TVC_TEST_VECTORS"); path != "" {
		return []string{path}
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "docs", "test-vectors*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/test-vectors*.json (%v)", err)
	}
	return files
}

// vector is one entry of the file, with the fields the TypeScript test reads
// and those a negative or Transit vector may carry.
type vector struct {
	group string
	raw   map[string]json.RawMessage
	Name  string `json:"name"`

	Namespace  string `json:"namespace"`
	KeyID      string `json:"keyId"`
	Version    uint32 `json:"version"`
	RootKeyHex string `json:"rootKeyHex"`
	DataKeyHex string `json:"dataKeyHex"`
	SaltHex    string `json:"saltHex"`
	NonceHex   string `json:"nonceHex"`
	WrappedKey string `json:"wrappedKey"`
	Mode       string `json:"mode"`
	// DecodeNamespace, when given, is the namespace a negative vector is opened in.
	DecodeNamespace string `json:"decodeNamespace"`
	Payload         *struct {
		Metadata map[string]string `json:"metadata"`
		Data     *string           `json:"data"`
		DataHex  *string           `json:"dataHex"`
	} `json:"payload"`
	Expected map[string]json.RawMessage `json:"expected"`
}

// loadVectors accepts the file as an array of vectors or as an object whose
// arrays hold vectors (e.g. positive / negative / transit groups).
func loadVectors(t *testing.T) []vector {
	t.Helper()
	var out []vector
	for _, file := range vectorFiles(t) {
		out = append(out, loadVectorFile(t, file)...)
	}
	if len(out) == 0 {
		t.Fatal("the published vector files hold no vectors")
	}
	return out
}

func loadVectorFile(t *testing.T, file string) []vector {
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading the published vectors: %v", err)
	}
	var groups map[string]json.RawMessage
	var top []json.RawMessage
	if json.Unmarshal(text, &top) == nil {
		groups = map[string]json.RawMessage{"": text}
	} else if err := json.Unmarshal(text, &groups); err != nil {
		t.Fatalf("%s is neither an array nor an object: %v", file, err)
	}
	base := strings.TrimSuffix(filepath.Base(file), ".json")
	var out []vector
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		var items []json.RawMessage
		if json.Unmarshal(groups[name], &items) != nil {
			continue // a scalar or object beside the groups (e.g. a format note)
		}
		for i, item := range items {
			var v vector
			if err := json.Unmarshal(item, &v); err != nil {
				t.Fatalf("vector %s %s[%d]: %v", base, name, i, err)
			}
			if err := json.Unmarshal(item, &v.raw); err != nil {
				t.Fatalf("vector %s %s[%d]: %v", base, name, i, err)
			}
			v.group = base + "/" + name
			if v.Name == "" {
				v.Name = name + "[" + strconv.Itoa(i) + "]"
			}
			if v.KeyID == "" {
				v.KeyID = v.Namespace
			}
			out = append(out, v)
		}
	}
	return out
}

// expectedCode is the error code a negative vector expects, if any.
func (v vector) expectedCode() string {
	for _, fields := range []map[string]json.RawMessage{v.raw, v.Expected} {
		for _, name := range []string{"expectedError", "expectedCode", "error", "errorCode", "code"} {
			var code string
			if raw, ok := fields[name]; ok && json.Unmarshal(raw, &code) == nil && code != "" {
				return code
			}
			var nested struct {
				Code string `json:"code"`
			}
			if raw, ok := fields[name]; ok && json.Unmarshal(raw, &nested) == nil && nested.Code != "" {
				return nested.Code
			}
		}
	}
	return ""
}

func (v vector) expectedString(t *testing.T, name string) (string, bool) {
	raw, ok := v.Expected[name]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: expected.%s is not a string: %v", v.Name, name, err)
	}
	return s, true
}

func mustHex(t *testing.T, what, text string) []byte {
	t.Helper()
	b, err := hex.DecodeString(text)
	if err != nil {
		t.Fatalf("%s is not hex: %v", what, err)
	}
	return b
}

// rootKey is the key version's material: the KV/keyring root key, or in
// Transit mode the plaintext data key.
func (v vector) rootKey(t *testing.T) []byte {
	if v.DataKeyHex != "" {
		return mustHex(t, v.Name+" dataKeyHex", v.DataKeyHex)
	}
	return mustHex(t, v.Name+" rootKeyHex", v.RootKeyHex)
}

func (v vector) transit() bool {
	return v.Mode == "transit" || v.WrappedKey != "" || v.DataKeyHex != ""
}

// original is the vector's plaintext payload.
func (v vector) original(t *testing.T) *commonpb.Payload {
	p := &commonpb.Payload{Metadata: map[string][]byte{}}
	for k, value := range v.Payload.Metadata {
		p.Metadata[k] = []byte(value)
	}
	switch {
	case v.Payload.DataHex != nil:
		p.Data = mustHex(t, v.Name+" payload.dataHex", *v.Payload.DataHex)
	case v.Payload.Data != nil:
		p.Data = []byte(*v.Payload.Data)
	}
	return p
}

// metadataKeysSorted reports whether the vector lists its payload metadata keys in sorted order.
func (v vector) metadataKeysSorted(t *testing.T) bool {
	var payload map[string]json.RawMessage
	if json.Unmarshal(v.raw["payload"], &payload) != nil {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(payload["metadata"]))
	var names []string
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' {
				depth++
				expectKey = depth == 1
			} else if tok == '}' {
				depth--
			}
		case string:
			if depth == 1 && expectKey {
				names = append(names, tok)
				expectKey = false
			} else if depth == 1 {
				expectKey = true
			}
		}
	}
	return slices.IsSorted(names)
}

// encrypted is the sealed payload a vector gives: for positive vectors the
// expected output, for negative ones the input to decode.
func (v vector) encrypted(t *testing.T, negative bool) (*commonpb.Payload, bool) {
	names := []string{"encrypted", "sealed", "input"}
	if negative {
		// A negative vector may give the payload to decode as its "payload".
		names = append(names, "payload")
	}
	for _, name := range names {
		if raw, ok := v.raw[name]; ok {
			if p, ok := parseSealed(t, v.Name, raw); ok {
				return p, true
			}
		}
	}
	if len(v.Expected) > 0 {
		whole, _ := json.Marshal(v.Expected)
		return parseSealed(t, v.Name, whole)
	}
	return nil, false
}

// parseSealed reads {metadata: {k: text}, metadataHex: {k: hex},
// metadataBase64: {k: base64}, dataHex | dataBase64}.
func parseSealed(t *testing.T, name string, raw json.RawMessage) (*commonpb.Payload, bool) {
	var s struct {
		Metadata       map[string]string `json:"metadata"`
		MetadataHex    map[string]string `json:"metadataHex"`
		MetadataBase64 map[string][]byte `json:"metadataBase64"`
		DataHex        *string           `json:"dataHex"`
		DataBase64     []byte            `json:"dataBase64"`
	}
	// A sealed payload is always given as bytes: an object without dataHex or dataBase64 is a plaintext payload.
	if json.Unmarshal(raw, &s) != nil || (s.DataHex == nil && s.DataBase64 == nil) {
		return nil, false
	}
	p := &commonpb.Payload{Metadata: map[string][]byte{}}
	for k, value := range s.Metadata {
		p.Metadata[k] = []byte(value)
	}
	for k, value := range s.MetadataHex {
		p.Metadata[k] = mustHex(t, name+" metadataHex."+k, value)
	}
	for k, value := range s.MetadataBase64 {
		p.Metadata[k] = value
	}
	if s.DataHex != nil {
		p.Data = mustHex(t, name+" dataHex", *s.DataHex)
	}
	if s.DataBase64 != nil {
		p.Data = s.DataBase64
	}
	return p, true
}
