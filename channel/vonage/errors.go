package vonage

import (
	"errors"

	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// ErrorCode classifies why a webhook request was refused. The codes are
// stable strings, returned to the caller in the JSON error body and used by
// tests; they never contain secrets.
type ErrorCode string

// Error codes of webhook verification.
const (
	CodeMissingSignature    ErrorCode = "missing_signature"
	CodeMalformedSignature  ErrorCode = "malformed_signature"
	CodeBadSignature        ErrorCode = "bad_signature"
	CodeAlgNotAllowed       ErrorCode = "alg_not_allowed"
	CodePayloadHashMismatch ErrorCode = "payload_hash_mismatch"
	CodeMissingClaim        ErrorCode = "missing_claim"
	CodeTokenExpired        ErrorCode = "token_expired"
	CodeMissingTimestamp    ErrorCode = "missing_timestamp"
	CodeMalformedTimestamp  ErrorCode = "malformed_timestamp"
	CodeTimestampTooOld     ErrorCode = "timestamp_too_old"
	CodeTimestampTooNew     ErrorCode = "timestamp_too_new"
	CodeReplay              ErrorCode = httpintake.CodeReplay
	CodeEmptyBody           ErrorCode = httpintake.CodeEmptyBody
	CodeBodyTooLarge        ErrorCode = httpintake.CodeBodyTooLarge
	CodeInvalidSecret       ErrorCode = httpintake.CodeInvalidSecret
)

// VerifyError reports why a webhook request failed verification. It wraps
// inbox.ErrUnauthorized for signature and freshness failures and
// inbox.ErrInvalid for body problems and configuration errors, so callers
// can branch with errors.Is. Reason never contains a secret or a
// signature value.
type VerifyError struct {
	Code   ErrorCode
	Reason string
}

// Error names the code and the reason.
func (e *VerifyError) Error() string {
	return "vonage webhook: " + string(e.Code) + ": " + e.Reason
}

// Unwrap returns the inbox sentinel the code belongs to.
func (e *VerifyError) Unwrap() error {
	return httpintake.Sentinel(string(e.Code))
}

func verifyErr(code ErrorCode, reason string) error { return &VerifyError{Code: code, Reason: reason} }

// CodeOf returns the ErrorCode of a verification error, or "" when err is
// not a *VerifyError.
func CodeOf(err error) ErrorCode {
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve.Code
	}
	return ""
}
