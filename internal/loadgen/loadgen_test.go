package loadgen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/internal/loadgen"
)

func TestRunCountsEveryAnswer(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	for _, rate := range []float64{0, 2000} {
		hits.Store(0)
		res, err := loadgen.Run(context.Background(), loadgen.Options{
			Requests: 200, Workers: 4, Rate: rate,
			NewRequest: func(i int) (*http.Request, error) { return http.NewRequest(http.MethodGet, srv.URL, nil) },
		})
		require.NoError(t, err)
		require.Equal(t, 200, res.Requests)
		require.Equal(t, 180, res.OK())
		require.Equal(t, 20, res.Statuses[http.StatusServiceUnavailable])
		require.LessOrEqual(t, res.P50, res.P99)
		require.LessOrEqual(t, res.P99, res.Max)
		require.Positive(t, res.Throughput)
	}
}

func TestRunValidates(t *testing.T) {
	_, err := loadgen.Run(context.Background(), loadgen.Options{})
	require.Error(t, err)
	_, err = loadgen.Run(context.Background(), loadgen.Options{Requests: 1})
	require.Error(t, err)
}

func TestRunStopsWithContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := loadgen.Run(ctx, loadgen.Options{Requests: 1000, Rate: 10,
		NewRequest: func(int) (*http.Request, error) { return http.NewRequest(http.MethodGet, srv.URL, nil) }})
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, res.Requests, 1000)
}
