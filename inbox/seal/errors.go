package seal

import "errors"

var (
	// ErrUnknownKey: a ciphertext names a key id that neither the ring nor
	// the Fetch callback can provide, or the current key is unavailable.
	// The error message names the key id.
	ErrUnknownKey = errors.New("seal: unknown key id")
	// ErrMismatch: the ciphertext does not authenticate for this tenant,
	// integration and field (it was moved from another row or field, or
	// altered). Errors wrapping it also wrap inbox.ErrUnauthorized.
	ErrMismatch = errors.New("seal: ciphertext does not match its tenant, integration and field")
	// ErrMalformed: the bytes are not a sealed value of a known format
	// version. Errors wrapping it also wrap inbox.ErrInvalid.
	ErrMalformed = errors.New("seal: malformed ciphertext")
)
