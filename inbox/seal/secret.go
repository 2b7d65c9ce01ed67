package seal

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret shows instead of its value.
const Redacted = "[redacted]"

// Secret holds a credential (password, API key, token) so that it cannot
// leak by accident: every way of printing or encoding it (fmt verbs
// including %v %s %q %x %#v, slog, JSON, text) yields "[redacted]". The
// value sits behind a pointer so that even reflection-based printing of a
// struct with an unexported Secret field shows an address, not the value.
//
// Secret is write-only on the wire: UnmarshalJSON and UnmarshalText accept
// a value, MarshalJSON and MarshalText never return it. The zero value is
// the empty secret.
type Secret struct {
	v *string
}

// NewSecret wraps value.
func NewSecret(value string) Secret { return Secret{v: &value} }

// Reveal returns the value. Call it only where the credential is used
// (the IMAP login, the API request), never to log or return it.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// Equal compares two secrets in constant time (for equal lengths).
func (s Secret) Equal(other Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(other.Reveal())) == 1
}

// String returns "[redacted]".
func (s Secret) String() string { return Redacted }

// GoString returns "[redacted]", for %#v.
func (s Secret) GoString() string { return Redacted }

// Format prints "[redacted]" for every verb, quoted for %q.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", Redacted)
		return
	}
	fmt.Fprint(f, Redacted)
}

// LogValue makes slog print "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON returns "[redacted]" as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText returns "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// UnmarshalJSON accepts a JSON string as the secret's value, so a secret
// can be written through an API that never reads it back.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("seal: secret must be a JSON string")
	}
	*s = NewSecret(v)
	return nil
}

// UnmarshalText accepts text as the secret's value.
func (s *Secret) UnmarshalText(b []byte) error {
	*s = NewSecret(string(b))
	return nil
}
