package vonage

import (
	"context"
	"errors"
	"net/http"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake"
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
type reply = httpintake.Reply

// readBody reads r's body, refusing more than max bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	return httpintake.ReadBody(w, r, max, func(reason string) error { return verifyErr(CodeBodyTooLarge, reason) })
}

// refusalOf exposes a *VerifyError to httpintake's status mapping.
func refusalOf(err error) (httpintake.Refusal, bool) {
	var ve *VerifyError
	if errors.As(err, &ve) {
		return httpintake.Refusal{Code: string(ve.Code), Reason: ve.Reason}, true
	}
	return httpintake.Refusal{}, false
}

// scopeOf names a target's tenant and integration for logs.
func scopeOf(t Target) httpintake.Scope {
	return httpintake.Scope{Tenant: t.Tenant, IntegrationID: t.Integration.ID}
}
