package codec

import (
	"context"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// shared is the state every namespace view of one codec uses.
type shared struct {
	provider    KeyProvider
	sessions    *sealingSessions
	decryptKeys *decryptKeyCache
	options     Options
}

// Codec is a Temporal [converter.PayloadCodec] for wire format v1. It seals
// each payload whole under the namespace's newest key version and opens
// payloads under the exact version they name. Input payloads are never
// mutated. A Codec is safe for concurrent use; on a warm cache neither
// direction does I/O or key derivation.
//
// It implements [converter.PayloadCodecWithSerializationContext]: the SDK
// hands it the namespace of the workflow or activity, and payloads are bound
// to that namespace.
type Codec struct {
	*shared
	namespace string
}

var (
	_ converter.PayloadCodec                         = (*Codec)(nil)
	_ converter.PayloadCodecWithSerializationContext = (*Codec)(nil)
)

// New returns a codec for options.
func New(options Options) (*Codec, error) {
	options, err := options.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Codec{
		shared: &shared{
			provider:    options.KeyProvider,
			sessions:    newSealingSessions(options.MaxPayloadsPerDerivedKey),
			decryptKeys: newDecryptKeyCache(options.DecryptKeyCacheSize, options.DecryptKeyMaxAge, options.Now),
			options:     options,
		},
		namespace: options.Namespace,
	}, nil
}

// Namespace is the namespace this view of the codec binds payloads to.
func (c *Codec) Namespace() string { return c.namespace }

// WithNamespace returns a view of the codec, sharing its keys and caches, that
// binds payloads to namespace.
func (c *Codec) WithNamespace(namespace string) (*Codec, error) {
	if namespace == c.namespace {
		return c, nil
	}
	if err := ValidateNamespace(namespace); err != nil {
		return nil, err
	}
	return &Codec{shared: c.shared, namespace: namespace}, nil
}

// WithSerializationContext implements
// [converter.PayloadCodecWithSerializationContext]: the workflow's or
// activity's namespace replaces the codec's own; a context without one (Nexus)
// keeps it.
func (c *Codec) WithSerializationContext(sc converter.SerializationContext) converter.PayloadCodec {
	var namespace string
	switch ctx := sc.(type) {
	case converter.WorkflowSerializationContext:
		namespace = ctx.Namespace
	case converter.ActivitySerializationContext:
		namespace = ctx.Namespace
	}
	if namespace == "" {
		return c
	}
	view, err := c.WithNamespace(namespace)
	if err != nil {
		return failingCodec{err}
	}
	return view
}

// Encode implements [converter.PayloadCodec]. See [Codec.EncodeContext].
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.options.KeySourceTimeout)
	defer cancel()
	out, err := c.EncodeContext(ctx, payloads)
	return out, c.forSDK(err)
}

// Decode implements [converter.PayloadCodec]. See [Codec.DecodeContext].
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.options.KeySourceTimeout)
	defer cancel()
	out, err := c.DecodeContext(ctx, payloads)
	return out, c.forSDK(err)
}

func (c *Codec) forSDK(err error) error {
	if err == nil || c.options.FailWorkflowOnError {
		return err
	}
	return converter.NewWorkflowTaskFailureError(err)
}

// EncodeContext seals every payload under the namespace's newest key version.
// ctx bounds the key-source calls. Errors are [*Error]s.
func (c *Codec) EncodeContext(ctx context.Context, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if len(payloads) == 0 {
		return []*commonpb.Payload{}, nil
	}
	for _, p := range payloads {
		if p == nil {
			return nil, NewError(ErrInvalidArgument, "payload must not be nil").WithField("payload")
		}
	}
	material, err := c.provider.EncryptionKey(ctx, c.namespace, len(payloads))
	if err != nil {
		return nil, err
	}
	defer material.Zero()
	out := make([]*commonpb.Payload, len(payloads))
	for done := 0; done < len(payloads); {
		r, err := c.sessions.reserve(c.namespace, material, len(payloads)-done)
		if err != nil {
			return nil, err
		}
		if r.fresh {
			c.decryptKeys.set(r.session.ref, r.session.key)
		}
		for i := 0; i < r.count; i++ {
			sealed, err := sealOne(r.session, uint32(r.start+i), payloads[done+i])
			if err != nil {
				return nil, err
			}
			out[done+i] = sealed
		}
		done += r.count
	}
	return out, nil
}

func sealOne(s *sealingSession, counter uint32, payload *commonpb.Payload) (*commonpb.Payload, error) {
	buf, err := sealedPlaintextBuffer(payload)
	if err != nil {
		return nil, NewError(ErrInvalidArgument, "payload cannot be serialized").WithField("payload").WithCause(err)
	}
	var nonce [nonceLen]byte
	nonceAt(nonce[:], &s.nonceBase, counter)
	return &commonpb.Payload{Metadata: s.metadata.build(), Data: sealInto(s.key, s.aad, buf, nonce[:])}, nil
}

// DecodeContext opens every encrypted payload; others pass through unchanged
// (or fail with ErrUnencryptedPayload under UnencryptedReject). ctx bounds the
// key-source calls. Errors are [*Error]s.
func (c *Codec) DecodeContext(ctx context.Context, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	var keyID string
	for i, p := range payloads {
		if p == nil {
			return nil, NewError(ErrInvalidArgument, "payload must not be nil").WithField("payload")
		}
		if !IsEncrypted(p) {
			if c.options.Unencrypted == UnencryptedReject {
				e := NewError(ErrUnencryptedPayload, "Payload is not encrypted and unencrypted payloads are refused")
				e.Namespace = c.namespace
				return nil, e
			}
			if c.options.OnUnencrypted != nil {
				c.options.OnUnencrypted(c.namespace)
			}
			out[i] = p
			continue
		}
		if keyID == "" {
			var err error
			if keyID, err = c.provider.KeyIDFor(c.namespace); err != nil {
				return nil, err
			}
		}
		opened, err := c.openOne(ctx, keyID, p)
		if err != nil {
			return nil, err
		}
		out[i] = opened
	}
	return out, nil
}

func (c *Codec) openOne(ctx context.Context, keyID string, p *commonpb.Payload) (*commonpb.Payload, error) {
	h, err := readHeader(p)
	if err != nil {
		return nil, err
	}
	if h.ref.KeyID != keyID {
		e := NewError(ErrNamespaceMismatch, "Payload was encrypted for another namespace").WithKey(h.ref.KeyID, h.ref.Version)
		e.Namespace = c.namespace
		return nil, e
	}
	data := p.GetData()
	if len(data) < MinSealedLen {
		return nil, NewError(ErrPayloadTruncated, "Encrypted data is shorter than the 92-byte minimum").
			WithKey(h.ref.KeyID, h.ref.Version).WithField("data")
	}
	aad := buildAAD(h.format, c.namespace, h.ref.KeyID, h.ref.Version)
	salt := data[:saltLen]
	key := c.decryptKeys.get(h.ref, salt)
	if key == nil {
		material, err := c.provider.DecryptionKey(ctx, c.namespace, h.ref)
		if err != nil {
			return nil, err
		}
		key, err = deriveKey(material.Key, salt, h.ref.KeyID, h.ref.Version)
		material.Zero()
		if err != nil {
			return nil, err
		}
		plaintext, err := openSealed(key, aad, data)
		if err != nil {
			return nil, err
		}
		// Only keys that opened a payload are cached: forged salts cannot fill the cache.
		c.decryptKeys.set(h.ref, key)
		return deserializePayload(plaintext)
	}
	plaintext, err := openSealed(key, aad, data)
	if err != nil {
		return nil, err
	}
	return deserializePayload(plaintext)
}

// WarmUp fetches the namespace's newest key now and derives its sealing key,
// so a worker starts only if its key source answers, and a later key-source
// outage finds the key in memory.
func (c *Codec) WarmUp(ctx context.Context) error {
	material, err := c.provider.EncryptionKey(ctx, c.namespace, 1)
	if err != nil {
		return err
	}
	defer material.Zero()
	r, err := c.sessions.reserve(c.namespace, material, 0)
	if err != nil {
		return err
	}
	if r.fresh {
		c.decryptKeys.set(r.session.ref, r.session.key)
	}
	return nil
}

// Close drops every derived key the codec holds. It does not close the key provider.
func (c *Codec) Close() {
	c.sessions.clear()
	c.decryptKeys.clear()
}

// failingCodec reports an invalid serialization-context namespace on every call.
type failingCodec struct{ err error }

func (f failingCodec) Encode([]*commonpb.Payload) ([]*commonpb.Payload, error) { return nil, f.err }
func (f failingCodec) Decode([]*commonpb.Payload) ([]*commonpb.Payload, error) { return nil, f.err }
