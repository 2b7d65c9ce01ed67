package classify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// AsyncOptions configure Async. Only OnReady is required.
type AsyncOptions struct {
	// OnReady is called (on a background goroutine) when a background
	// classification has a decision or an error, so the host asks the
	// engine to classify the conversation again, which picks the result
	// up: typically
	//
	//	func(t inbox.TenantID, id string) { eng.Classify(ctx, t, id) }
	OnReady func(tenant inbox.TenantID, conversationID string)
	// Concurrency bounds background classifications running at once. When
	// all slots are busy the wrapper abstains at once ("busy"); the
	// engine's reclassification of unfiled conversations tries again
	// later. 0 means 4.
	Concurrency int
	// Timeout bounds one background classification. 0 means one minute.
	Timeout time.Duration
	// ResultTTL is how long a finished result waits to be picked up. 0
	// means 10 minutes.
	ResultTTL time.Duration
	// MaxResults bounds the results waiting to be picked up; the oldest
	// are dropped beyond it. 0 means 10,000.
	MaxResults int
	// Clock tells the time. Nil: the system clock.
	Clock inbox.Clock
	// Logger receives background failures. Nil discards logs.
	Logger *slog.Logger
}

// AsyncClassifier runs a slow classifier (an AI) in the background so it
// never blocks ingest. The first Classify of a message starts the work and
// abstains ("pending"), letting the rest of the chain decide for now; when
// the result is ready OnReady asks for a new classification, and the next
// Classify of the same message returns it. Close stops background work.
type AsyncClassifier struct {
	next  inbox.Classifier
	opts  AsyncOptions
	log   *slog.Logger
	clock inbox.Clock
	slots chan struct{}

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[asyncKey]bool
	results map[asyncKey]asyncResult
	order   []asyncKey // results in arrival order, for MaxResults
}

var (
	_ inbox.Classifier = (*AsyncClassifier)(nil)
	_ inbox.Learner    = (*AsyncClassifier)(nil)
)

type asyncKey struct {
	tenant       inbox.TenantID
	conversation string
	message      string
}

type asyncResult struct {
	d   inbox.Decision
	err error
	at  time.Time
}

// Async wraps c. It returns an error wrapping inbox.ErrInvalid when
// OnReady is missing or an option is negative.
func Async(c inbox.Classifier, opts AsyncOptions) (*AsyncClassifier, error) {
	switch {
	case c == nil:
		return nil, fmt.Errorf("classify: async: %w", inbox.Invalid("classifier", "is required"))
	case opts.OnReady == nil:
		return nil, fmt.Errorf("classify: async: %w", inbox.Invalid("AsyncOptions.OnReady", "is required"))
	case opts.Concurrency < 0 || opts.Timeout < 0 || opts.ResultTTL < 0 || opts.MaxResults < 0:
		return nil, fmt.Errorf("classify: async: %w", inbox.Invalid("AsyncOptions", "limits must not be negative"))
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 4
	}
	if opts.Timeout == 0 {
		opts.Timeout = time.Minute
	}
	if opts.ResultTTL == 0 {
		opts.ResultTTL = 10 * time.Minute
	}
	if opts.MaxResults == 0 {
		opts.MaxResults = 10_000
	}
	a := &AsyncClassifier{
		next: c, opts: opts, log: opts.Logger, clock: opts.Clock,
		slots:   make(chan struct{}, opts.Concurrency),
		running: map[asyncKey]bool{}, results: map[asyncKey]asyncResult{},
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.clock == nil {
		a.clock = inbox.SystemClock{}
	}
	a.base, a.cancel = context.WithCancel(context.Background())
	return a, nil
}

// Name is the wrapped classifier's name, if it has one.
func (a *AsyncClassifier) Name() string {
	if n, ok := a.next.(Namer); ok {
		return n.Name()
	}
	return ""
}

// Classify returns the background result for this message if there is
// one, and otherwise starts the work (if a slot is free) and abstains.
func (a *AsyncClassifier) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	key := asyncKey{in.Tenant.ID, in.Conversation.ID, in.Message.ID}
	now := a.clock.Now()
	a.mu.Lock()
	a.expire(now)
	if r, ok := a.results[key]; ok {
		delete(a.results, key)
		a.mu.Unlock()
		return r.d, r.err
	}
	if a.running[key] {
		a.mu.Unlock()
		return inbox.Decision{Reason: "pending in background"}, nil
	}
	select {
	case a.slots <- struct{}{}:
	default:
		a.mu.Unlock()
		return inbox.Decision{Reason: "busy: background capacity reached"}, nil
	}
	if a.base.Err() != nil {
		<-a.slots
		a.mu.Unlock()
		return inbox.Decision{}, fmt.Errorf("classify: async: %w: closed", inbox.ErrUnsupported)
	}
	a.running[key] = true
	a.wg.Add(1)
	a.mu.Unlock()
	go a.run(key, in)
	return inbox.Decision{Reason: "started in background"}, nil
}

func (a *AsyncClassifier) run(key asyncKey, in inbox.ClassifyInput) {
	defer a.wg.Done()
	ctx, cancel := context.WithTimeout(a.base, a.opts.Timeout)
	d, err := safeClassify(ctx, a.next, in)
	cancel()
	<-a.slots
	if err != nil {
		a.log.Warn("classify: background classification failed", "tenant", string(key.tenant), "conversation", key.conversation, "err", err)
	}
	a.mu.Lock()
	delete(a.running, key)
	notify := a.base.Err() == nil && (err != nil || !d.Abstains())
	if notify {
		a.results[key] = asyncResult{d: d, err: err, at: a.clock.Now()}
		a.order = append(a.order, key)
		for len(a.results) > a.opts.MaxResults && len(a.order) > 0 {
			delete(a.results, a.order[0])
			a.order = a.order[1:]
		}
	}
	a.mu.Unlock()
	if notify {
		a.opts.OnReady(key.tenant, key.conversation)
	}
}

// expire drops results nobody picked up in time; a.mu is held.
func (a *AsyncClassifier) expire(now time.Time) {
	for len(a.order) > 0 {
		k := a.order[0]
		r, ok := a.results[k]
		if ok && now.Sub(r.at) < a.opts.ResultTTL {
			return
		}
		if ok {
			delete(a.results, k)
		}
		a.order = a.order[1:]
	}
}

// Learn forwards to the wrapped classifier if it learns.
func (a *AsyncClassifier) Learn(tenant inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	if l, ok := a.next.(inbox.Learner); ok {
		l.Learn(tenant, in, folderID)
	}
}

// Close cancels background classifications and waits for them to stop.
// Later calls to Classify fail.
func (a *AsyncClassifier) Close() error {
	a.cancel()
	a.wg.Wait()
	return nil
}
