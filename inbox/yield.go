package inbox

import (
	"sync/atomic"
	"time"
)

// Classification yields to intake: on a two-core machine the offline
// labellers cost about as much CPU per message as storing it, so
// background classification that ran beside a mailbox's first sync or a
// burst of webhooks would slow both. While a mailbox syncs, or messages
// keep arriving, the worker runs every other kind of work (auto-replies
// wait on the network, not the CPU) and leaves classification items
// until intake pauses: always until a sync ends (a sync ends, and a
// first sync of a full mailbox is done sooner with the CPU to itself),
// and at most classifyYieldMax behind other intake, so under webhooks
// that never pause labels lag by at most that much.
const (
	// intakeQuiet is how long after the last batch intake counts as
	// paused (a sync's next batch follows its previous one within it).
	intakeQuiet = 250 * time.Millisecond
	// classifyYieldMax bounds how long a classification item yields.
	classifyYieldMax = 10 * time.Second
)

// intakeGauge tells background work whether messages are arriving. It
// reads wall time, not the engine's clock: it measures this process's
// activity, not the business time of messages.
type intakeGauge struct {
	active atomic.Int64
	syncs  atomic.Int64 // syncs running
	last   atomic.Int64 // wall time of the last end, Unix nanoseconds
}

// begin marks intake work that lasts until the returned func runs.
func (g *intakeGauge) begin() (end func()) {
	g.active.Add(1)
	return func() {
		g.last.Store(time.Now().UnixNano())
		g.active.Add(-1)
	}
}

// beginSync marks a mailbox sync that lasts until the returned func runs.
func (g *intakeGauge) beginSync() (end func()) {
	g.syncs.Add(1)
	endIntake := g.begin()
	return func() {
		endIntake()
		g.syncs.Add(-1)
	}
}

// syncing reports whether a sync is running.
func (g *intakeGauge) syncing() bool {
	return g.syncs.Load() > 0
}

// busy reports whether intake is running or ended within intakeQuiet.
func (g *intakeGauge) busy() bool {
	return g.active.Load() > 0 || time.Now().UnixNano()-g.last.Load() < int64(intakeQuiet)
}

// yields reports whether item w waits for intake to pause.
func (e *Engine) yields(w WorkItem, now time.Time) bool {
	return w.Kind == WorkClassify && (e.intake.syncing() || now.Sub(w.CreatedAt) < classifyYieldMax && e.intake.busy())
}
