package codec

import (
	"bytes"
	"math/rand/v2"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

func randomPayload(r *rand.Rand) *commonpb.Payload {
	p := &commonpb.Payload{}
	if r.IntN(4) > 0 {
		p.Metadata = map[string][]byte{}
		for i := r.IntN(5); i > 0; i-- {
			key := make([]byte, r.IntN(12))
			for j := range key {
				key[j] = byte('a' + r.IntN(26))
			}
			value := make([]byte, r.IntN(300))
			for j := range value {
				value[j] = byte(r.IntN(256))
			}
			p.Metadata[string(key)] = value
		}
	}
	if r.IntN(3) > 0 {
		p.Data = make([]byte, r.IntN(5000))
		for j := range p.Data {
			p.Data[j] = byte(r.IntN(256))
		}
	}
	return p
}

func TestFastPathWritesWhatDeterministicProtobufWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	for i := 0; i < 2000; i++ {
		p := randomPayload(r)
		fast, err := serializePayload(p)
		if err != nil {
			t.Fatal(err)
		}
		generated, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fast, generated) {
			t.Fatalf("payload %d: fast %x, generated %x", i, fast, generated)
		}
		parsed, err := deserializePayload(bytes.Clone(fast))
		if err != nil || !proto.Equal(parsed, p) {
			t.Fatalf("payload %d: parse %v %v", i, parsed, err)
		}
	}
}

func TestFastParserDefersToTheGeneratedCodeOnAnythingUnusual(t *testing.T) {
	external := &commonpb.Payload{Data: []byte("x"), ExternalPayloads: []*commonpb.Payload_ExternalPayloadDetails{{SizeBytes: 42}}}
	b, err := serializePayload(external)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := deserializePayload(b); err != nil || !proto.Equal(got, external) {
		t.Errorf("external payloads: %v %v", got, err)
	}
	cases := map[string][]byte{
		// An entry whose value comes first, a varint field, data twice: valid protobuf, read by the generated code.
		"value before key": {0x0a, 0x06, 0x12, 0x01, 'v', 0x0a, 0x01, 'k'},
		"varint field":     {0x12, 0x01, 'd', 0x20, 0x01},
		"data twice":       {0x12, 0x01, 'a', 0x12, 0x01, 'b'},
	}
	for name, b := range cases {
		want := &commonpb.Payload{}
		if err := proto.Unmarshal(b, want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, err := deserializePayload(b); err != nil || !proto.Equal(got, want) {
			t.Errorf("%s: %v %v, want %v", name, got, err, want)
		}
	}
	for name, b := range map[string][]byte{
		"truncated entry": {0x0a, 0x05},
		"key not UTF-8":   {0x0a, 0x05, 0x0a, 0x01, 0xff, 0x12, 0x00},
		"group wire type": {0x0b},
		"length past end": {0x12, 0x7f, 0x00},
	} {
		if _, err := deserializePayload(b); CodeOf(err) != ErrMalformedMetadata {
			t.Errorf("%s: %v, want ERR_MALFORMED_METADATA", name, err)
		}
	}
}
