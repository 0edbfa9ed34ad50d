package keys

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/temporal-vault-codec/temporal-vault-codec/ports/go/codec"
)

// Transit names match \w(([\w-.@]+)?\w)? in Vault and OpenBao alike.
var (
	transitKeyName   = regexp.MustCompile(`^\w(?:[\w.@-]*\w)?$`)
	transitPrefix    = regexp.MustCompile(`^(?:\w[\w.@-]*)?$`)
	transitMount     = regexp.MustCompile(`^[\w./-]+$`)
	wrappedKeyFormat = regexp.MustCompile(`^vault:v([1-9][0-9]{0,9}):[A-Za-z0-9+/]+={0,2}$`)
)

// maxWrappedKeyLength: a wrapped 32-byte data key is about 90 characters; anything much longer is not one.
const maxWrappedKeyLength = 512

// WrappedKeyVersion reads the Transit key version from a wrapped data key's
// vault:vN: prefix; ErrMalformedMetadata when it is not a Transit ciphertext.
func WrappedKeyVersion(wrappedKey string) (uint32, error) {
	if len(wrappedKey) <= maxWrappedKeyLength {
		if m := wrappedKeyFormat.FindStringSubmatch(wrappedKey); m != nil {
			if v, err := strconv.ParseUint(m[1], 10, 32); err == nil {
				return uint32(v), nil
			}
		}
	}
	return 0, codec.NewError(codec.ErrMalformedMetadata, "Metadata field "+codec.MetadataWrappedKey+" is malformed").
		WithField(codec.MetadataWrappedKey)
}

// transitClient makes the calls of one Transit mount. Keys are "derived" and
// every call passes the Temporal namespace as the derivation context, so a
// wrapped key only unwraps for the namespace it was made for.
type transitClient struct {
	vault     *VaultClient
	mount     string
	keyPrefix string
}

func newTransitClient(vault *VaultClient, mount, keyPrefix string, noPrefix bool) (*transitClient, error) {
	if vault == nil {
		return nil, codec.NewError(codec.ErrInvalidConfig, "Transit needs a Vault client")
	}
	mount = strings.Trim(mount, "/")
	if mount == "" {
		mount = "transit"
	}
	if keyPrefix == "" && !noPrefix {
		keyPrefix = "temporal-codec-"
	}
	if !transitMount.MatchString(mount) {
		return nil, codec.NewError(codec.ErrInvalidConfig, "Transit mount must be a path such as transit")
	}
	if !transitPrefix.MatchString(keyPrefix) {
		return nil, codec.NewError(codec.ErrInvalidConfig,
			"Transit key prefix may hold only letters, digits and _ - . @, and must start with a letter or digit")
	}
	return &transitClient{vault: vault, mount: mount, keyPrefix: keyPrefix}, nil
}

// keyName is the Transit key of keyID; ErrInvalidArgument when Transit would refuse it.
func (t *transitClient) keyName(keyID string) (string, error) {
	name := t.keyPrefix + keyID
	if !transitKeyName.MatchString(name) {
		return "", codec.NewError(codec.ErrInvalidArgument, "Key id "+strconv.Quote(keyID)+" cannot name a Transit key "+
			"(letters, digits and _ - . @ only, starting and ending with a letter or digit)").WithKey(keyID, 0).WithField("keyId")
	}
	return name, nil
}

func derivationContext(namespace string) string {
	return base64.StdEncoding.EncodeToString([]byte(namespace))
}

// transitDataKey is a data key fresh from datakey/plaintext.
type transitDataKey struct {
	version    uint32
	key        []byte
	wrappedKey string
}

// generateDataKey asks Transit for a new data key wrapped by the newest version of keyID, bound to namespace.
func (t *transitClient) generateDataKey(ctx context.Context, keyID, namespace string) (*transitDataKey, error) {
	name, err := t.keyName(keyID)
	if err != nil {
		return nil, err
	}
	secret, err := t.vault.write(ctx, t.mount+"/datakey/plaintext/"+name, map[string]any{"context": derivationContext(namespace)})
	if err != nil {
		return nil, classifyTransitError(err, keyID, 0)
	}
	var data map[string]any
	if secret != nil {
		data = secret.Data
	}
	wrapped, ok := data["ciphertext"].(string)
	if !ok {
		return nil, codec.NewError(codec.ErrInvalidKeyMaterial, "Transit returned no wrapped data key").WithKey(keyID, 0)
	}
	version, err := WrappedKeyVersion(wrapped)
	if err != nil {
		return nil, err
	}
	if n, ok := data["key_version"].(json.Number); ok && n.String() != strconv.FormatUint(uint64(version), 10) {
		return nil, codec.NewError(codec.ErrInvalidKeyMaterial, "Transit data key version disagrees with its ciphertext").WithKey(keyID, version)
	}
	key, err := transitKey(data["plaintext"], keyID, version)
	if err != nil {
		return nil, err
	}
	return &transitDataKey{version: version, key: key, wrappedKey: wrapped}, nil
}

// unwrap decrypts a wrapped data key through transit/decrypt, with namespace as the derivation context.
func (t *transitClient) unwrap(ctx context.Context, keyID, namespace, wrappedKey string) ([]byte, error) {
	version, err := WrappedKeyVersion(wrappedKey)
	if err != nil {
		return nil, err
	}
	name, err := t.keyName(keyID)
	if err != nil {
		return nil, err
	}
	secret, err := t.vault.write(ctx, t.mount+"/decrypt/"+name, map[string]any{
		"ciphertext": wrappedKey,
		"context":    derivationContext(namespace),
	})
	if err != nil {
		return nil, classifyTransitError(err, keyID, version)
	}
	var plaintext any
	if secret != nil {
		plaintext = secret.Data["plaintext"]
	}
	return transitKey(plaintext, keyID, version)
}

func transitKey(plaintext any, keyID string, version uint32) ([]byte, error) {
	text, _ := plaintext.(string)
	key, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(key) != codec.RootKeyBytes {
		clear(key)
		return nil, codec.NewError(codec.ErrInvalidKeyMaterial, "Transit data key must be 32 bytes").WithKey(keyID, version)
	}
	return key, nil
}

var (
	transitTooOld     = regexp.MustCompile(`disallowed by policy \(too old\)`)
	transitTooNew     = regexp.MustCompile(`version is too new`)
	transitNoKey      = regexp.MustCompile(`encryption key not found|no existing key named|invalid key name|key not found`)
	transitAuthFailed = regexp.MustCompile(`message authentication failed|invalid ciphertext`)
	transitNotDerived = regexp.MustCompile(`key derivation|derived key`)
)

// classifyTransitError maps a Transit refusal to its code. Transit answers
// most refusals with HTTP 400 and an English message but no code (mapped to
// ErrInvalidConfig by the client); the messages matched here are unchanged
// since Vault 0.x and kept by OpenBao, and are those the TypeScript library matches.
func classifyTransitError(err error, keyID string, version uint32) error {
	if codec.CodeOf(err) != codec.ErrInvalidConfig {
		return err
	}
	message := err.Error()
	with := func(code codec.Code, text string) error {
		return codec.NewError(code, text).WithKey(keyID, version).WithCause(err)
	}
	switch {
	case transitTooOld.MatchString(message):
		return with(codec.ErrKeyVersionDestroyed, "Key version was destroyed or is below the minimum")
	case transitTooNew.MatchString(message):
		return with(codec.ErrUnknownKeyVersion, "Unknown key version")
	case transitNoKey.MatchString(message):
		return with(codec.ErrUnknownKey, "Unknown key")
	case transitAuthFailed.MatchString(message):
		return with(codec.ErrDecryptionFailed, "Decryption failed")
	case transitNotDerived.MatchString(message):
		return with(codec.ErrInvalidConfig, "Transit key is not configured as this library creates it "+
			"(derived aes256-gcm96); create it with the key-admin CLI")
	}
	return err
}
