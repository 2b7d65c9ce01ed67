package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure an Engine. Only Store is required; every other nil
// field gets a safe default, documented on the field.
type Options struct {
	// Store persists everything: memstore.New(), sqlite.Open or
	// postgres.Open (packages under storage/). Required.
	Store Store
	// Blobs keeps attachments and raw messages. Nil: channels that need it
	// report ErrUnsupported.
	Blobs BlobStore
	// Sealer opens integration secrets. Nil: integrations with secrets
	// cannot be opened (ErrUnsupported).
	Sealer Sealer
	// Classifier files new conversations. Nil: conversations stay unfiled.
	Classifier Classifier
	// Responder writes AI replies for folders with auto-reply. Nil:
	// auto-reply is off everywhere.
	Responder Responder
	// Contacts links contacts created from messages to the host CRM's
	// client records. Nil: contacts stay inboxkit's own.
	Contacts ContactDirectory
	// Parsers re-read raw messages when a quarantined message is replayed.
	Parsers map[Source]RawParser
	// Employees checks assignees and mentions. Nil: any non-empty employee
	// id is accepted.
	Employees EmployeeDirectory
	// Channels builds a Channel for an integration of each kind; used by
	// Sync, the outbox and CreateIntegration. The four shipped kinds are
	// registered like a host's own. Nil entries mean the kind cannot sync
	// or send.
	Channels map[Source]ChannelFactory
	// Schemas declares each kind's settings (IntegrationSchema): which
	// are required and which are secrets. A kind without one accepts any
	// setting, secret only when given as a secret.
	Schemas map[Source]IntegrationSchema
	// Clock tells the time. Nil: the system clock.
	Clock Clock
	// Logger receives structured logs. Nil: logs are discarded.
	Logger *slog.Logger
	// OutboxMaxAttempts is how many times a temporarily failing send is
	// tried before the message is marked failed. 0 means 8.
	OutboxMaxAttempts int
	// Instance names this engine in store leases. "" means
	// hostname-pid-random. A stable name per deployment slot (a pod name)
	// lets a restarted process take back the leases its crashed
	// predecessor held instead of waiting for them to expire. Run uses it
	// unless RunOptions.Instance is set.
	Instance string
	// Metrics receives the engine's measurements (see Metrics). Nil:
	// they are only kept as totals (Engine.Counters).
	Metrics Metrics
	// MaxConcurrentWork caps the background items (classification by
	// slow classifiers, auto-reply generation) one tenant runs at once in
	// this instance: model calls wait seconds on the provider, not on
	// this machine, so several overlap. 0 means 8.
	MaxConcurrentWork int
	// EventBuffer is how many events a slow subscriber may lag behind before
	// the oldest are dropped. 0 means 10,000.
	EventBuffer int
}

// Engine is the inbox: it ingests messages from channels, threads and files
// them, and publishes events. It owns every invariant (idempotent ingest,
// atomic cursors, quarantine, threading, tenant isolation, audit); channels
// and stores are thin adapters around it. An Engine is safe for concurrent
// use.
type Engine struct {
	store      storeAPI
	blobs      BlobStore
	sealer     Sealer
	classifier Classifier
	responder  Responder
	employees  EmployeeDirectory
	parsers    map[Source]RawParser
	directory  ContactDirectory
	channels   map[Source]ChannelFactory
	schemas    map[Source]IntegrationSchema
	clock      Clock
	log        *slog.Logger
	bus        *bus

	flight     syncFlight
	outboxWake chan struct{}
	workWake   chan struct{}
	reclass    reclassifyQueue
	coalesce   coalescer
	instance   string
	metrics    *metrics
	// syncInterval is the interval of the running Run (0 before one
	// started), for the next attempt recorded after a failed sync.
	syncInterval      atomic.Int64
	successMu         sync.Mutex
	lastSuccess       map[string]time.Time
	outboxMaxAttempts int
	workPerTenant     int
	intake            intakeGauge // tells background classification to yield
	closeOnce         sync.Once
}

// New validates opts and returns an Engine.
func New(opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("inbox: new engine: %w", Invalid("Options.Store", "is required"))
	}
	if !isDriverStore(opts.Store) {
		return nil, fmt.Errorf("inbox: new engine: %w", Invalid("Options.Store", fmt.Sprintf("%T does not implement driver.Store (package inbox/driver)", opts.Store)))
	}
	if opts.MaxConcurrentWork < 0 {
		return nil, fmt.Errorf("inbox: new engine: %w", Invalid("Options.MaxConcurrentWork", "must not be negative"))
	}
	if opts.EventBuffer < 0 {
		return nil, fmt.Errorf("inbox: new engine: %w", Invalid("Options.EventBuffer", "must not be negative"))
	}
	e := &Engine{
		store:      opts.Store.(storeAPI),
		blobs:      opts.Blobs,
		sealer:     opts.Sealer,
		classifier: opts.Classifier,
		responder:  opts.Responder,
		employees:  opts.Employees,
		parsers:    opts.Parsers,
		directory:  opts.Contacts,
		channels:   opts.Channels,
		schemas:    opts.Schemas,
		clock:      opts.Clock,
		log:        opts.Logger,
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	buf := opts.EventBuffer
	if buf == 0 {
		buf = 10_000
	}
	e.bus = newBus(buf, e.log)
	e.outboxWake = make(chan struct{}, 1)
	e.workWake = make(chan struct{}, 1)
	e.workPerTenant = cmp.Or(opts.MaxConcurrentWork, 8)
	e.reclass.wake = make(chan struct{}, 1)
	e.metrics = newMetrics(opts.Metrics)
	e.coalesce.eng = e
	e.coalesce.lanes = 1
	if pw, ok := opts.Store.(parallelWriter); ok {
		e.coalesce.lanes = max(pw.ParallelWrites(), 1)
	}
	e.instance = opts.Instance
	if e.instance == "" {
		e.instance = defaultInstance()
	}
	e.lastSuccess = map[string]time.Time{}
	e.outboxMaxAttempts = opts.OutboxMaxAttempts
	if e.outboxMaxAttempts <= 0 {
		e.outboxMaxAttempts = DefaultOutboxMaxAttempts
	}
	return e, nil
}

// Blobs returns the engine's blob store (nil if none was configured).
func (e *Engine) Blobs() BlobStore { return e.blobs }

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// Subscribe calls fn for every event published after the call, in order,
// on a goroutine of its own: a slow fn delays only itself. The returned
// function cancels the subscription after delivering what was queued.
// Events of an ingested batch are published once it is stored: a new
// conversation's conversation.created comes before its messages'
// message.received, updates to existing conversations after them.
func (e *Engine) Subscribe(fn func(Event)) (cancel func()) { return e.bus.subscribe(fn) }

// Publish sends events to subscribers. Components built on the engine
// (schedulers, webhook receivers) use it for their own events.
func (e *Engine) Publish(evs ...Event) { e.bus.publish(evs...) }

// Close stops event delivery after draining queued events. It does not
// close the Store, which the host owns.
func (e *Engine) Close() error {
	e.closeOnce.Do(e.bus.close)
	return nil
}

// tenant loads a tenant, mapping absence to a clear ErrNotFound.
func (e *Engine) tenant(ctx context.Context, id TenantID) (Tenant, error) {
	if id == "" {
		return Tenant{}, Invalid("tenant", "is required")
	}
	t, err := e.store.GetTenant(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Tenant{}, &NotFoundError{Entity: "tenant", ID: string(id)}
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("tenant %q: %w", id, err)
	}
	return t, nil
}
