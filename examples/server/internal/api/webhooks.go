package api

import (
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// bodyTypes refuses, with 415, a webhook request whose body is not of one
// of the media types the provider sends, before the receiver resolves,
// verifies or parses it. JSON webhooks take application/json only: a
// text/plain or form body is what a cross-site page can post without a
// preflight, and no provider sends one. A request without a body (the
// SMS webhook's GET) passes.
func bodyTypes(h http.Handler, types ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || !slices.Contains(types, mt) {
			w.Header().Set("Accept-Post", strings.Join(types, ", "))
			httpintake.WriteReply(w, http.StatusUnsupportedMediaType, httpintake.Reply{Error: "unsupported_media_type",
				Reason: "the body must be " + strings.Join(types, " or ")})
			return
		}
		h.ServeHTTP(w, r)
	})
}
