package webhook

import (
	"errors"
	"net/http"

	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// DefaultMaxBodyBytes bounds webhook bodies: larger requests are refused
// with 413 before any signature work.
const DefaultMaxBodyBytes = 1 << 20

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
