package sqlstore

import (
	"context"
	"sync"
)

// writeGate admits one write transaction at a time, foreground ones
// (intake, agents) before background ones (driver.IsBackground), each in
// arrival order. database/sql hands a freed connection to a random
// waiter, so without it a webhook's commit on SQLite's single writer
// could wait behind any number of background writes. A background
// waiter is still let through after fgBurst foreground grants in a row,
// so background work always progresses.
type writeGate struct {
	mu     sync.Mutex
	held   bool
	fg, bg []chan struct{}
	streak int // foreground grants in a row while background waits
}

const fgBurst = 8

// acquire waits for the gate; release must be called once it returned
// nil.
func (g *writeGate) acquire(ctx context.Context, background bool) error {
	g.mu.Lock()
	if !g.held && len(g.fg) == 0 && (len(g.bg) == 0 || !background) {
		g.held = true
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if background {
		g.bg = append(g.bg, ch)
	} else {
		g.fg = append(g.fg, ch)
	}
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.remove(ch) {
			return ctx.Err()
		}
		// Granted meanwhile: pass it on.
		g.handOff()
		return ctx.Err()
	}
}

// release passes the gate to the next waiter.
func (g *writeGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOff()
}

// handOff grants the gate to the next waiter, or frees it; g.mu is held.
func (g *writeGate) handOff() {
	var next chan struct{}
	switch {
	case len(g.fg) > 0 && (len(g.bg) == 0 || g.streak < fgBurst):
		next, g.fg = g.fg[0], g.fg[1:]
		if len(g.bg) > 0 {
			g.streak++
		}
	case len(g.bg) > 0:
		next, g.bg = g.bg[0], g.bg[1:]
		g.streak = 0
	default:
		g.held = false
		return
	}
	close(next)
}

// remove drops a waiter that gave up; false if it was already granted.
func (g *writeGate) remove(ch chan struct{}) bool {
	for _, q := range []*[]chan struct{}{&g.fg, &g.bg} {
		for i, c := range *q {
			if c == ch {
				*q = append((*q)[:i], (*q)[i+1:]...)
				return true
			}
		}
	}
	return false
}
