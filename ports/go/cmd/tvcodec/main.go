// Command tvcodec seals and opens Temporal payloads with the Go port of the
// codec, for scripts and for the cross-language tests: it reads one JSON
// request on standard input and writes one JSON answer on standard output.
//
//	{"op": "seal" | "open",
//	 "namespace": "orders",
//	 "source": {"kind": "vault-kv", "mount": "secret", "pathPrefix": "temporal-codec/"}
//	         | {"kind": "vault-transit", "mount": "transit", "keyPrefix": "temporal-codec-"}
//	         | {"kind": "local", "path": ".codec-keyring.json"},
//	 "payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}
//
// The answer holds one result per payload: {"payload": {...}} or
// {"error": {"code": "ERR_...", "message": "..."}}. Vault is reached at
// VAULT_ADDR with VAULT_TOKEN (and VAULT_NAMESPACE), never from arguments.
// A request that cannot run at all (bad JSON, no key source) exits with status 2.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	commonpb "go.temporal.io/api/common/v1"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys"
)

type jsonPayload struct {
	Metadata map[string][]byte `json:"metadata"`
	Data     []byte            `json:"data"`
}

type request struct {
	Op        string `json:"op"`
	Namespace string `json:"namespace"`
	Source    struct {
		Kind       string `json:"kind"`
		Mount      string `json:"mount"`
		PathPrefix string `json:"pathPrefix"`
		KeyPrefix  string `json:"keyPrefix"`
		Path       string `json:"path"`
	} `json:"source"`
	Payloads []jsonPayload `json:"payloads"`
}

type result struct {
	Payload *jsonPayload `json:"payload,omitempty"`
	Error   *jsonError   `json:"error,omitempty"`
}

type jsonError struct {
	Code    codec.Code `json:"code"`
	Message string     `json:"message"`
}

func (r *result) fail(err error) { r.Error = &jsonError{Code: codec.CodeOf(err), Message: err.Error()} }

func (r *result) set(p *commonpb.Payload) {
	r.Payload = &jsonPayload{Metadata: p.GetMetadata(), Data: p.GetData()}
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tvcodec:", err)
		os.Exit(2)
	}
}

func run(in io.Reader, out io.Writer) error {
	var req request
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return fmt.Errorf("request is not JSON: %w", err)
	}
	provider, err := openSource(req)
	if err != nil {
		return err
	}
	defer provider.Close()
	c, err := codec.New(codec.Options{Namespace: req.Namespace, KeyProvider: provider, FailWorkflowOnError: true})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results := make([]result, len(req.Payloads))
	batch := make([]*commonpb.Payload, len(req.Payloads))
	for i, p := range req.Payloads {
		batch[i] = &commonpb.Payload{Metadata: p.Metadata, Data: p.Data}
	}
	switch req.Op {
	case "seal":
		// One batch, as the SDK hands the codec a workflow's payloads.
		sealed, err := c.EncodeContext(ctx, batch)
		for i := range results {
			if err != nil {
				results[i].fail(err)
			} else {
				results[i].set(sealed[i])
			}
		}
	case "open":
		// Each payload on its own, so every failure is reported with its own code.
		for i := range batch {
			opened, err := c.DecodeContext(ctx, batch[i:i+1])
			if err != nil {
				results[i].fail(err)
			} else {
				results[i].set(opened[0])
			}
		}
	default:
		return fmt.Errorf("op must be seal or open, not %q", req.Op)
	}
	return json.NewEncoder(out).Encode(map[string]any{"results": results})
}

func openSource(req request) (codec.KeyProvider, error) {
	switch req.Source.Kind {
	case "local":
		keyring, err := keys.NewLocalKeyring(keys.LocalKeyringOptions{Path: req.Source.Path, Warn: func(string) {}})
		if err != nil {
			return nil, err
		}
		return keys.NewCachingProvider(keyring, keys.CachingOptions{}), nil
	case "vault-kv", "vault-transit":
		client, err := keys.NewVaultClient(keys.VaultConfig{})
		if err != nil {
			return nil, err
		}
		if req.Source.Kind == "vault-transit" {
			return keys.NewTransitProvider(client, keys.TransitOptions{Mount: req.Source.Mount, KeyPrefix: req.Source.KeyPrefix})
		}
		store, err := keys.NewVaultKV(client, keys.VaultKVOptions{Mount: req.Source.Mount, PathPrefix: req.Source.PathPrefix})
		if err != nil {
			return nil, err
		}
		return keys.NewCachingProvider(store, keys.CachingOptions{}), nil
	}
	return nil, fmt.Errorf("source.kind must be local, vault-kv or vault-transit, not %q", req.Source.Kind)
}
