package inbox

import "context"

// QueuedIngests reports how many IngestOne requests of tenant wait in its
// group-commit lanes (for tests that need a queue of a known shape).
func QueuedIngests(e *Engine, tenant TenantID) int {
	c := &e.coalesce
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for id, q := range c.queues {
		if id.tenant == tenant {
			n += len(q.waiting)
		}
	}
	return n
}

// ClaimYielding claims up to n due work items of tenant as the Run
// worker does, yielding classification to a busy intake; it returns the
// kinds claimed.
func ClaimYielding(e *Engine, ctx context.Context, tenant TenantID, n int) (kinds []string, yielded bool, err error) {
	t, err := e.tenant(ctx, tenant)
	if err != nil {
		return nil, false, err
	}
	claimed, yielded, err := e.claimWorkYielding(ctx, t, "test", n, true)
	for _, w := range claimed {
		kinds = append(kinds, w.Kind)
	}
	return kinds, yielded, err
}

// SettleIntake makes intake look paused, as it does intakeQuiet after
// the last batch.
func SettleIntake(e *Engine) { e.intake.last.Store(0) }

// The engine's view of package driver's interfaces, for
// TestDriverContractMatchesEngineView.
type (
	StoreAPI           = storeAPI
	StoreTx            = storeTx
	ParallelWriterView = parallelWriter
	LeaserView         = leaser
	StatsTxView        = statsTx
)

// SummarizeDurations is summarizeDurations, for tests.
var SummarizeDurations = summarizeDurations
