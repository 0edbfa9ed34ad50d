package codec

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
)

// Reading and writing the metadata of wire format v1. Metadata is public by
// design: it names the key and version so that operators can see what a
// history needs without decrypting it.

var encryptedEncoding = []byte(EncodingEncrypted)

// header is what an encrypted payload's metadata says.
type header struct {
	format string
	ref    KeyRef
}

// IsEncrypted reports whether payload says it is encrypted (encoding binary/encrypted).
func IsEncrypted(payload *commonpb.Payload) bool {
	return bytes.Equal(payload.GetMetadata()[MetadataEncoding], encryptedEncoding)
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readText decodes a metadata value as strict UTF-8 (ok=false when absent).
// A leading byte order mark is dropped, as the WHATWG decoder the TypeScript
// library uses does, so both read the same key id from the same bytes.
func readText(payload *commonpb.Payload, key string) (string, bool, error) {
	value, ok := payload.GetMetadata()[key]
	if !ok {
		return "", false, nil
	}
	if !utf8.Valid(value) {
		return "", false, NewError(ErrMalformedMetadata, "Metadata field "+key+" is not valid UTF-8").WithField(key)
	}
	return string(bytes.TrimPrefix(value, utf8BOM)), true, nil
}

// parseVersion accepts a decimal in 1..4294967295 with no sign and no leading zero.
func parseVersion(text string) (uint32, bool) {
	if len(text) == 0 || len(text) > 10 || text[0] < '1' || text[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(text, 10, 32)
	return uint32(v), err == nil
}

// readHeader parses and checks the metadata of an encrypted payload.
// Precondition: IsEncrypted(payload).
func readHeader(payload *commonpb.Payload) (header, error) {
	format, ok, err := readText(payload, MetadataFormat)
	if err != nil {
		return header{}, err
	}
	if !ok || format != FormatV1 {
		return header{}, NewError(ErrUnsupportedFormat, "Unsupported or missing encryption format").WithField(MetadataFormat)
	}
	keyID, ok, err := readText(payload, MetadataKeyID)
	if err != nil {
		return header{}, err
	}
	if !ok || keyID == "" {
		return header{}, NewError(ErrMalformedMetadata, "Missing metadata field "+MetadataKeyID).WithField(MetadataKeyID)
	}
	versionText, _, err := readText(payload, MetadataKeyVersion)
	if err != nil {
		return header{}, err
	}
	version, ok := parseVersion(versionText)
	if !ok {
		e := NewError(ErrMalformedMetadata, "Missing or invalid metadata field "+MetadataKeyVersion)
		e.KeyID = keyID
		return header{}, e.WithField(MetadataKeyVersion)
	}
	wrapped, _, err := readText(payload, MetadataWrappedKey)
	if err != nil {
		return header{}, err
	}
	return header{format: format, ref: KeyRef{KeyID: keyID, Version: version, WrappedKey: wrapped}}, nil
}

// metadataFactory builds the metadata of payloads sealed under ref. The byte
// slices are shared by the payloads of one sealing session and never written
// after construction; each payload gets its own map.
type metadataFactory struct {
	encoding, format, keyID, version, wrapped []byte
}

func newMetadataFactory(ref KeyRef) *metadataFactory {
	f := &metadataFactory{
		encoding: []byte(EncodingEncrypted),
		format:   []byte(FormatV1),
		keyID:    []byte(ref.KeyID),
		version:  []byte(strconv.FormatUint(uint64(ref.Version), 10)),
	}
	if ref.WrappedKey != "" {
		f.wrapped = []byte(ref.WrappedKey)
	}
	return f
}

func (f *metadataFactory) build() map[string][]byte {
	size := 4
	if f.wrapped != nil {
		size = 5
	}
	m := make(map[string][]byte, size)
	m[MetadataEncoding] = f.encoding
	m[MetadataFormat] = f.format
	m[MetadataKeyID] = f.keyID
	m[MetadataKeyVersion] = f.version
	if f.wrapped != nil {
		m[MetadataWrappedKey] = f.wrapped
	}
	return m
}
