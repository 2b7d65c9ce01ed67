package webhook

import (
	"errors"

	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// ErrorCode classifies why a webhook request was refused. The codes are
// stable strings, returned in the JSON error body; they never contain
// secrets.
type ErrorCode string

// Error codes of Standard Webhooks verification.
const (
	CodeMissingSignature   ErrorCode = "missing_signature"
	CodeMalformedSignature ErrorCode = "malformed_signature"
	CodeBadSignature       ErrorCode = "bad_signature"
	CodeMissingHeader      ErrorCode = "missing_header"
	CodeMissingTimestamp   ErrorCode = "missing_timestamp"
	CodeMalformedTimestamp ErrorCode = "malformed_timestamp"
	CodeTimestampTooOld    ErrorCode = "timestamp_too_old"
	CodeTimestampTooNew    ErrorCode = "timestamp_too_new"
	CodeReplay             ErrorCode = httpintake.CodeReplay
	CodeEmptyBody          ErrorCode = httpintake.CodeEmptyBody
	CodeBodyTooLarge       ErrorCode = httpintake.CodeBodyTooLarge
	CodeInvalidSecret      ErrorCode = httpintake.CodeInvalidSecret
)

// VerifyError reports why a request failed verification. It wraps
// inbox.ErrUnauthorized for signature and freshness failures,
// inbox.ErrInvalid for body and configuration problems and
// inbox.ErrConflict for replays. Reason never contains a secret or a
// signature.
type VerifyError struct {
	Code   ErrorCode
	Reason string
}

// Error names the code and the reason.
func (e *VerifyError) Error() string { return "webhook: " + string(e.Code) + ": " + e.Reason }

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
