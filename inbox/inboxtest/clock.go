package inboxtest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Clock is a fake inbox.TickerClock. Time stands still until Advance or
// Set moves it; tickers and timers made from it fire as it passes their
// deadlines, so the engine's loops (Run, RunOutbox) run when a test says
// so. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter
	changed chan struct{} // closed when waiters change
}

var _ inbox.TickerClock = (*Clock)(nil)

// Epoch is the time a Clock starts at unless told otherwise: a Monday
// morning, UTC.
var Epoch = time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)

// NewClock returns a clock reading start (Epoch when zero).
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = Epoch
	}
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d, firing every ticker and timer
// whose deadline it passes, in deadline order.
func (c *Clock) Advance(d time.Duration) {
	c.Set(c.Now().Add(d))
}

// Tick is Advance that then waits until every ticker and timer it fired
// has been received: the loops they drive have started their next round.
// Two Ticks in a row thus guarantee that a loop ticking at most every d
// finished a whole round in between. It returns ctx's error if ctx ends
// first.
func (c *Clock) Tick(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	before := c.now
	c.mu.Unlock()
	fired := c.fire(before.Add(d))
	for _, ch := range fired {
		for len(ch) > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Microsecond):
			}
		}
	}
	return nil
}

// Set moves the clock to t (never backwards), firing what falls due.
func (c *Clock) Set(t time.Time) { c.fire(t) }

// fire moves the clock to t and returns the channels it sent to.
func (c *Clock) fire(t time.Time) (fired []chan time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		return nil
	}
	for {
		sort.Slice(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
		if len(c.waiters) == 0 || c.waiters[0].at.After(t) {
			break
		}
		w := c.waiters[0]
		c.now = w.at
		select {
		case w.ch <- w.at:
			fired = append(fired, w.ch)
		default: // like time.Ticker: a slow reader misses ticks
		}
		if w.period > 0 {
			w.at = w.at.Add(w.period)
		} else {
			c.remove(w)
		}
	}
	c.now = t
	return fired
}

// Waiters returns how many tickers and timers wait on the clock.
func (c *Clock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// BlockUntil waits until at least n tickers and timers wait on the clock,
// so a test advances time only once the loops it drives are waiting. It
// returns ctx's error if ctx ends first.
func (c *Clock) BlockUntil(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if len(c.waiters) >= n {
			c.mu.Unlock()
			return nil
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// NewTicker returns a ticker firing every d of the clock's time.
func (c *Clock) NewTicker(d time.Duration) inbox.Ticker {
	if d <= 0 {
		panic("inboxtest: non-positive ticker period")
	}
	return ticker{c.add(d, d)}
}

// ticker is a waiter with a period; its Stop reports nothing.
type ticker struct{ w *waiter }

func (t ticker) C() <-chan time.Time { return t.w.ch }
func (t ticker) Stop()               { t.w.Stop() }

// NewTimer returns a timer firing once d of the clock's time has passed.
func (c *Clock) NewTimer(d time.Duration) inbox.Timer {
	w := c.add(d, 0)
	if d <= 0 {
		c.Advance(0)
	}
	return w
}

func (c *Clock) add(d, period time.Duration) *waiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &waiter{c: c, at: c.now.Add(d), period: period, ch: make(chan time.Time, 1)}
	c.waiters = append(c.waiters, w)
	c.notify()
	return w
}

// remove drops w; the caller holds c.mu.
func (c *Clock) remove(w *waiter) bool {
	for i, o := range c.waiters {
		if o == w {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			c.notify()
			return true
		}
	}
	return false
}

func (c *Clock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waiter is a ticker (period > 0) or a timer.
type waiter struct {
	c      *Clock
	at     time.Time
	period time.Duration
	ch     chan time.Time
}

func (w *waiter) C() <-chan time.Time { return w.ch }

// Stop stops the ticker or timer; for a timer it reports whether it was
// still waiting.
func (w *waiter) Stop() bool {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.remove(w)
}
