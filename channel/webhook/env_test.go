package webhook

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/inboxkit/inboxkit/internal/httpintake/intaketest"
)

// testEnv is an engine over memstore with an in-memory blob store.
type testEnv = intaketest.Env

const testTenant = intaketest.Tenant

func newTestEnv(t *testing.T, now time.Time) *testEnv { return intaketest.NewEnv(t, now) }

// decodeReply reads a webhook JSON answer.
func decodeReply(t *testing.T, rec *httptest.ResponseRecorder) reply {
	return intaketest.DecodeReply(t, rec)
}

// expectedStatus is the HTTP status a refused vector must get.
// invalid_secret is a configuration error: 500, so the sender retries
// once it is fixed.
func expectedStatus(class string) int {
	switch class {
	case "empty_body":
		return 400
	case "body_too_large":
		return 413
	case "replay":
		return 200
	case "invalid_secret":
		return 500
	}
	return 401
}
