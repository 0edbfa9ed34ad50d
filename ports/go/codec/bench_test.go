package codec_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"

	commonpb "go.temporal.io/api/common/v1"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/keys"
)

// Encode and decode of one payload against raw AES-256-GCM on the same bytes,
// as the TypeScript benchmark measures them (`npm run bench:go` prints the ratios).

var benchSizes = []struct {
	name string
	size int
}{{"256B", 256}, {"1KiB", 1024}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}}

func benchPayload(size int) *commonpb.Payload {
	data := make([]byte, size)
	rand.Read(data)
	return &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/plain")}, Data: data}
}

func benchCodec(b *testing.B) *codec.Codec {
	key := make([]byte, 32)
	rand.Read(key)
	store := &vectorStore{keyID: "bench", keys: map[uint32][]byte{1: key}}
	provider := keys.NewCachingProvider(store, keys.CachingOptions{})
	b.Cleanup(func() { _ = provider.Close() })
	c, err := codec.New(codec.Options{Namespace: "bench", KeyProvider: provider})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// Each size runs the codec and raw AES-GCM back to back, so that a shared
// machine's noise hits both alike; `-count` repeats the pair.
func BenchmarkEncode(b *testing.B) {
	ctx := context.Background()
	for _, s := range benchSizes {
		b.Run(s.name+"/codec", func(b *testing.B) {
			c := benchCodec(b)
			batch := []*commonpb.Payload{benchPayload(s.size)}
			if _, err := c.EncodeContext(ctx, batch); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.EncodeContext(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Raw: AES-256-GCM alone, a fresh output buffer per call, as the codec allocates one per payload.
		b.Run(s.name+"/raw", func(b *testing.B) {
			aead := rawAEAD(b)
			data := benchPayload(s.size).Data
			nonce := make([]byte, aead.NonceSize())
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				aead.Seal(make([]byte, 0, len(data)+aead.Overhead()), nonce, data, nil)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	ctx := context.Background()
	for _, s := range benchSizes {
		b.Run(s.name+"/codec", func(b *testing.B) {
			c := benchCodec(b)
			sealed, err := c.EncodeContext(ctx, []*commonpb.Payload{benchPayload(s.size)})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.DecodeContext(ctx, sealed); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Raw: AES-256-GCM decryption alone, into a fresh buffer per call.
		b.Run(s.name+"/raw", func(b *testing.B) {
			aead := rawAEAD(b)
			nonce := make([]byte, aead.NonceSize())
			sealed := aead.Seal(nil, nonce, benchPayload(s.size).Data, nil)
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := aead.Open(make([]byte, 0, s.size), nonce, sealed, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func rawAEAD(b *testing.B) cipher.AEAD {
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	return aead
}
