package inbox

import "time"

// Clock tells the time. Tests inject a fake one so the two-minute
// anti-loop rule and follow-ups can be exercised without waiting.
type Clock interface {
	Now() time.Time
}

// TickerClock is an optional Clock capability: tickers and timers that
// follow the clock. The engine's loops (Run, RunOutbox, lease renewal)
// wait on them, so a fake clock (inboxtest.Clock) drives the loops and a
// test advances time instead of sleeping. A Clock without it drives the
// time rules only; the loops then wait on the system's timers.
type TickerClock interface {
	Clock
	NewTicker(d time.Duration) Ticker
	NewTimer(d time.Duration) Timer
}

// Ticker delivers the time on C every period, like time.Ticker.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Timer delivers the time on C once, like time.Timer.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTicker returns a time.Ticker.
func (SystemClock) NewTicker(d time.Duration) Ticker { return systemTicker{time.NewTicker(d)} }

// NewTimer returns a time.Timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

var _ TickerClock = SystemClock{}

type systemTicker struct{ t *time.Ticker }

func (t systemTicker) C() <-chan time.Time { return t.t.C }
func (t systemTicker) Stop()               { t.t.Stop() }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }

// newTicker is a ticker of the engine's clock when it has them, else of
// the system.
func (e *Engine) newTicker(d time.Duration) Ticker {
	if tc, ok := e.clock.(TickerClock); ok {
		return tc.NewTicker(d)
	}
	return SystemClock{}.NewTicker(d)
}

// newTimer is newTicker for timers.
func (e *Engine) newTimer(d time.Duration) Timer {
	if tc, ok := e.clock.(TickerClock); ok {
		return tc.NewTimer(d)
	}
	return SystemClock{}.NewTimer(d)
}
