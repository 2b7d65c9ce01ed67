package inbox

import (
	"context"
	"errors"
	"strings"
)

// PlainError carries, beside an error for developers and logs, a
// sentence for the people using the inbox: what went wrong and what to
// check, without error codes or a secret. Channels wrap the failures
// they can explain (Plainly); the engine shows that sentence in an
// integration's health and refuses a connection test with it.
type PlainError struct {
	// Text is the sentence ("Nothing answers at mail.example.com on
	// port 993: check the server name and port.").
	Text string
	Err  error
}

func (e *PlainError) Error() string { return e.Err.Error() }

// Unwrap returns the error explained.
func (e *PlainError) Unwrap() error { return e.Err }

// Plainly wraps err with a sentence for the people using the inbox. A nil
// err stays nil.
func Plainly(err error, text string) error {
	if err == nil {
		return nil
	}
	return &PlainError{Text: text, Err: err}
}

// PlainText is the sentence that explains err: the outermost PlainError's,
// else one chosen by err's kind (refused credentials, no answer in time,
// a missing or wrong setting...). Never the error's own text.
func PlainText(err error) string {
	return plainText(err, nil)
}

// plainText is PlainText naming settings by their label in schema.
func plainText(err error, schema *IntegrationSchema) string {
	var pe *PlainError
	var fe *FieldError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return pe.Text
	case errors.As(err, &fe):
		return "A setting needs attention: " + fieldLabel(fe.Field, schema) + " " + strings.TrimSuffix(fe.Reason, ".") + "."
	case errors.Is(err, ErrUnauthorized):
		return "The service refused the account's credentials: check them in the integration's settings."
	case errors.Is(err, context.DeadlineExceeded):
		return "The service did not answer in time."
	case errors.Is(err, ErrTemporary):
		return "The service could not be reached."
	case errors.Is(err, ErrNotFound):
		return "A setting needs attention: a required secret is missing."
	case errors.Is(err, ErrUnsupported):
		return "This kind of integration cannot be used on this server."
	}
	return "Something went wrong while talking to the service."
}

// fieldLabel names a setting as its form does ("IMAP server"), or by its
// key made readable ("api key").
func fieldLabel(path string, schema *IntegrationSchema) string {
	name := path
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if schema != nil {
		if f, ok := schema.Field(name); ok && f.Label != "" {
			return f.Label
		}
	}
	return strings.ReplaceAll(name, "_", " ")
}
