package httpintake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name    string
		method  string
		resolve error
		handle  error
		status  int
		want    Reply
		allow   string
		logged  string
	}{
		{name: "stored", method: "POST", status: 200, want: Reply{Status: "stored", MessageID: "m1"}},
		{name: "other method", method: "PUT", status: 405, allow: "GET, POST", want: Reply{Error: "method_not_allowed", Reason: "use GET or POST"}},
		{name: "unknown integration", method: "GET", resolve: inbox.ErrNotFound, status: 404, want: Reply{Error: "not_found", Reason: "unknown integration or tenant"}, logged: "test webhook refused"},
		{name: "replay", method: "POST", handle: &testRefusal{CodeReplay, "seen"}, status: 200, want: Reply{Status: "duplicate", Reason: "already accepted"}},
		{name: "bad signature", method: "POST", handle: &testRefusal{"bad_signature", "no match"}, status: 401, want: Reply{Error: "bad_signature", Reason: "no match"}, logged: "integration=int-1"},
		{name: "store failure", method: "POST", handle: errors.New("disk full"), status: 500, want: Reply{Error: "internal", Reason: "the message could not be stored, retry later"}, logged: "test webhook failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			ep := &Endpoint[string]{
				What: "test webhook", Methods: []string{http.MethodGet, http.MethodPost}, ReplayReason: "already accepted",
				Log: slog.New(slog.NewTextHandler(&logs, nil)),
				Resolve: func(context.Context, *http.Request) (string, error) {
					return "int-1", tc.resolve
				},
				Scope: func(id string) Scope { return Scope{Tenant: "t1", IntegrationID: id} },
				Handle: func(_ context.Context, _ http.ResponseWriter, _ *http.Request, id string, _ *slog.Logger) (Reply, error) {
					require.Equal(t, "int-1", id)
					if tc.handle != nil {
						return Reply{}, tc.handle
					}
					return Reply{Status: "stored", MessageID: "m1"}, nil
				},
				Refusal: testRefusalOf,
			}
			rec := httptest.NewRecorder()
			ep.ServeHTTP(rec, httptest.NewRequest(tc.method, "/hook", nil))
			require.Equal(t, tc.status, rec.Code)
			require.Equal(t, tc.allow, rec.Header().Get("Allow"))
			var got Reply
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			require.Equal(t, tc.want, got)
			require.Contains(t, logs.String(), tc.logged)
		})
	}
}

func TestCheckSetup(t *testing.T) {
	eng, err := inbox.New(inbox.Options{Store: memstore.New()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	require.NoError(t, CheckSetup("x: new receiver", eng, true, "Options", false))
	for _, tc := range []struct {
		name     string
		eng      *inbox.Engine
		resolver bool
		negative bool
		field    string
	}{
		{"no engine", nil, true, false, "engine"},
		{"no resolver", eng, false, false, "Options.Resolve"},
		{"negative limit", eng, true, true, "Options"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSetup("x: new receiver", tc.eng, tc.resolver, "Options", tc.negative)
			require.ErrorIs(t, err, inbox.ErrInvalid)
			var fe *inbox.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field)
			require.Contains(t, err.Error(), "x: new receiver: ")
		})
	}
}
