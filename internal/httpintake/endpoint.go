package httpintake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// Scope is what a webhook request is for, as logged with every line about
// it.
type Scope struct {
	Tenant        inbox.TenantID
	IntegrationID string
}

// Endpoint is the frame every webhook receiver runs a request through:
// refuse other methods with 405, resolve the integration, run Handle, and
// answer. A replayed request (a refusal with CodeReplay) is answered 200
// "duplicate", so the provider stops retrying; other errors go through
// Fail. Every field is required except Log (nil: discard).
type Endpoint[T any] struct {
	// What names the webhook in logs ("custom webhook").
	What string
	// Methods are the accepted HTTP methods, in the order the 405 answer
	// names them.
	Methods []string
	// ReplayReason is the reason of the 200 answer to a replay.
	ReplayReason string
	// Log receives a line for every refused or failed request.
	Log *slog.Logger
	// Resolve finds the request's target; its error is answered as is
	// (404 for inbox.ErrNotFound).
	Resolve func(ctx context.Context, r *http.Request) (T, error)
	// Scope tells which tenant and integration a target is.
	Scope func(t T) Scope
	// Handle verifies and processes the request for its target, returning
	// the 200 answer once the effect is durable.
	Handle func(ctx context.Context, w http.ResponseWriter, r *http.Request, t T, log *slog.Logger) (Reply, error)
	// Refusal extracts the adapter's verification refusals.
	Refusal RefusalOf
	// Channel labels the webhook in metrics ("sms", "whatsapp",
	// "webhook").
	Channel string
	// Metrics counts refused requests as
	// webhook_rejected_total{channel,reason}, the reason being the
	// refusal's code or unknown_integration. Nil: not counted.
	Metrics inbox.Metrics
}

// reject counts a refused request.
func (e *Endpoint[T]) reject(reason string) {
	if e.Metrics != nil {
		e.Metrics.Add("webhook_rejected_total", 1, "channel", e.Channel, "reason", reason)
	}
}

// rejected counts err when it is a verification refusal.
func (e *Endpoint[T]) rejected(err error) {
	if ref, ok := e.Refusal(err); ok {
		e.reject(ref.Code)
	}
}

var _ http.Handler = (*Endpoint[struct{}])(nil)

// ServeHTTP implements http.Handler.
func (e *Endpoint[T]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := e.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !slices.Contains(e.Methods, r.Method) {
		w.Header().Set("Allow", strings.Join(e.Methods, ", "))
		WriteReply(w, http.StatusMethodNotAllowed, Reply{Error: "method_not_allowed", Reason: "use " + strings.Join(e.Methods, " or ")})
		return
	}
	target, err := e.Resolve(ctx, r)
	if err != nil {
		if errors.Is(err, inbox.ErrNotFound) {
			e.reject("unknown_integration")
		} else {
			e.rejected(err)
		}
		Fail(w, log, e.What, err, e.Refusal)
		return
	}
	scope := e.Scope(target)
	log = log.With("tenant", string(scope.Tenant), "integration", scope.IntegrationID)
	res, err := e.Handle(ctx, w, r, target, log)
	if err != nil {
		e.rejected(err)
		if ref, ok := e.Refusal(err); ok && ref.Code == CodeReplay {
			WriteReply(w, http.StatusOK, Reply{Status: string(inbox.IngestDuplicate), Reason: e.ReplayReason})
			return
		}
		Fail(w, log, e.What, err, e.Refusal)
		return
	}
	WriteReply(w, http.StatusOK, res)
}

// EngineDefaults returns clock and log, each replaced by the engine's own
// when nil.
func EngineDefaults(eng *inbox.Engine, clock inbox.Clock, log *slog.Logger) (inbox.Clock, *slog.Logger) {
	if clock == nil {
		clock = eng.Clock()
	}
	if log == nil {
		log = eng.Logger()
	}
	return clock, log
}

// CheckSetup is the validation every receiver constructor starts with:
// an engine, a resolver, and no negative duration or limit. what prefixes
// the error ("webhook: new receiver"), optsName names the options struct
// ("Options"); negative reports whether any of its durations or limits is
// below zero. Errors wrap inbox.ErrInvalid.
func CheckSetup(what string, eng *inbox.Engine, resolverSet bool, optsName string, negative bool) error {
	switch {
	case eng == nil:
		return fmt.Errorf("%s: %w", what, inbox.Invalid("engine", "is required"))
	case !resolverSet:
		return fmt.Errorf("%s: %w", what, inbox.Invalid(optsName+".Resolve", "is required"))
	case negative:
		return fmt.Errorf("%s: %w", what, inbox.Invalid(optsName, "durations and limits must not be negative"))
	}
	return nil
}
