package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far webhook-timestamp may be from now, either
// way (inclusive).
const DefaultTolerance = 5 * time.Minute

// secretPrefix marks a Standard Webhooks secret.
const secretPrefix = "whsec_"

// Secret is a Standard Webhooks signing key. It never prints its value.
type Secret struct {
	key []byte
}

// ParseSecret decodes a "whsec_<base64>" secret (the prefix is optional).
// A secret that does not decode is an error: verification must fail closed
// rather than run with a wrong key.
func ParseSecret(s string) (Secret, error) {
	b64 := strings.TrimPrefix(strings.TrimSpace(s), secretPrefix)
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		// Some senders strip the padding.
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) == 0 {
		return Secret{}, verifyErr(CodeInvalidSecret, "the configured secret is not base64 (whsec_<base64>)")
	}
	return Secret{key: key}, nil
}

// NewSecret returns a fresh random 32-byte secret.
func NewSecret() (Secret, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return Secret{}, fmt.Errorf("generate webhook secret: %w", err)
	}
	return Secret{key: key}, nil
}

// Encode returns the secret in its "whsec_<base64>" form, for showing it
// once to the administrator who configures the sender.
func (s Secret) Encode() string { return secretPrefix + base64.StdEncoding.EncodeToString(s.key) }

// String redacts the secret.
func (s Secret) String() string { return "whsec_[redacted]" }

// LogValue redacts the secret in structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue("whsec_[redacted]") }

// IsZero reports whether s holds no key.
func (s Secret) IsZero() bool { return len(s.key) == 0 }

// mac computes the raw v1 signature of id, timestamp and body.
func (s Secret) mac(id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature value ("v1,<base64>") for a message
// with the given id, timestamp and body.
func (s Secret) Sign(id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(s.mac(id, ts.Unix(), body))
}

// SignHeaders sets the three Standard Webhooks headers on h, signing with
// every secret given (several during a rotation).
func SignHeaders(h http.Header, id string, ts time.Time, body []byte, secrets ...Secret) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, s.Sign(id, ts, body))
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// Verified is what a successful verification established.
type Verified struct {
	ID        string    // webhook-id, the replay key
	Timestamp time.Time // webhook-timestamp
}

// VerifyStandard checks a Standard Webhooks request: webhook-id is
// present, webhook-timestamp is integer Unix seconds within tolerance of
// now (0 means DefaultTolerance, bounds inclusive), and some "v1,<base64>"
// entry of webhook-signature equals HMAC-SHA256 over "id.timestamp.body"
// under one of the active secrets (compared in constant time; several
// secrets support rotation). Other signature versions are ignored. An
// empty body is refused. The error is a *VerifyError.
func VerifyStandard(h http.Header, body []byte, secrets []Secret, now time.Time, tolerance time.Duration) (Verified, error) {
	if len(secrets) == 0 {
		return Verified{}, verifyErr(CodeInvalidSecret, "no signing secret is configured for this integration")
	}
	for _, s := range secrets {
		if s.IsZero() {
			return Verified{}, verifyErr(CodeInvalidSecret, "an empty signing secret is configured")
		}
	}
	if len(body) == 0 {
		return Verified{}, verifyErr(CodeEmptyBody, "the request body is empty")
	}
	id := h.Get(HeaderID)
	if id == "" {
		return Verified{}, verifyErr(CodeMissingHeader, "the webhook-id header is missing")
	}
	if len(id) > 256 {
		return Verified{}, verifyErr(CodeMissingHeader, "the webhook-id header is longer than 256 bytes")
	}
	sigHeader := h.Get(HeaderSignature)
	if strings.TrimSpace(sigHeader) == "" {
		return Verified{}, verifyErr(CodeMissingSignature, "the webhook-signature header is missing")
	}
	tsHeader := h.Get(HeaderTimestamp)
	if tsHeader == "" {
		return Verified{}, verifyErr(CodeMissingTimestamp, "the webhook-timestamp header is missing")
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return Verified{}, verifyErr(CodeMalformedTimestamp, "webhook-timestamp is not integer Unix seconds")
	}

	expected := make([][]byte, len(secrets))
	for i, s := range secrets {
		expected[i] = s.mac(id, ts, body)
	}
	matched, malformed := false, false
	for _, entry := range strings.Fields(sigHeader) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(got) != sha256.Size {
			malformed = true
			continue
		}
		for _, want := range expected {
			// hmac.Equal runs in constant time; keep looping so timing does
			// not tell which secret or entry matched.
			if hmac.Equal(got, want) {
				matched = true
			}
		}
	}
	switch {
	case matched:
	case malformed:
		return Verified{}, verifyErr(CodeMalformedSignature, "a v1 signature is not base64 of 32 bytes")
	default:
		return Verified{}, verifyErr(CodeBadSignature, "no v1 signature matches the body with an active secret")
	}
	t := time.Unix(ts, 0)
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	switch d := now.Sub(t); {
	case d > tolerance:
		return Verified{}, verifyErr(CodeTimestampTooOld, fmt.Sprintf("webhook-timestamp is %s old, more than %s", d.Truncate(time.Second), tolerance))
	case -d > tolerance:
		return Verified{}, verifyErr(CodeTimestampTooNew, fmt.Sprintf("webhook-timestamp is %s in the future, more than %s", (-d).Truncate(time.Second), tolerance))
	}
	return Verified{ID: id, Timestamp: t}, nil
}
