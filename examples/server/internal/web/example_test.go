package web_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/inboxkit/inboxkit/examples/server/internal/web"
)

func Example() {
	h := web.Handler()
	for _, path := range []string{"/", "/assets/app.js", "/any/client/route"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code, strings.Split(rec.Header().Get("Content-Type"), ";")[0])
	}
	// Output:
	// / 200 text/html
	// /assets/app.js 200 text/javascript
	// /any/client/route 200 text/html
}
