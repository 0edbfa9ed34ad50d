package keys

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

func kvFixture(t *testing.T, client *VaultClient, prefix string, caching CachingOptions) (*VaultKV, *CachingProvider) {
	t.Helper()
	store, err := NewVaultKV(client, VaultKVOptions{PathPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	provider := NewCachingProvider(store, caching)
	t.Cleanup(func() { provider.Close() })
	return store, provider
}

func newCodec(t *testing.T, namespace string, provider codec.KeyProvider) *codec.Codec {
	t.Helper()
	c, err := codec.New(codec.Options{Namespace: namespace, KeyProvider: provider, DecryptKeyMaxAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func payloads(n int) []*commonpb.Payload {
	out := make([]*commonpb.Payload, n)
	for i := range out {
		out[i] = &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"order":1}`)}
	}
	return out
}

func mustEncode(t *testing.T, c *codec.Codec, n int) []*commonpb.Payload {
	t.Helper()
	out, err := c.EncodeContext(context.Background(), payloads(n))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return out
}

func decodeCode(c *codec.Codec, sealed []*commonpb.Payload) codec.Code {
	_, err := c.DecodeContext(context.Background(), sealed)
	return codec.CodeOf(err)
}

func TestVaultKVKeysInTheTypeScriptLayout(t *testing.T) {
	addr, token := vaultEnv(t)
	root := admin(t)
	prefix := randomLabel("go-kv-") + "/"
	store, provider := kvFixture(t, testClient(t, addr, token), prefix, CachingOptions{LatestTTL: -1})
	if err := store.CreateKey(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	// The layout: secret/data/<prefix><keyID> holds {"key": base64 of 32 bytes}, max_versions set explicitly.
	secret, err := root.Logical().Read("secret/data/" + prefix + "orders")
	if err != nil || secret == nil {
		t.Fatalf("reading the key as an administrator: %v", err)
	}
	material, _ := base64.StdEncoding.DecodeString(secret.Data["data"].(map[string]any)["key"].(string))
	meta, _ := root.Logical().Read("secret/metadata/" + prefix + "orders")
	if len(material) != 32 || meta.Data["max_versions"].(interface{ String() string }).String() != "100000" {
		t.Fatalf("layout: %d key bytes, metadata %v", len(material), meta.Data)
	}

	c := newCodec(t, "orders", provider)
	v1 := mustEncode(t, c, 3)
	if got := string(v1[0].Metadata[codec.MetadataKeyVersion]); got != "1" {
		t.Fatalf("version %s", got)
	}
	// Rotation by an administrator: a new KV version.
	root.Logical().Write("secret/data/"+prefix+"orders", map[string]any{"data": map[string]any{"key": base64.StdEncoding.EncodeToString(make([]byte, 32))}})
	v2 := mustEncode(t, c, 1)
	if got := string(v2[0].Metadata[codec.MetadataKeyVersion]); got != "2" {
		t.Fatalf("after rotation: version %s", got)
	}
	if code := decodeCode(c, append(v1, v2...)); code != "" {
		t.Fatalf("decode after rotation: %s", code)
	}
	// Deactivating version 2 (custom metadata) makes version 1 the newest active one again.
	root.Logical().Write("secret/metadata/"+prefix+"orders", map[string]any{"custom_metadata": map[string]any{InactiveVersionsField: "2"}})
	if got := string(mustEncode(t, c, 1)[0].Metadata[codec.MetadataKeyVersion]); got != "1" {
		t.Errorf("with version 2 inactive: version %s, want 1", got)
	}
	// Destroying version 1: a cold codec refuses its payloads.
	root.Logical().Write("secret/destroy/"+prefix+"orders", map[string]any{"versions": []int{1}})
	_, cold := kvFixture(t, testClient(t, addr, token), prefix, CachingOptions{})
	if code := decodeCode(newCodec(t, "orders", cold), v1); code != codec.ErrKeyVersionDestroyed {
		t.Errorf("destroyed version: %q", code)
	}
	if code := decodeCode(newCodec(t, "orders", cold), v2); code != "" {
		t.Errorf("version 2 still decrypts: %q", code)
	}
	// Version 1 destroyed and version 2 inactive: nothing left to encrypt with.
	if _, err := c.EncodeContext(ctx, payloads(1)); !errors.Is(err, codec.ErrUnknownKeyVersion) {
		t.Errorf("no active version: %v", err)
	}
	sealed := []*commonpb.Payload{proto.Clone(v2[0]).(*commonpb.Payload)}
	sealed[0].Metadata[codec.MetadataKeyVersion] = []byte("77")
	if code := decodeCode(newCodec(t, "orders", cold), sealed); code != codec.ErrUnknownKeyVersion {
		t.Errorf("unknown version: %q", code)
	}
}

func TestVaultKVMissingKeysDeniedTokensAndOutages(t *testing.T) {
	addr, token := vaultEnv(t)
	prefix := randomLabel("go-kv-") + "/"
	_, provider := kvFixture(t, testClient(t, addr, token), prefix, CachingOptions{})
	_, err := newCodec(t, "nokey", provider).EncodeContext(ctx, payloads(1))
	if !errors.Is(err, codec.ErrUnknownKey) {
		t.Errorf("missing key: %v", err)
	}
	creating, err := NewVaultKV(testClient(t, addr, token), VaultKVOptions{PathPrefix: prefix, CreateMissingKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	if v, key, err := creating.ReadLatest(ctx, "created"); err != nil || v != 1 || len(key) != 32 {
		t.Errorf("CreateMissingKeys: %d %v", v, err)
	}
	_, denied := kvFixture(t, testClient(t, addr, "not-a-token"), prefix, CachingOptions{})
	if _, err := denied.EncryptionKey(ctx, "created", 1); !errors.Is(err, codec.ErrKeySourceDenied) || codec.IsRetryable(err) {
		t.Errorf("bad token: %v", err)
	}
	down := startProxy(t, addr)
	down.cut()
	_, unreachable := kvFixture(t, testClient(t, down.server.URL, token), prefix, CachingOptions{})
	if _, err := unreachable.EncryptionKey(ctx, "created", 1); !errors.Is(err, codec.ErrKeySourceUnavailable) || !codec.IsRetryable(err) {
		t.Errorf("unreachable Vault: %v", err)
	}
	if err := unreachable.CheckHealth(ctx); !errors.Is(err, codec.ErrKeySourceUnavailable) {
		t.Errorf("health of unreachable Vault: %v", err)
	}
	if err := provider.CheckHealth(ctx); err != nil {
		t.Errorf("health: %v", err)
	}
}

func TestVaultKVStaleKeysAndSingleFlightThroughAProxy(t *testing.T) {
	addr, token := vaultEnv(t)
	prefix := randomLabel("go-kv-") + "/"
	setupStore, _ := kvFixture(t, testClient(t, addr, token), prefix, CachingOptions{})
	if err := setupStore.CreateKey(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	sealed := mustEncode(t, newCodec(t, "orders", mustProvider(t, addr, token, prefix)), 1)

	p := startProxy(t, addr)
	clk := &clock{now: time.Now()}
	_, provider := kvFixture(t, testClient(t, p.server.URL, token), prefix,
		CachingOptions{LatestTTL: time.Minute, VersionMaxAge: time.Minute, StaleIfError: time.Hour, Now: clk.Now})
	// 20 concurrent cold decodes of one version: one request.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := decodeCode(newCodec(t, "orders", provider), sealed); code != "" {
				t.Error(code)
			}
		}()
	}
	wg.Wait()
	if n := p.count("/secret/data/"); n != 1 {
		t.Errorf("20 concurrent cold decodes made %d KV reads, want 1", n)
	}
	mustEncode(t, newCodec(t, "orders", provider), 1)
	// Vault goes away; past every max age the cached keys are still served.
	p.cut()
	clk.advance(30 * time.Minute)
	if _, err := newCodec(t, "orders", provider).EncodeContext(ctx, payloads(1)); err != nil {
		t.Errorf("encode during the outage: %v", err)
	}
	if code := decodeCode(newCodec(t, "orders", provider), sealed); code != "" {
		t.Errorf("decode during the outage: %s", code)
	}
	clk.advance(2 * time.Hour)
	if code := decodeCode(newCodec(t, "orders", provider), sealed); code != codec.ErrKeySourceUnavailable {
		t.Errorf("decode past the stale window: %q", code)
	}
	if !strings.Contains(p.server.URL, "127.0.0.1") {
		t.Fatalf("proxy not on loopback: %s", p.server.URL)
	}
}

func mustProvider(t *testing.T, addr, token, prefix string) *CachingProvider {
	_, p := kvFixture(t, testClient(t, addr, token), prefix, CachingOptions{})
	return p
}
