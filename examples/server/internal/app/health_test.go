package app_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadinessEndsWithTheDrain: /readyz answers 200 until the server
// starts shutting down, then 503 with the reason, while /healthz still
// answers: the process is alive, it only wants no new traffic.
func TestReadinessEndsWithTheDrain(t *testing.T) {
	a, ts := newServer(t)
	get := func(path string) (int, string) {
		res, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	code, body := get("/readyz")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ready\n", body)

	a.Drain()
	code, body = get("/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "shutting down\n", body)
	code, _ = get("/healthz")
	require.Equal(t, http.StatusOK, code)
}
