package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors names each invalid field (an extension member).
	Errors []FieldProblem `json:"errors,omitempty"`
	// Newer lists, for a stale reply, the messages stored since the
	// agent started writing (an extension member).
	Newer []NewerMessage `json:"newer,omitempty"`
}

// FieldProblem is one invalid input field.
type FieldProblem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problem type URIs, relative to the API so they resolve to documentation
// in the OpenAPI file.
const (
	typeInvalid      = "/inbox/problems/invalid"
	typeNotFound     = "/inbox/problems/not-found"
	typeConflict     = "/inbox/problems/conflict"
	typeStaleThread  = "/inbox/problems/stale-thread"
	typeUnauthorized = "/inbox/problems/unauthorized"
	typeForbidden    = "/inbox/problems/forbidden"
	typeUnsupported  = "/inbox/problems/unsupported"
	typeUnavailable  = "/inbox/problems/unavailable"
	typeRateLimited  = "/inbox/problems/rate-limited"
	typeTimeout      = "/inbox/problems/request-timeout"
	typeMethod       = "/inbox/problems/method-not-allowed"
	typeTooLarge     = "/inbox/problems/too-large"
	typeInternal     = "/inbox/problems/internal"
	typeUpstreamAuth = "/inbox/problems/provider-refused-credentials"
	typeConnection   = "/inbox/problems/connection-test-failed"
	typeSyncFailed   = "/inbox/problems/sync-failed"
)

// errForbidden marks a request the principal's role does not allow.
var errForbidden = errors.New("forbidden")

// errTooLarge marks a request body, or a file in it, over its limit.
var errTooLarge = errors.New("too large")

// tooLarge is the error of a field over its size limit: a 413 naming the
// field.
func tooLarge(field, reason string) error {
	return fmt.Errorf("%w: %w", errTooLarge, inbox.Invalid(field, reason))
}

// errBodyTimeout marks a request whose body stopped arriving before the
// connection's read deadline.
var errBodyTimeout = errors.New("the request body stopped arriving before the deadline")

// bodyReadError turns a failed body read into errBodyTimeout when the
// deadline passed, else returns fallback.
func bodyReadError(err, fallback error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errBodyTimeout
	}
	return fallback
}

// writeProblem answers with a problem document.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// problemFor maps an error to a problem: field errors and the inbox
// sentinels get their status; anything else is a 500 whose detail is not
// shown (it could name internals), only logged.
func problemFor(err error, log *slog.Logger) Problem {
	var fe *inbox.FieldError
	var ct *inbox.ConnectionTestError
	switch {
	case errors.As(err, &ct):
		// The reason in plain words: the admin fixes the settings, or
		// saves the integration disabled (?test=false).
		return Problem{Type: typeConnection, Title: "The connection test failed", Status: http.StatusUnprocessableEntity,
			Detail: ct.Plain}
	case errors.Is(err, errTooLarge) && errors.As(err, &fe):
		return Problem{Type: typeTooLarge, Title: "Request too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fe.Error(), Errors: []FieldProblem{{Field: fe.Field, Reason: fe.Reason}}}
	case errors.As(err, &fe):
		return Problem{Type: typeInvalid, Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: fe.Error(), Errors: []FieldProblem{{Field: fe.Field, Reason: fe.Reason}}}
	case errors.Is(err, inbox.ErrInvalid):
		return Problem{Type: typeInvalid, Title: "Invalid request", Status: http.StatusBadRequest, Detail: err.Error()}
	case errors.Is(err, inbox.ErrNotFound):
		return Problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, inbox.ErrConflict):
		return Problem{Type: typeConflict, Title: "Conflict", Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, inbox.ErrUnauthorized):
		return Problem{Type: typeUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: err.Error()}
	case errors.Is(err, errBodyTimeout):
		return Problem{Type: typeTimeout, Title: "Request timeout", Status: http.StatusRequestTimeout, Detail: err.Error()}
	case errors.Is(err, errForbidden):
		return Problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden, Detail: err.Error()}
	case errors.Is(err, inbox.ErrUnsupported):
		return Problem{Type: typeUnsupported, Title: "Not supported", Status: http.StatusNotImplemented, Detail: err.Error()}
	case errors.Is(err, inbox.ErrTemporary):
		return Problem{Type: typeUnavailable, Title: "Temporarily unavailable", Status: http.StatusServiceUnavailable, Detail: err.Error()}
	}
	if log != nil {
		log.Error("api: internal error", "err", err)
	}
	return Problem{Type: typeInternal, Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "the server could not complete the request; the error was logged"}
}

// fail writes the problem for err.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, r, problemFor(err, s.log))
}

// rateLimited answers 429 with Retry-After.
func rateLimited(w http.ResponseWriter, r *http.Request, seconds int) {
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	writeProblem(w, r, Problem{Type: typeRateLimited, Title: "Too many attempts", Status: http.StatusTooManyRequests,
		Detail: "too many failed logins; retry after " + strconv.Itoa(seconds) + " seconds"})
}

// tooMany answers 429 with Retry-After (at least a second) and why.
func tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, why string) {
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	writeProblem(w, r, Problem{Type: typeRateLimited, Title: "Too many requests", Status: http.StatusTooManyRequests,
		Detail: fmt.Sprintf("%s (retry after %d s)", why, seconds)})
}
