package inbox

import "errors"

// Sentinel errors. Every error returned by inboxkit wraps one of these when
// it falls into the category, so callers branch with errors.Is and show the
// wrapped message, which names what was wrong without echoing secrets.
var (
	// ErrNotFound: the tenant, conversation, message or other record does
	// not exist in the caller's tenant.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule or an optimistic version check failed.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input is malformed or breaks a rule; the message names
	// the field.
	ErrInvalid = errors.New("invalid input")
	// ErrUnsupported: the component lacks the requested capability, for
	// example a channel that cannot send.
	ErrUnsupported = errors.New("unsupported")
	// ErrUnauthorized: a signature, credential or token was rejected.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrTemporary: the operation may succeed if retried later (network
	// failure, provider rate limit, lock contention).
	ErrTemporary = errors.New("temporary failure")
)

// FieldError reports which input field is invalid. It wraps ErrInvalid.
type FieldError struct {
	Field  string // dotted path of the field, e.g. "messages[2].from"
	Reason string // what is wrong with it, never its secret value
}

func (e *FieldError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Invalid returns a *FieldError for field.
func Invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
