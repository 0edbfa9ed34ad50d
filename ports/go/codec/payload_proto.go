package codec

import (
	"slices"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The sealed plaintext is the standard protobuf serialization of the whole
// Payload. It is written deterministically: metadata entries sorted by key,
// then data (omitted when empty), which is byte for byte what
// proto.MarshalOptions{Deterministic: true} writes, and for metadata given in
// sorted order what the TypeScript library writes (it keeps insertion order).
// Payloads with any other field (external_payloads, unknown fields) go
// through the generated code, so nothing is dropped.
var marshalOptions = proto.MarshalOptions{Deterministic: true}

const (
	fieldMetadata = 1
	fieldData     = 2
	entryKey      = 1
	entryValue    = 2
)

func entrySize(key string, value []byte) int {
	return protowire.SizeTag(entryKey) + protowire.SizeBytes(len(key)) + protowire.SizeTag(entryValue) + protowire.SizeBytes(len(value))
}

// sealedPlaintextBuffer serializes payload into a new buffer at offset
// headerLen, with capacity for the GCM tag, so sealing needs no other copy.
func sealedPlaintextBuffer(payload *commonpb.Payload) ([]byte, error) {
	metadata := payload.GetMetadata()
	keys := make([]string, 0, len(metadata))
	size := 0
	generic := len(payload.GetExternalPayloads()) > 0 || len(payload.ProtoReflect().GetUnknown()) > 0
	for key, value := range metadata {
		// Non-UTF-8 keys are for the generated code to refuse.
		generic = generic || !utf8.ValidString(key)
		keys = append(keys, key)
		size += protowire.SizeTag(fieldMetadata) + protowire.SizeBytes(entrySize(key, value))
	}
	if generic {
		size := marshalOptions.Size(payload)
		return marshalOptions.MarshalAppend(make([]byte, headerLen, headerLen+size+tagLen), payload)
	}
	slices.Sort(keys)
	data := payload.GetData()
	if len(data) > 0 {
		size += protowire.SizeTag(fieldData) + protowire.SizeBytes(len(data))
	}
	b := make([]byte, headerLen, headerLen+size+tagLen)
	for _, key := range keys {
		value := metadata[key]
		b = protowire.AppendTag(b, fieldMetadata, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(entrySize(key, value)))
		b = protowire.AppendTag(b, entryKey, protowire.BytesType)
		b = protowire.AppendString(b, key)
		b = protowire.AppendTag(b, entryValue, protowire.BytesType)
		b = protowire.AppendBytes(b, value)
	}
	if len(data) > 0 {
		b = protowire.AppendTag(b, fieldData, protowire.BytesType)
		b = protowire.AppendBytes(b, data)
	}
	return b, nil
}

// serializePayload is the plaintext of payload (used by tests and vectors).
func serializePayload(payload *commonpb.Payload) ([]byte, error) {
	b, err := sealedPlaintextBuffer(payload)
	if err != nil {
		return nil, err
	}
	return b[headerLen:], nil
}

// deserializePayload parses an authenticated plaintext the caller hands over:
// data and metadata values are views into it. Anything but metadata entries
// (key, then value) and one data field goes to the generated code.
func deserializePayload(plaintext []byte) (*commonpb.Payload, error) {
	if p, ok := parseFast(plaintext); ok {
		return p, nil
	}
	out := &commonpb.Payload{}
	if err := proto.Unmarshal(plaintext, out); err != nil {
		return nil, NewError(ErrMalformedMetadata, "Decrypted bytes are not a valid Payload message").
			WithField("data").WithCause(err)
	}
	return out, nil
}

func parseFast(b []byte) (*commonpb.Payload, bool) {
	p := &commonpb.Payload{}
	for len(b) > 0 {
		value, num, rest, ok := consumeBytesField(b)
		if !ok {
			return nil, false
		}
		b = rest
		switch num {
		case fieldMetadata:
			key, entryValue, ok := parseEntry(value)
			if !ok {
				return nil, false
			}
			if p.Metadata == nil {
				p.Metadata = map[string][]byte{}
			}
			p.Metadata[key] = entryValue
		case fieldData:
			if p.Data != nil {
				return nil, false
			}
			p.Data = value
		default:
			return nil, false
		}
	}
	return p, true
}

func parseEntry(b []byte) (string, []byte, bool) {
	key, num, rest, ok := consumeBytesField(b)
	if !ok || num != entryKey || !utf8.Valid(key) {
		return "", nil, false
	}
	value, num, rest, ok := consumeBytesField(rest)
	if !ok || num != entryValue || len(rest) != 0 {
		return "", nil, false
	}
	return string(key), value, true
}

// consumeBytesField reads one length-delimited field; the value's capacity
// ends with it, so appending to it never overwrites what follows.
func consumeBytesField(b []byte) (value []byte, num protowire.Number, rest []byte, ok bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || typ != protowire.BytesType {
		return nil, 0, nil, false
	}
	value, m := protowire.ConsumeBytes(b[n:])
	if m < 0 {
		return nil, 0, nil, false
	}
	return value[:len(value):len(value)], num, b[n+m:], true
}
