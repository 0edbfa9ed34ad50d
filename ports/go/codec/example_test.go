package codec_test

import (
	"context"
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys"
)

func Greet(ctx workflow.Context, name string) (string, error) { return "Hello, " + name, nil }

// A worker and a client of namespace "orders" sealing payloads with keys in
// Vault KV v2 (secret/temporal-codec/orders, as the TypeScript library and
// its key-admin CLI lay them out). VAULT_ADDR and VAULT_TOKEN come from the environment.
func Example_workerAndClient() {
	vault, err := keys.NewVaultClient(keys.VaultConfig{})
	if err != nil {
		log.Fatal(err)
	}
	store, err := keys.NewVaultKV(vault, keys.VaultKVOptions{Mount: "secret", PathPrefix: "temporal-codec/"})
	if err != nil {
		log.Fatal(err)
	}
	provider := keys.NewCachingProvider(store, keys.CachingOptions{})
	defer provider.Close()
	payloadCodec, err := codec.New(codec.Options{Namespace: "orders", KeyProvider: provider})
	if err != nil {
		log.Fatal(err)
	}
	// Start only if the key source answers; the key then stays in memory through a later Vault outage.
	if err := payloadCodec.WarmUp(context.Background()); err != nil {
		log.Fatal(err)
	}
	dataConverter := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), payloadCodec)
	c, err := client.Dial(client.Options{
		HostPort:      client.DefaultHostPort,
		Namespace:     "orders",
		DataConverter: dataConverter,
		// Encrypt failure messages and stack traces too.
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
			DataConverter: dataConverter, EncodeCommonAttributes: true,
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	w := worker.New(c, "greetings", worker.Options{})
	w.RegisterWorkflow(Greet)
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: "greetings"}, Greet, "Alice")
	if err != nil {
		log.Fatal(err)
	}
	var greeting string
	if err := run.Get(context.Background(), &greeting); err != nil {
		log.Fatal(err)
	}
	log.Print(greeting)
}
