package sqlstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Waiting foreground writes go before waiting background ones, each in
// arrival order, and background work still gets a turn in every burst.
func TestWriteGateLetsForegroundFirst(t *testing.T) {
	ctx := context.Background()
	var g writeGate
	require.NoError(t, g.acquire(ctx, false))

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	queuedNames := []struct {
		name       string
		background bool
	}{{"bg1", true}, {"fg1", false}, {"bg2", true}, {"fg2", false}}
	for i, q := range queuedNames {
		wg.Go(func() {
			require.NoError(t, g.acquire(ctx, q.background))
			mu.Lock()
			order = append(order, q.name)
			mu.Unlock()
			g.release()
		})
		require.Eventually(t, func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			return len(g.fg)+len(g.bg) == i+1
		}, time.Second, time.Millisecond)
	}
	g.release()
	wg.Wait()
	require.Equal(t, []string{"fg1", "fg2", "bg1", "bg2"}, order)
}

// A waiter that gives up leaves the queue, and one granted as it gave up
// passes the gate on.
func TestWriteGateWaiterGivesUp(t *testing.T) {
	var g writeGate
	require.NoError(t, g.acquire(context.Background(), true))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- g.acquire(ctx, false) }()
	require.Eventually(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.fg) == 1 }, time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	g.release()
	require.NoError(t, g.acquire(context.Background(), true), "the gate is free again")
	g.release()
}

// Background work is not starved by a stream of foreground writes.
func TestWriteGateBackgroundProgresses(t *testing.T) {
	var g writeGate
	g.held = true
	bg := make(chan struct{})
	g.bg = append(g.bg, bg)
	for range fgBurst + 2 {
		g.fg = append(g.fg, make(chan struct{}))
	}
	for range fgBurst {
		g.release()
	}
	select {
	case <-bg:
		t.Fatal("background granted before a burst of foreground writes")
	default:
	}
	g.release()
	select {
	case <-bg:
	default:
		t.Fatal("background waited more than a burst")
	}
}
