package inbox

import "time"

// WorkItem is durable background work: written in the transaction that
// makes it necessary (an intake batch, a folder change), run by the
// engine's worker (Run, or DoWork) with retries and backoff, and removed
// in the transaction that records its effect. A crash at any point thus
// loses no work and repeats none that was committed.
//
// One item exists per Kind and Key: enqueuing work already pending
// replaces its Payload and raises its Generation, so the worker that
// holds the older generation does not delete the newer request.
type WorkItem struct {
	ID       string
	TenantID TenantID
	// Kind names the work ("classify", "autoreply", "link_contact").
	Kind string
	// Key is what the work is about (a conversation or contact id).
	Key string
	// Payload is kind-specific (the message an auto-reply answers).
	Payload string
	// Generation rises each time the item is enqueued again.
	Generation int64
	// Attempts counts failed runs; LastError is the latest failure.
	Attempts  int
	LastError string
	// NotBefore is when the item may run (backoff after a failure).
	NotBefore time.Time
	// ClaimedBy and ClaimedUntil hold the lease of the worker running
	// it; an expired claim is free to take.
	ClaimedBy    string
	ClaimedUntil time.Time
	// Failed items ran out of attempts: kept for inspection, not run.
	Failed    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WorkQuery selects work items.
type WorkQuery struct {
	// DueAt, when set, keeps items that may run at that instant: not
	// failed, NotBefore reached, and unclaimed or with an expired claim.
	DueAt time.Time
	Kind  string
	Key   string
	// Failed keeps only failed items.
	Failed bool
	Limit  int // 0 means 100
}

// Work item kinds run by the engine.
const (
	WorkClassify    = "classify"
	WorkAutoReply   = "autoreply"
	WorkLinkContact = "link_contact"
)
