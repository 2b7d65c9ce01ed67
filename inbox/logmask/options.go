package logmask

import "regexp"

// Mask selects groups of rules.
type Mask uint

// The rule groups. Options.Disable turns groups off; all are on by
// default.
const (
	// MaskEmails masks email addresses.
	MaskEmails Mask = 1 << iota
	// MaskPhones masks phone numbers and values under phone-like keys.
	MaskPhones
	// MaskTokens masks bearer tokens, Authorization headers, JWTs, API
	// keys, key=value credentials and URL passwords inside text.
	MaskTokens
	// MaskKeys replaces the whole value of attributes whose key names a
	// credential.
	MaskKeys
)

// Options configures a Masker or Handler. The zero value masks everything
// with the default formats.
type Options struct {
	// Disable turns rule groups off (e.g. MaskPhones in a deployment that
	// must log numbers). Zero: every rule is on.
	Disable Mask
	// Email rewrites one email address; nil keeps its first character and
	// its domain: "c***@courriel.example".
	Email func(address string) string
	// PhoneDigits is how many trailing digits of a phone number stay
	// visible, 1 to 4. Zero means 2; values above 4 mean 4.
	PhoneDigits int
	// SensitiveKeys adds attribute keys whose values are always fully
	// masked, to the built-in list. Keys compare case-insensitively with
	// '-', '_' and '.' ignored, and match when they contain the name.
	SensitiveKeys []string
	// PhoneKeys adds attribute keys whose values are phone numbers, to the
	// built-in list (phone, msisdn, mobile, tel...). Same comparison.
	PhoneKeys []string
	// AllowKeys lists attribute keys that are never masked by name (e.g.
	// "prompt_tokens", a count), though their text is still scanned. Exact
	// match, same normalisation.
	AllowKeys []string
	// Patterns are extra expressions; every match is replaced by
	// "[redacted]".
	Patterns []*regexp.Regexp
}
