package vonage

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

// DefaultMaxBodyBytes bounds webhook bodies: larger requests are refused
// with 413 before any signature work.
const DefaultMaxBodyBytes = 1 << 20

// Target is what a receiver needs to know about the integration a webhook
// request is for.
type Target struct {
	Tenant      inbox.TenantID
	Integration inbox.Integration
	// Secret is the integration's signature secret (the SMS API signature
	// secret, or the Messages API application's signature secret), opened
	// by the host from its sealed form.
	Secret []byte
}

// Resolver finds the Target of a webhook request, typically from a path
// value the host's mux extracted. It returns an error wrapping
// inbox.ErrNotFound for an unknown or disabled integration (answered 404).
type Resolver func(ctx context.Context, r *http.Request) (Target, error)

// StaticResolver always resolves to t, for a host with a single Vonage
// integration.
func StaticResolver(t Target) Resolver {
	return func(context.Context, *http.Request) (Target, error) { return t, nil }
}

// reply is the JSON body of every webhook response.
type reply struct {
	Status    string `json:"status,omitempty"` // stored, duplicate, quarantined, skipped, pending, updated, ignored
	MessageID string `json:"message_id,omitempty"`
	Error     string `json:"error,omitempty"` // error code
	Field     string `json:"field,omitempty"` // the invalid field, for 400
	Reason    string `json:"reason,omitempty"`
}

func writeReply(w http.ResponseWriter, status int, body reply) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// readBody reads r's body, refusing more than max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, verifyErr(CodeBodyTooLarge, fmt.Sprintf("the body has %d bytes, the limit is %d", r.ContentLength, max))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, verifyErr(CodeBodyTooLarge, fmt.Sprintf("the body exceeds the limit of %d bytes", max))
	}
	if err != nil {
		return nil, inbox.Invalid("body", "could not be read")
	}
	return body, nil
}

// fail answers a refused or failed request with the status the error
// calls for, and logs it. Server-side failures are answered with a
// generic reason (the provider retries); the detail goes to the log only.
func fail(w http.ResponseWriter, log *slog.Logger, what string, err error, attrs ...any) {
	status, body := classify(err)
	attrs = append(attrs, "status", status, "err", err)
	switch {
	case status >= 500:
		log.Error(what+" failed", attrs...)
	default:
		log.Info(what+" refused", attrs...)
	}
	writeReply(w, status, body)
}

func classify(err error) (int, reply) {
	var ve *VerifyError
	var fe *inbox.FieldError
	switch {
	case errors.As(err, &ve):
		body := reply{Error: string(ve.Code), Reason: ve.Reason}
		switch ve.Code {
		case CodeEmptyBody:
			body.Field = "body"
			return http.StatusBadRequest, body
		case CodeBodyTooLarge:
			return http.StatusRequestEntityTooLarge, body
		case CodeInvalidSecret:
			// A configuration error must fail closed, and a 5xx makes the
			// provider retry once the secret is fixed.
			return http.StatusInternalServerError, reply{Error: string(ve.Code), Reason: "the integration's signature settings are invalid"}
		}
		return http.StatusUnauthorized, body
	case errors.As(err, &fe):
		return http.StatusBadRequest, reply{Error: "invalid", Field: fe.Field, Reason: fe.Reason}
	case errors.Is(err, inbox.ErrNotFound):
		return http.StatusNotFound, reply{Error: "not_found", Reason: "unknown integration or tenant"}
	case errors.Is(err, inbox.ErrUnauthorized):
		return http.StatusUnauthorized, reply{Error: "unauthorized", Reason: "request not authorized"}
	case errors.Is(err, inbox.ErrInvalid):
		return http.StatusBadRequest, reply{Error: "invalid", Reason: "the request is invalid"}
	case errors.Is(err, inbox.ErrTemporary), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, reply{Error: "temporary", Reason: "temporary failure, retry later"}
	}
	return http.StatusInternalServerError, reply{Error: "internal", Reason: "the message could not be stored, retry later"}
}

// ingestReply turns an ingest outcome into the 200 answer.
func ingestReply(item inbox.IngestItem) reply {
	return reply{Status: string(item.Status), MessageID: item.MessageID, Reason: item.Reason}
}
