package httpintake_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// An adapter maps its errors to an answer through Classify.
func Example() {
	noRefusal := func(error) (httpintake.Refusal, bool) { return httpintake.Refusal{}, false }
	status, body := httpintake.Classify(fmt.Errorf("resolve: %w", inbox.ErrNotFound), noRefusal)
	fmt.Println(status, body.Error)

	rec := httptest.NewRecorder()
	httpintake.WriteReply(rec, 200, httpintake.Reply{Status: "stored", MessageID: "m1"})
	fmt.Print(rec.Body.String())
	// Output:
	// 404 not_found
	// {"status":"stored","message_id":"m1"}
}
