package demo

import (
	"sync/atomic"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Clock is the engine clock of a demo server: the system clock, except
// while Seed replays the demo's history, when it reads the time of the
// message or action being recorded. Response times, resolution times and
// the volume chart of the demo then look like a real week of work instead
// of a burst at start-up.
type Clock struct {
	at atomic.Pointer[time.Time]
}

var _ inbox.Clock = (*Clock)(nil)

// Now returns the replayed time while seeding, else the system time.
func (c *Clock) Now() time.Time {
	if t := c.at.Load(); t != nil {
		return *t
	}
	return time.Now()
}

// set pins the clock; the zero time releases it.
func (c *Clock) set(t time.Time) {
	if c == nil {
		return
	}
	if t.IsZero() {
		c.at.Store(nil)
		return
	}
	c.at.Store(&t)
}
