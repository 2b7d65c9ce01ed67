package loadgen_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/inboxkit/inboxkit/internal/loadgen"
)

func ExampleRun() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	res, err := loadgen.Run(context.Background(), loadgen.Options{
		Requests: 100,
		Rate:     1000, // open loop: one request every millisecond
		NewRequest: func(i int) (*http.Request, error) {
			return http.NewRequest(http.MethodPost, srv.URL, nil)
		},
	})
	fmt.Println(res.OK(), err)
	// Output: 100 <nil>
}
