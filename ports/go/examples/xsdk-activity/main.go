// Command xsdk-activity is a Go activity worker sealing every payload with
// the Go port of the codec, for the cross-SDK end-to-end test (a TypeScript
// client, a Python workflow worker and this Go activity worker in one
// namespace, all with the same Vault keys). It registers one activity,
// "xsdk_step", on the task queue XSDK_TASK_QUEUE, prints "ready" once the
// worker polls, and stops on SIGINT or SIGTERM.
//
// Settings come from the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE
// (default "default"), XSDK_TASK_QUEUE, VAULT_ADDR and VAULT_TOKEN,
// XSDK_KEY_SOURCE ("vault-kv" or "vault-transit"), VAULT_KEY_PREFIX (KV path
// prefix), VAULT_TRANSIT_MOUNT (Transit mount) and XSDK_LATEST_TTL (how long
// the newest key version is trusted, a Go duration such as "1s"; short so a
// rotation is seen quickly).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys"
)

// StepInput is what the Python workflow sends to each step.
type StepInput struct {
	Round int    `json:"round"`
	Note  string `json:"note"`
}

// StepResult is what each step returns to the workflow.
type StepResult struct {
	Round int    `json:"round"`
	Note  string `json:"note"`
	By    string `json:"by"`
}

// Step answers the workflow; the note travels back so the test can find it
// (or, sealed, not find it) in the history.
func Step(_ context.Context, input StepInput) (StepResult, error) {
	return StepResult{Round: input.Round, Note: "go saw " + input.Note, By: "go"}, nil
}

// provider opens the key source the environment names.
func provider(latestTTL time.Duration) (codec.KeyProvider, io.Closer, error) {
	vault, err := keys.NewVaultClient(keys.VaultConfig{})
	if err != nil {
		return nil, nil, err
	}
	switch source := os.Getenv("XSDK_KEY_SOURCE"); source {
	case "vault-kv":
		store, err := keys.NewVaultKV(vault, keys.VaultKVOptions{Mount: "secret", PathPrefix: os.Getenv("VAULT_KEY_PREFIX")})
		if err != nil {
			return nil, nil, err
		}
		p := keys.NewCachingProvider(store, keys.CachingOptions{LatestTTL: latestTTL})
		return p, p, nil
	case "vault-transit":
		p, err := keys.NewTransitProvider(vault, keys.TransitOptions{
			Mount:         os.Getenv("VAULT_TRANSIT_MOUNT"),
			DataKeyMaxAge: latestTTL,
		})
		if err != nil {
			return nil, nil, err
		}
		return p, p, nil
	default:
		return nil, nil, fmt.Errorf("XSDK_KEY_SOURCE must be vault-kv or vault-transit, not %q", source)
	}
}

func run() error {
	latestTTL, err := time.ParseDuration(os.Getenv("XSDK_LATEST_TTL"))
	if err != nil || latestTTL <= 0 {
		return errors.New("XSDK_LATEST_TTL must be a positive duration such as 1s")
	}
	namespace := os.Getenv("TEMPORAL_NAMESPACE")
	if namespace == "" {
		namespace = "default"
	}
	keyProvider, closer, err := provider(latestTTL)
	if err != nil {
		return err
	}
	defer closer.Close()
	payloadCodec, err := codec.New(codec.Options{Namespace: namespace, KeyProvider: keyProvider})
	if err != nil {
		return err
	}
	defer payloadCodec.Close()
	if err := payloadCodec.WarmUp(context.Background()); err != nil {
		return err
	}
	dataConverter := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), payloadCodec)
	c, err := client.Dial(client.Options{
		HostPort:      os.Getenv("TEMPORAL_ADDRESS"),
		Namespace:     namespace,
		DataConverter: dataConverter,
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
			DataConverter: dataConverter, EncodeCommonAttributes: true,
		}),
	})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, os.Getenv("XSDK_TASK_QUEUE"), worker.Options{})
	w.RegisterActivityWithOptions(Step, activity.RegisterOptions{Name: "xsdk_step"})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	fmt.Println("ready")
	<-worker.InterruptCh()
	return nil
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}
