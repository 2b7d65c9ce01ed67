package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPreviewGate(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	g := newPreviewGate(PreviewLimits{PerTenant: 2, Total: 3, PerMinute: 6, Burst: 3})
	g.now = func() time.Time { return now }

	a, _, _ := g.admit("acme")
	b, _, _ := g.admit("acme")
	require.NotNil(t, a)
	require.NotNil(t, b)
	done, wait, why := g.admit("acme")
	require.Nil(t, done, "two previews of the tenant run")
	require.Equal(t, time.Second, wait)
	require.Contains(t, why, "running already")
	other, _, _ := g.admit("autre")
	require.NotNil(t, other, "another tenant is not held up")
	done, _, why = g.admit("third")
	require.Nil(t, done, "three run on the server")
	require.Contains(t, why, "the server")

	a()
	a() // once
	done, _, _ = g.admit("acme")
	require.NotNil(t, done, "the third of the burst")
	done()
	b()
	done, wait, why = g.admit("acme")
	require.Nil(t, done, "the burst is spent")
	require.Equal(t, 10*time.Second, wait, "6 per minute: one every 10 s")
	require.Contains(t, why, "6 rule previews per minute")
	now = now.Add(10 * time.Second)
	done, _, _ = g.admit("acme")
	require.NotNil(t, done)
}
