package codec

import (
	"errors"
	"fmt"
)

// Code is a stable error code. Codes are public API shared with the
// TypeScript library: callers switch on them and tests assert them. A Code is
// itself an error, so errors.Is(err, ErrDecryptionFailed) matches any [*Error]
// with that code.
type Code string

// Error returns the code itself.
func (c Code) Error() string { return string(c) }

// The error codes, identical to the TypeScript library's ERROR_CODES.
const (
	// ErrDecryptionFailed: authentication failed (tampered data or metadata,
	// wrong key, wrong namespace binding). Says nothing more, on purpose.
	ErrDecryptionFailed Code = "ERR_DECRYPTION_FAILED"
	// ErrPayloadTruncated: the sealed data is shorter than the format's fixed fields.
	ErrPayloadTruncated Code = "ERR_PAYLOAD_TRUNCATED"
	// ErrMalformedMetadata: a required metadata field is missing or malformed,
	// or the authenticated plaintext is not a Payload message.
	ErrMalformedMetadata Code = "ERR_MALFORMED_METADATA"
	// ErrUnsupportedFormat: the payload names a format this version does not implement.
	ErrUnsupportedFormat Code = "ERR_UNSUPPORTED_FORMAT"
	// ErrUnknownKey: no key exists for the key id.
	ErrUnknownKey Code = "ERR_UNKNOWN_KEY"
	// ErrUnknownKeyVersion: the key exists but not this version.
	ErrUnknownKeyVersion Code = "ERR_UNKNOWN_KEY_VERSION"
	// ErrKeyVersionDestroyed: the key version was destroyed or is below the
	// minimum decryption version.
	ErrKeyVersionDestroyed Code = "ERR_KEY_VERSION_DESTROYED"
	// ErrNamespaceMismatch: the payload was sealed for another namespace's key.
	ErrNamespaceMismatch Code = "ERR_NAMESPACE_MISMATCH"
	// ErrKeySourceUnavailable: the key source could not be reached or failed;
	// retrying may succeed.
	ErrKeySourceUnavailable Code = "ERR_KEY_SOURCE_UNAVAILABLE"
	// ErrKeySourceDenied: the key source refused the request (permission
	// denied); retrying will not help.
	ErrKeySourceDenied Code = "ERR_KEY_SOURCE_DENIED"
	// ErrInvalidKeyMaterial: the key source answered with something that is not a valid key.
	ErrInvalidKeyMaterial Code = "ERR_INVALID_KEY_MATERIAL"
	// ErrInvalidConfig: options or configuration are invalid.
	ErrInvalidConfig Code = "ERR_INVALID_CONFIG"
	// ErrInvalidArgument: an argument at the public boundary is invalid (nil
	// payload, bad namespace).
	ErrInvalidArgument Code = "ERR_INVALID_ARGUMENT"
	// ErrUnencryptedPayload: a payload without encoding binary/encrypted was
	// refused because the codec runs with [UnencryptedReject].
	ErrUnencryptedPayload Code = "ERR_UNENCRYPTED_PAYLOAD"
)

// Error is the error type of this module. It never carries key bytes or
// plaintext: only identifiers of what failed.
type Error struct {
	// Code is the stable code.
	Code Code
	// Message is a human-readable description without secrets.
	Message string
	// Retryable is true when the same call may succeed later (key source outages).
	Retryable bool
	// KeyID, Version, Namespace and Field name what failed, when known.
	KeyID     string
	Version   uint32
	Namespace string
	Field     string
	// Err is the underlying cause, if any.
	Err error
}

// Error returns "CODE: message".
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's [Code].
func (e *Error) Is(target error) bool {
	code, ok := target.(Code)
	return ok && code == e.Code
}

// NewError returns an [*Error] with code and message; Retryable is set for
// [ErrKeySourceUnavailable].
func NewError(code Code, message string) *Error {
	return &Error{Code: code, Message: message, Retryable: code == ErrKeySourceUnavailable}
}

// WithCause sets the cause and returns e.
func (e *Error) WithCause(err error) *Error { e.Err = err; return e }

// WithKey sets the key id and version and returns e.
func (e *Error) WithKey(keyID string, version uint32) *Error {
	e.KeyID, e.Version = keyID, version
	return e
}

// WithField sets the field name and returns e.
func (e *Error) WithField(field string) *Error { e.Field = field; return e }

// CodeOf returns the code of the first [*Error] in err's chain, or "" when there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsRetryable reports whether err is an [*Error] that may succeed if retried later.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

func decryptionFailed(cause error) *Error {
	return NewError(ErrDecryptionFailed, "Decryption failed").WithCause(cause)
}
