package httpintake

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeySet(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var s KeySet

	seen, err := s.Seen(ctx, "k", t0)
	require.NoError(t, err)
	require.False(t, seen, "unknown key")

	require.NoError(t, s.Remember(ctx, "k", t0.Add(time.Hour)))
	require.NoError(t, s.Remember(ctx, "k", t0.Add(time.Minute)), "an earlier expiry does not shorten the window")
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t0, true},
		{t0.Add(59 * time.Minute), true},
		{t0.Add(time.Hour), false},
	} {
		seen, err := s.Seen(ctx, "k", tc.at)
		require.NoError(t, err)
		require.Equal(t, tc.want, seen, tc.at)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Seen(cancelled, "k", t0)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, s.Remember(cancelled, "k", t0), context.Canceled)
}

func TestKeySetSweepsExpiredKeys(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var s KeySet
	for i := range sweepEvery - 1 {
		require.NoError(t, s.Remember(ctx, fmt.Sprint("old", i), t0.Add(time.Minute)))
	}
	_, err := s.Seen(ctx, "x", t0.Add(time.Hour))
	require.NoError(t, err)
	require.NoError(t, s.Remember(ctx, "new", t0.Add(2*time.Hour)))
	require.Equal(t, 1, s.Len())
}

func TestCheckReplay(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var s KeySet
	replayed := errors.New("replayed")
	require.NoError(t, CheckReplay(ctx, &s, "k", t0, func() error { return replayed }))
	require.NoError(t, s.Remember(ctx, "k", t0.Add(time.Hour)))
	require.ErrorIs(t, CheckReplay(ctx, &s, "k", t0, func() error { return replayed }), replayed)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, CheckReplay(cancelled, &s, "k", t0, func() error { return replayed }), context.Canceled)
}
