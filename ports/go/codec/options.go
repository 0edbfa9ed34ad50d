package codec

import "time"

// UnencryptedPolicy says what Decode does with a payload whose encoding is not binary/encrypted.
type UnencryptedPolicy int

const (
	// UnencryptedAllow passes such payloads through unchanged: histories
	// written before encryption was turned on stay readable.
	UnencryptedAllow UnencryptedPolicy = iota
	// UnencryptedReject fails them with ErrUnencryptedPayload. Use it once
	// histories are encrypted: otherwise whoever can write history can inject
	// plaintext inputs, signals and results.
	UnencryptedReject
)

// Options configure a [Codec]. Namespace and KeyProvider are required; every
// other field has a safe default when left zero.
type Options struct {
	// Namespace is the Temporal namespace the codec serves when the SDK passes
	// no serialization context.
	Namespace string
	// KeyProvider is where keys come from, usually a caching provider from package keys.
	KeyProvider KeyProvider
	// MaxPayloadsPerDerivedKey is the number of payloads sealed under one
	// derived key before a new salt is drawn. Default and maximum 2^24.
	MaxPayloadsPerDerivedKey int
	// DecryptKeyCacheSize is the number of derived decryption keys kept. Default 1,024.
	DecryptKeyCacheSize int
	// DecryptKeyMaxAge is how long a derived decryption key is reused before
	// its key version is asked for again. Default 5 minutes.
	DecryptKeyMaxAge time.Duration
	// Unencrypted is the policy for payloads that are not encrypted. Default UnencryptedAllow.
	Unencrypted UnencryptedPolicy
	// OnUnencrypted, when set, is called for each unencrypted payload Decode
	// lets through (to count them).
	OnUnencrypted func(namespace string)
	// KeySourceTimeout bounds the key-source calls of one Encode or Decode
	// made through the SDK interface (which has no context). Default 30 s.
	KeySourceTimeout time.Duration
	// FailWorkflowOnError returns errors to the SDK as they are. By default
	// Encode and Decode wrap them in converter.NewWorkflowTaskFailureError, so
	// that a key-source outage or a missing key fails the Workflow Task, which
	// the Temporal Service retries, instead of failing the Workflow Execution.
	FailWorkflowOnError bool
	// Now is the clock of the caches; tests inject one. Default time.Now.
	Now func() time.Time
}

// withDefaults checks the options and fills in every default.
func (options Options) withDefaults() (Options, error) {
	if err := ValidateNamespace(options.Namespace); err != nil {
		return options, err
	}
	if options.KeyProvider == nil {
		return options, NewError(ErrInvalidConfig, "KeyProvider is required")
	}
	if options.MaxPayloadsPerDerivedKey == 0 {
		options.MaxPayloadsPerDerivedKey = MaxPayloadsPerDerivedKey
	}
	if options.MaxPayloadsPerDerivedKey < 1 || options.MaxPayloadsPerDerivedKey > MaxPayloadsPerDerivedKey {
		return options, NewError(ErrInvalidConfig, "MaxPayloadsPerDerivedKey must be in 1..16777216")
	}
	if options.DecryptKeyCacheSize <= 0 {
		options.DecryptKeyCacheSize = 1024
	}
	if options.DecryptKeyMaxAge <= 0 {
		options.DecryptKeyMaxAge = 5 * time.Minute
	}
	if options.KeySourceTimeout <= 0 {
		options.KeySourceTimeout = 30 * time.Second
	}
	if options.Now == nil {
		options.Now = time.Now
	}
	return options, nil
}
