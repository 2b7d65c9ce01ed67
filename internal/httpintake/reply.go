package httpintake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/inboxkit/inboxkit/inbox"
)

// Verification codes whose HTTP status or inbox sentinel differs from
// those of a refused signature. Adapters give their own error codes these
// values.
const (
	CodeEmptyBody     = "empty_body"
	CodeBodyTooLarge  = "body_too_large"
	CodeInvalidSecret = "invalid_secret"
	CodeReplay        = "replay"
)

// Reply is the JSON body of every webhook response.
type Reply struct {
	Status    string `json:"status,omitempty"` // stored, duplicate, quarantined, skipped, pending, updated, ignored
	MessageID string `json:"message_id,omitempty"`
	Error     string `json:"error,omitempty"` // error code
	Field     string `json:"field,omitempty"` // the invalid field, for 400
	Reason    string `json:"reason,omitempty"`
}

// IngestReply turns an ingest outcome into the 200 answer.
func IngestReply(item inbox.IngestItem) Reply {
	return Reply{Status: string(item.Status), MessageID: item.MessageID, Reason: item.Reason}
}

// WriteReply answers with status and body as uncacheable JSON.
func WriteReply(w http.ResponseWriter, status int, body Reply) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// ReadBody reads r's body, refusing more than max bytes. A nil body reads
// as nil. An oversized body is refused with the error tooLarge builds from
// a reason (the adapter's own body_too_large error); an unreadable one
// with an inbox.FieldError on "body".
func ReadBody(w http.ResponseWriter, r *http.Request, max int64, tooLarge func(reason string) error) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, tooLarge(fmt.Sprintf("the body has %d bytes, the limit is %d", r.ContentLength, max))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge(fmt.Sprintf("the body exceeds the limit of %d bytes", max))
	}
	if err != nil {
		return nil, inbox.Invalid("body", "could not be read")
	}
	return body, nil
}

// Refusal is a verification failure as an adapter reports it: a stable
// code and a reason free of secrets.
type Refusal struct {
	Code   string
	Reason string
}

// RefusalOf extracts the Refusal carried by err (the adapter's
// verification error type); ok is false when err carries none.
type RefusalOf func(err error) (r Refusal, ok bool)

// Fail answers a refused or failed request with the status the error
// calls for, and logs it under what. Server-side failures are answered
// with a generic reason (the provider retries); the detail goes to the
// log only.
func Fail(w http.ResponseWriter, log *slog.Logger, what string, err error, refusal RefusalOf, attrs ...any) {
	status, body := Classify(err, refusal)
	attrs = append(attrs, "status", status, "err", err)
	switch {
	case status >= 500:
		log.Error(what+" failed", attrs...)
	default:
		log.Info(what+" refused", attrs...)
	}
	WriteReply(w, status, body)
}

// Classify maps err to an HTTP status and answer: verification refusals
// to 401 (400 for an empty body, 413 for an oversized one, 500 for a
// broken secret), field errors to 400 naming the field, then the inbox
// sentinels; anything else is a 500 with a generic reason.
func Classify(err error, refusal RefusalOf) (int, Reply) {
	var fe *inbox.FieldError
	if ref, ok := refusal(err); ok {
		body := Reply{Error: ref.Code, Reason: ref.Reason}
		switch ref.Code {
		case CodeEmptyBody:
			body.Field = "body"
			return http.StatusBadRequest, body
		case CodeBodyTooLarge:
			return http.StatusRequestEntityTooLarge, body
		case CodeInvalidSecret:
			// A configuration error must fail closed, and a 5xx makes the
			// provider retry once the secret is fixed.
			return http.StatusInternalServerError, Reply{Error: ref.Code, Reason: "the integration's signature settings are invalid"}
		}
		return http.StatusUnauthorized, body
	}
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, Reply{Error: "invalid", Field: fe.Field, Reason: fe.Reason}
	case errors.Is(err, inbox.ErrNotFound):
		return http.StatusNotFound, Reply{Error: "not_found", Reason: "unknown integration or tenant"}
	case errors.Is(err, inbox.ErrUnauthorized):
		return http.StatusUnauthorized, Reply{Error: "unauthorized", Reason: "request not authorized"}
	case errors.Is(err, inbox.ErrInvalid):
		return http.StatusBadRequest, Reply{Error: "invalid", Reason: "the request is invalid"}
	case errors.Is(err, inbox.ErrTemporary), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, Reply{Error: "temporary", Reason: "temporary failure, retry later"}
	}
	return http.StatusInternalServerError, Reply{Error: "internal", Reason: "the message could not be stored, retry later"}
}

// Sentinel is the inbox sentinel a verification code belongs to: body
// and configuration problems are invalid, a replay is a conflict, every
// signature or freshness failure is unauthorized.
func Sentinel(code string) error {
	switch code {
	case CodeEmptyBody, CodeBodyTooLarge, CodeInvalidSecret:
		return inbox.ErrInvalid
	case CodeReplay:
		return inbox.ErrConflict
	}
	return inbox.ErrUnauthorized
}
