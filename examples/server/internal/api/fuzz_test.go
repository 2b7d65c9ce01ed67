package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// FuzzConversationQuery parses arbitrary list query strings: the answer
// is a valid query or a field error, never a panic.
func FuzzConversationQuery(f *testing.F) {
	for _, s := range []string{"", "folder=-&status=new,urgent&source=sms&assignee=me&unread=1&sort=priority&limit=50",
		"q=%C3%A9l%C3%A9onore&since=2026-11-01&until=2026-11-25T10:00:00Z", "limit=-1", "sort=random", "status=closed", "unread=maybe", "q=%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := url.ParseQuery(raw); err != nil {
			return
		}
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/inbox/conversations", RawQuery: raw}}
		q, err := parseConversationQuery(r, auth.Principal{Actor: "claire"})
		if err != nil {
			var fe *inbox.FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > 200 {
			t.Fatalf("limit %d out of range", q.Limit)
		}
		for _, s := range q.Statuses {
			if !s.Valid() {
				t.Fatalf("invalid status %q accepted", s)
			}
		}
	})
}

// FuzzDecode sends arbitrary bodies to the JSON decoder used by every
// route: errors are field errors, never panics.
func FuzzDecode(f *testing.F) {
	f.Add(`{"status":"open","version":3}`)
	f.Add(`{"status":3}`)
	f.Add(`{"status":"open"} {"x":1}`)
	f.Add(`{"colour":"red"}`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, body string) {
		var v struct {
			Status  inbox.Status `json:"status"`
			Version int64        `json:"version"`
			Tags    []string     `json:"tags"`
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if err := decode(w, r, &v); err != nil {
			var fe *inbox.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("not a field error: %v", err)
			}
		}
	})
}
