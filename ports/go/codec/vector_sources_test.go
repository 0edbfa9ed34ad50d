package codec_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys"
)

// Key sources for the published vectors: exactly the keys a vector lists,
// behind the port's real caching provider or its real Transit provider (over
// HTTP, through the Vault API client), so every check the spec names runs as
// in production.

// vectorStore is a keys.VersionedStore holding the root keys of one key id
// (version -> hex); any other version is ErrUnknownKeyVersion.
type vectorStore struct {
	keyID string
	keys  map[uint32][]byte
}

func newVectorStore(t *testing.T, keyID string, keysHex map[string]string) *vectorStore {
	s := &vectorStore{keyID: keyID, keys: map[uint32][]byte{}}
	for version, keyHex := range keysHex {
		n, err := strconv.ParseUint(version, 10, 32)
		if err != nil || n == 0 {
			t.Fatalf("key version %q is not a version", version)
		}
		s.keys[uint32(n)] = mustHex(t, "key "+version, keyHex)
	}
	return s
}

func (*vectorStore) Kind() string { return "vector" }

func (s *vectorStore) ReadLatest(_ context.Context, keyID string) (uint32, []byte, error) {
	var newest uint32
	for version := range s.keys {
		newest = max(newest, version)
	}
	key, err := s.ReadVersion(context.Background(), keyID, newest)
	return newest, key, err
}

func (s *vectorStore) ReadVersion(_ context.Context, keyID string, version uint32) ([]byte, error) {
	if keyID != s.keyID {
		return nil, codec.NewError(codec.ErrUnknownKey, "Unknown key")
	}
	key, ok := s.keys[version]
	if !ok {
		return nil, codec.NewError(codec.ErrUnknownKeyVersion, "Unknown key version")
	}
	return append([]byte(nil), key...), nil
}

func (*vectorStore) CheckHealth(context.Context) error { return nil }

// vectorTransit is Transit's datakey/plaintext and decrypt for one namespace,
// over HTTP: decrypt unwraps exactly the wrapped keys listed (wrapped -> data
// key hex), on the Transit key name and only with the derivation context, and
// refuses anything else as Transit does (HTTP 400, "message authentication
// failed"); datakey hands out the listed one when there is exactly one.
type vectorTransit struct {
	name, context string
	wrappedKeys   map[string]string
	server        *httptest.Server

	mu sync.Mutex
	// calls are the paths written to, in order.
	calls []string
}

func newVectorTransit(t *testing.T, name, context string, wrappedKeys map[string]string) *vectorTransit {
	f := &vectorTransit{name: name, context: context, wrappedKeys: wrappedKeys}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

var wrappedVersion = regexp.MustCompile(`^vault:v(\d+):`)

func (f *vectorTransit) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.URL.Path)
	f.mu.Unlock()
	var body struct {
		Context    string `json:"context"`
		Ciphertext string `json:"ciphertext"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	reply := func(status int, payload any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(payload)
	}
	refuse := func(message string) { reply(http.StatusBadRequest, map[string]any{"errors": []string{message}}) }
	plaintext := func(keyHex string) string {
		key, _ := hex.DecodeString(keyHex)
		return base64.StdEncoding.EncodeToString(key)
	}
	switch {
	// Vault takes writes as POST or PUT alike (the Go API client sends PUT).
	case (r.Method != http.MethodPost && r.Method != http.MethodPut) || body.Context != f.context:
		refuse("cipher: message authentication failed")
	case r.URL.Path == "/v1/transit/datakey/plaintext/"+f.name && len(f.wrappedKeys) == 1:
		for wrapped, keyHex := range f.wrappedKeys {
			version, _ := strconv.Atoi(wrappedVersion.FindStringSubmatch(wrapped)[1])
			reply(http.StatusOK, map[string]any{"data": map[string]any{
				"ciphertext": wrapped, "plaintext": plaintext(keyHex), "key_version": version,
			}})
			return
		}
	case r.URL.Path == "/v1/transit/decrypt/"+f.name:
		keyHex, ok := f.wrappedKeys[body.Ciphertext]
		if !ok {
			refuse("cipher: message authentication failed")
			return
		}
		reply(http.StatusOK, map[string]any{"data": map[string]any{"plaintext": plaintext(keyHex)}})
	default:
		refuse("unsupported path")
	}
}

func (f *vectorTransit) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// vectorDecoder is what a vector's codec is built from.
type vectorDecoder struct {
	namespace, keyID string
	keys             map[string]string
	// wrappedKeys selects Transit mode.
	wrappedKeys                   map[string]string
	transitKeyName, derivationCtx string
	unencrypted                   codec.UnencryptedPolicy
}

// newVectorCodec is the port's real codec for a vector, with the fake
// Transit behind it in Transit mode (else nil).
func newVectorCodec(t *testing.T, d vectorDecoder) (*codec.Codec, *vectorTransit) {
	t.Helper()
	keyIDFor := func(string) (string, error) { return d.keyID, nil }
	var provider codec.KeyProvider
	var transit *vectorTransit
	if d.wrappedKeys == nil {
		provider = keys.NewCachingProvider(newVectorStore(t, d.keyID, d.keys), keys.CachingOptions{KeyIDFor: keyIDFor})
	} else {
		if d.transitKeyName == "" {
			d.transitKeyName = "temporal-codec-" + d.keyID
		}
		if d.derivationCtx == "" {
			d.derivationCtx = base64.StdEncoding.EncodeToString([]byte(d.namespace))
		}
		transit = newVectorTransit(t, d.transitKeyName, d.derivationCtx, d.wrappedKeys)
		client, err := keys.NewVaultClient(keys.VaultConfig{Address: transit.server.URL, Token: "vector", Retries: -1, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		p, err := keys.NewTransitProvider(client, keys.TransitOptions{KeyIDFor: keyIDFor})
		if err != nil {
			t.Fatal(err)
		}
		provider = p
	}
	t.Cleanup(func() { _ = provider.Close() })
	c, err := codec.New(codec.Options{
		Namespace: d.namespace, KeyProvider: provider, Unencrypted: d.unencrypted, FailWorkflowOnError: true,
	})
	if err != nil {
		t.Fatalf("codec.New: %v", err)
	}
	return c, transit
}
