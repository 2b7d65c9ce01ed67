package api_test

import (
	"fmt"
	"io"
	"net/http/httptest"

	"github.com/inboxkit/inboxkit/examples/server/internal/api"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func Example() {
	eng, _ := inbox.New(inbox.Options{Store: memstore.New()})
	dir, _ := auth.OpenDirectory(auth.DirectoryOptions{})
	srv, err := api.New(api.Options{Engine: eng, Auth: &auth.Authenticator{Dir: dir, Sessions: auth.NewSessions(0, nil)}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/inbox/conversations", nil))
	body, _ := io.ReadAll(rec.Body)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(string(body))
	// Output:
	// 401 application/problem+json
	// {"type":"/inbox/problems/unauthorized","title":"Unauthorized","status":401,"detail":"not logged in: unauthorized","instance":"/inbox/conversations"}
}
