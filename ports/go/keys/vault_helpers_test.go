package keys

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	vault "github.com/hashicorp/vault/api"
)

// The Vault tests run against a real OpenBao (or Vault) named by VAULT_ADDR
// and VAULT_TOKEN (a root token): `npm test` starts one and passes both. They
// skip only when VAULT_ADDR is unset.
func vaultEnv(t *testing.T) (addr, token string) {
	t.Helper()
	addr, token = os.Getenv("VAULT_ADDR"), os.Getenv("VAULT_TOKEN")
	if addr == "" {
		t.Skip("VAULT_ADDR is not set: no OpenBao to test against")
	}
	if token == "" {
		t.Fatal("VAULT_ADDR is set but VAULT_TOKEN is not")
	}
	return addr, token
}

func randomLabel(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// testClient is a key-source client with no retries, so outages (a cut
// proxy drops the connection at once) fail fast. Its timeout is generous: on a
// loaded machine a slow answer must not pass for an outage and add a request.
func testClient(t *testing.T, addr, token string) *VaultClient {
	t.Helper()
	c, err := NewVaultClient(VaultConfig{Address: addr, Token: token, Retries: -1, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// admin is a root client for setting up keys as an administrator would.
func admin(t *testing.T) *vault.Client {
	addr, token := vaultEnv(t)
	return testClient(t, addr, token).API()
}

// proxy sits between a key source and OpenBao: it counts requests by path and can be cut.
type proxy struct {
	server *httptest.Server
	mu     sync.Mutex
	paths  []string
	down   bool
}

func startProxy(t *testing.T, target string) *proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	forward := httputil.NewSingleHostReverseProxy(u)
	p.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.paths = append(p.paths, r.URL.Path)
		down := p.down
		p.mu.Unlock()
		if down {
			// Vault is gone: the connection drops without an answer.
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(p.server.Close)
	return p
}

func (p *proxy) count(fragment string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, path := range p.paths {
		if strings.Contains(path, fragment) {
			n++
		}
	}
	return n
}

// cut takes Vault away: open connections are closed and every later request
// is dropped without an answer. The proxy keeps its port, so nothing else
// started on the machine meanwhile can take it and answer in Vault's place.
func (p *proxy) cut() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.server.CloseClientConnections()
}
