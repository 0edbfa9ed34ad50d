package codec

import (
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// The sealed plaintext is the standard protobuf serialization of the whole
// Payload. Deterministic marshalling writes metadata entries sorted by key,
// then data (omitted when empty): any protobuf decoder reads it, and for
// metadata given in sorted order it is byte for byte what the TypeScript
// library writes (it writes entries in insertion order).
var marshalOptions = proto.MarshalOptions{Deterministic: true}

// sealedPlaintextBuffer serializes payload into a new buffer at offset
// headerLen, with capacity for the GCM tag, so sealing needs no other copy.
func sealedPlaintextBuffer(payload *commonpb.Payload) ([]byte, error) {
	size := marshalOptions.Size(payload)
	buf := make([]byte, headerLen, headerLen+size+tagLen)
	return marshalOptions.MarshalAppend(buf, payload)
}

// serializePayload is the plaintext of payload (used by tests and vectors).
func serializePayload(payload *commonpb.Payload) ([]byte, error) {
	return marshalOptions.Marshal(payload)
}

func deserializePayload(plaintext []byte) (*commonpb.Payload, error) {
	out := &commonpb.Payload{}
	if err := proto.Unmarshal(plaintext, out); err != nil {
		return nil, NewError(ErrMalformedMetadata, "Decrypted bytes are not a valid Payload message").
			WithField("data").WithCause(err)
	}
	return out, nil
}
