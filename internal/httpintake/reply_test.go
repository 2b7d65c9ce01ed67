package httpintake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// testRefusal is an adapter's verification error.
type testRefusal struct{ code, reason string }

func (e *testRefusal) Error() string { return e.code + ": " + e.reason }

func testRefusalOf(err error) (Refusal, bool) {
	var te *testRefusal
	if errors.As(err, &te) {
		return Refusal{Code: te.code, Reason: te.reason}, true
	}
	return Refusal{}, false
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		want   Reply
	}{
		{"bad signature", &testRefusal{"bad_signature", "no signature matches"}, 401, Reply{Error: "bad_signature", Reason: "no signature matches"}},
		{"empty body", fmt.Errorf("read: %w", &testRefusal{CodeEmptyBody, "nothing"}), 400, Reply{Error: CodeEmptyBody, Field: "body", Reason: "nothing"}},
		{"too large", &testRefusal{CodeBodyTooLarge, "big"}, 413, Reply{Error: CodeBodyTooLarge, Reason: "big"}},
		{"invalid secret hides the reason", &testRefusal{CodeInvalidSecret, "secret whsec_x is bad"}, 500, Reply{Error: CodeInvalidSecret, Reason: "the integration's signature settings are invalid"}},
		{"field error", inbox.Invalid("from", "is empty"), 400, Reply{Error: "invalid", Field: "from", Reason: "is empty"}},
		{"not found", fmt.Errorf("integration: %w", inbox.ErrNotFound), 404, Reply{Error: "not_found", Reason: "unknown integration or tenant"}},
		{"unauthorized", inbox.ErrUnauthorized, 401, Reply{Error: "unauthorized", Reason: "request not authorized"}},
		{"invalid", inbox.ErrInvalid, 400, Reply{Error: "invalid", Reason: "the request is invalid"}},
		{"temporary", inbox.ErrTemporary, 503, Reply{Error: "temporary", Reason: "temporary failure, retry later"}},
		{"deadline", context.DeadlineExceeded, 503, Reply{Error: "temporary", Reason: "temporary failure, retry later"}},
		{"other", errors.New("disk on fire"), 500, Reply{Error: "internal", Reason: "the message could not be stored, retry later"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := Classify(tc.err, testRefusalOf)
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.want, body)
		})
	}
}

func TestFailWritesJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	Fail(rec, slog.New(slog.DiscardHandler), "test webhook", errors.New("secret detail"), testRefusalOf)
	require.Equal(t, 500, rec.Code)
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	require.NotContains(t, rec.Body.String(), "secret detail")
	var r Reply
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	require.Equal(t, "internal", r.Error)
}

func TestReadBody(t *testing.T) {
	tooLarge := func(reason string) error { return &testRefusal{CodeBodyTooLarge, reason} }
	for _, tc := range []struct {
		name    string
		body    io.Reader
		length  int64
		want    string
		wantErr string
	}{
		{name: "fits", body: strings.NewReader("hello"), length: 5, want: "hello"},
		{name: "no body", body: nil, want: ""},
		{name: "declared too large", body: strings.NewReader("hello world"), length: 11, wantErr: "body_too_large: the body has 11 bytes, the limit is 8"},
		{name: "streamed too large", body: io.MultiReader(strings.NewReader("hello world")), length: -1, wantErr: "body_too_large: the body exceeds the limit of 8 bytes"},
		{name: "unreadable", body: io.MultiReader(strings.NewReader("hi"), iotestErr{}), length: -1, wantErr: "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hook", tc.body)
			if tc.body == nil {
				r.Body = nil
			}
			r.ContentLength = tc.length
			got, err := ReadBody(httptest.NewRecorder(), r, 8, tooLarge)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
		})
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestSentinel(t *testing.T) {
	require.ErrorIs(t, Sentinel(CodeEmptyBody), inbox.ErrInvalid)
	require.ErrorIs(t, Sentinel(CodeBodyTooLarge), inbox.ErrInvalid)
	require.ErrorIs(t, Sentinel(CodeInvalidSecret), inbox.ErrInvalid)
	require.ErrorIs(t, Sentinel(CodeReplay), inbox.ErrConflict)
	require.ErrorIs(t, Sentinel("bad_signature"), inbox.ErrUnauthorized)
}

func TestIngestReply(t *testing.T) {
	require.Equal(t, Reply{Status: "stored", MessageID: "m1"}, IngestReply(inbox.IngestItem{Status: inbox.IngestStored, MessageID: "m1"}))
}
