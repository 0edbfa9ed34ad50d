package keys

import (
	"errors"
	"strings"
	"testing"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// transitFixture mounts Transit at a path of its own (files share one OpenBao) with key ids created as the
// TypeScript key-admin creates them: derived, non-exportable aes256-gcm96.
func transitFixture(t *testing.T, keyIDs ...string) (mount string, root *vault.Client) {
	t.Helper()
	root = admin(t)
	mount = randomLabel("go-transit-")
	if err := root.Sys().Mount(mount, &vault.MountInput{Type: "transit"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range keyIDs {
		if _, err := root.Logical().Write(mount+"/keys/temporal-codec-"+id, map[string]any{"type": "aes256-gcm96", "derived": true}); err != nil {
			t.Fatal(err)
		}
	}
	return mount, root
}

func transitProvider(t *testing.T, client *VaultClient, options TransitOptions) *TransitProvider {
	t.Helper()
	p, err := NewTransitProvider(client, options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestTransitEnvelopeRoundTripRotationAndDestruction(t *testing.T) {
	addr, token := vaultEnv(t)
	mount, root := transitFixture(t, "orders")
	c := newCodec(t, "orders", transitProvider(t, testClient(t, addr, token), TransitOptions{Mount: mount, DataKeyMaxAge: -1}))
	v1 := mustEncode(t, c, 2)
	wrapped := string(v1[0].Metadata[codec.MetadataWrappedKey])
	if !strings.HasPrefix(wrapped, "vault:v1:") || string(v1[0].Metadata[codec.MetadataKeyVersion]) != "1" {
		t.Fatalf("metadata %v", v1[0].Metadata)
	}
	cold := func() *codec.Codec {
		return newCodec(t, "orders", transitProvider(t, testClient(t, addr, token), TransitOptions{Mount: mount}))
	}
	if code := decodeCode(cold(), v1); code != "" {
		t.Fatalf("cold decode: %s", code)
	}
	root.Logical().Write(mount+"/keys/temporal-codec-orders/rotate", nil)
	v2 := mustEncode(t, c, 1)
	if got := string(v2[0].Metadata[codec.MetadataKeyVersion]); got != "2" || !strings.HasPrefix(string(v2[0].Metadata[codec.MetadataWrappedKey]), "vault:v2:") {
		t.Fatalf("after rotation: %v", v2[0].Metadata)
	}
	root.Logical().Write(mount+"/keys/temporal-codec-orders/config", map[string]any{"min_decryption_version": 2})
	if code := decodeCode(cold(), v1); code != codec.ErrKeyVersionDestroyed {
		t.Errorf("below min_decryption_version: %q", code)
	}
	if code := decodeCode(cold(), v2); code != "" {
		t.Errorf("version 2: %q", code)
	}
}

func TestTransitBindsWrappedKeysToTheNamespaceAndRefusesForgeries(t *testing.T) {
	addr, token := vaultEnv(t)
	mount, _ := transitFixture(t, "shared")
	// Both namespaces use key id "shared": only the derivation context tells them apart.
	keyIDFor := func(string) (string, error) { return "shared", nil }
	provider := transitProvider(t, testClient(t, addr, token), TransitOptions{Mount: mount, KeyIDFor: keyIDFor})
	sealed := mustEncode(t, newCodec(t, "orders", provider), 1)
	other := newCodec(t, "payments", transitProvider(t, testClient(t, addr, token), TransitOptions{Mount: mount, KeyIDFor: keyIDFor}))
	if code := decodeCode(other, sealed); code != codec.ErrDecryptionFailed {
		t.Errorf("wrapped key unwrapped under another namespace: %q", code)
	}
	forged := mustEncode(t, newCodec(t, "orders", provider), 1)
	forged[0].Metadata[codec.MetadataWrappedKey] = []byte("vault:v1:" + strings.Repeat("A", 80))
	if code := decodeCode(newCodec(t, "orders", provider), forged); code != codec.ErrDecryptionFailed {
		t.Errorf("forged wrapped key: %q", code)
	}
	for value, want := range map[string]codec.Code{"": codec.ErrMalformedMetadata, "vault:v2:AAAA": codec.ErrMalformedMetadata, "plain": codec.ErrMalformedMetadata} {
		bad := mustEncode(t, newCodec(t, "orders", provider), 1)
		if value == "" {
			delete(bad[0].Metadata, codec.MetadataWrappedKey)
		} else {
			bad[0].Metadata[codec.MetadataWrappedKey] = []byte(value)
		}
		if code := decodeCode(newCodec(t, "orders", provider), bad); code != want {
			t.Errorf("wrapped key %q: %q, want %s", value, code, want)
		}
	}
}

func TestTransitUnknownKeysAndDataKeyBudget(t *testing.T) {
	addr, token := vaultEnv(t)
	mount, _ := transitFixture(t, "volume")
	missing := transitProvider(t, testClient(t, addr, token), TransitOptions{Mount: mount})
	if _, err := newCodec(t, "no-such-key", missing).EncodeContext(ctx, payloads(1)); !errors.Is(err, codec.ErrUnknownKey) {
		t.Errorf("missing Transit key: %v", err)
	}
	if _, err := newCodec(t, "bad name!", missing).EncodeContext(ctx, payloads(1)); !errors.Is(err, codec.ErrInvalidArgument) {
		t.Errorf("key id Transit cannot name: %v", err)
	}
	p := startProxy(t, addr)
	provider := transitProvider(t, testClient(t, p.server.URL, token), TransitOptions{Mount: mount, MaxPayloadsPerDataKey: 100, DataKeyMaxAge: time.Hour})
	c := newCodec(t, "volume", provider)
	for i := 0; i < 100; i++ {
		mustEncode(t, c, 10)
	}
	if n := p.count("/datakey/plaintext/"); n > 11 || n < 10 {
		t.Errorf("1,000 payloads with 100 per data key made %d datakey requests, want 10 or 11", n)
	}
	if err := provider.CheckHealth(ctx); err != nil {
		t.Errorf("health: %v", err)
	}
}
