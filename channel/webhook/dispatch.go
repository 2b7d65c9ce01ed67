package webhook

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// Endpoint is a URL of the host's (or a tenant's) that receives events.
type Endpoint struct {
	ID  string
	URL string
	// Secrets sign every request; during a rotation several are active
	// and the request carries one signature per secret.
	Secrets []Secret
	// Events selects the event types sent; empty means all.
	Events []inbox.EventType
}

func (e Endpoint) wants(t inbox.EventType) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, w := range e.Events {
		if w == t {
			return true
		}
	}
	return false
}

// EndpointSource lists the endpoints an event of tenant goes to.
type EndpointSource func(ctx context.Context, tenant inbox.TenantID) ([]Endpoint, error)

// EventPayload is the JSON body of an outgoing event webhook.
type EventPayload struct {
	// Type is the event type ("message.received", "conversation.updated",
	// "draft.ready"...).
	Type      inbox.EventType `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	// Data is the event itself: ids of the records concerned, never
	// message content.
	Data inbox.Event `json:"data"`
}

// DispatcherOptions configure a Dispatcher. Only Endpoints is required.
type DispatcherOptions struct {
	// Endpoints lists where each tenant's events go. Required.
	Endpoints EndpointSource
	// Client sends the requests. Nil: a client with a 10-second timeout.
	Client *http.Client
	// Log records every attempt. Nil: a MemoryDeliveryLog of 10,000
	// entries.
	Log DeliveryLog
	// MaxAttempts bounds the attempts per event and endpoint. 0: 8.
	MaxAttempts int
	// Backoff is the delay before attempt n+1 after attempt n failed.
	// Nil: exponential from 5 seconds, doubling up to 1 hour, with ±20%
	// jitter (8 attempts span about 10 minutes).
	Backoff func(attempt int) time.Duration
	// Workers is how many requests are in flight at once. 0: 4.
	Workers int
	// QueueSize bounds events waiting to be sent; beyond it the oldest
	// pending deliveries are dropped and logged. 0: 10,000.
	QueueSize int
	// Clock tells the time. Nil: the system clock.
	Clock inbox.Clock
	// Logger receives logs. Nil: logs are discarded.
	Logger *slog.Logger
}

// Dispatcher sends inboxkit events to the host's endpoints as signed
// Standard Webhooks requests, retrying failures with backoff under the
// same webhook-id and recording every attempt in a DeliveryLog.
//
// Subscribe it to the engine (eng.Subscribe(d.Enqueue)) and call Run. The
// queue lives in memory: events pending when the process stops are lost,
// as are events the engine's bus dropped for a slow subscriber.
type Dispatcher struct {
	opts  DispatcherOptions
	clock inbox.Clock
	log   *slog.Logger

	mu      sync.Mutex
	pending jobHeap
	wake    chan struct{}
}

// job is one event to deliver to one endpoint (or, before expansion, to
// every endpoint of its tenant).
type job struct {
	event     inbox.Event
	endpoint  *Endpoint
	webhookID string
	attempt   int // attempts made so far
	due       time.Time
}

type jobHeap []*job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(*job)) }
func (h *jobHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	*h = old[:n-1]
	return x
}

// NewDispatcher validates opts and returns a Dispatcher.
func NewDispatcher(opts DispatcherOptions) (*Dispatcher, error) {
	if opts.Endpoints == nil {
		return nil, fmt.Errorf("webhook: new dispatcher: %w", inbox.Invalid("DispatcherOptions.Endpoints", "is required"))
	}
	if opts.MaxAttempts < 0 || opts.Workers < 0 || opts.QueueSize < 0 {
		return nil, fmt.Errorf("webhook: new dispatcher: %w", inbox.Invalid("DispatcherOptions", "limits must not be negative"))
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = NewMemoryDeliveryLog(0)
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 8
	}
	if opts.Backoff == nil {
		opts.Backoff = defaultBackoff
	}
	if opts.Workers == 0 {
		opts.Workers = 4
	}
	if opts.QueueSize == 0 {
		opts.QueueSize = 10_000
	}
	d := &Dispatcher{opts: opts, clock: opts.Clock, log: opts.Logger, wake: make(chan struct{}, 1)}
	if d.clock == nil {
		d.clock = inbox.SystemClock{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d, nil
}

func defaultBackoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

// Log returns the delivery log.
func (d *Dispatcher) Log() DeliveryLog { return d.opts.Log }

// Enqueue schedules ev for delivery to its tenant's endpoints. It never
// blocks, so it can be passed to Engine.Subscribe.
func (d *Dispatcher) Enqueue(ev inbox.Event) {
	d.push(&job{event: ev, due: d.clock.Now()})
}

func (d *Dispatcher) push(j *job) {
	d.mu.Lock()
	if d.pending.Len() >= d.opts.QueueSize {
		// Drop the job due first: it has waited (or failed) the longest.
		dropped := heap.Pop(&d.pending).(*job)
		d.log.Warn("webhook dispatcher: queue full, event dropped", "event", string(dropped.event.Type), "tenant", string(dropped.event.TenantID))
	}
	heap.Push(&d.pending, j)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers queued events until ctx ends. Deliveries in flight when
// ctx ends are abandoned; pending ones stay queued for a later Run.
func (d *Dispatcher) Run(ctx context.Context) error {
	work := make(chan *job)
	var wg sync.WaitGroup
	for range d.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				d.process(ctx, j)
			}
		}()
	}
	defer func() {
		close(work)
		wg.Wait()
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		var next *job
		wait := time.Hour
		if d.pending.Len() > 0 {
			if until := d.pending[0].due.Sub(d.clock.Now()); until <= 0 {
				next = heap.Pop(&d.pending).(*job)
			} else {
				wait = until
			}
		}
		d.mu.Unlock()
		if next != nil {
			select {
			case work <- next:
				continue
			case <-ctx.Done():
				d.push(next)
				return nil
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-timer.C:
		}
	}
}

func (d *Dispatcher) process(ctx context.Context, j *job) {
	if j.endpoint != nil {
		d.deliver(ctx, j)
		return
	}
	eps, err := d.opts.Endpoints(ctx, j.event.TenantID)
	if err != nil {
		if ctx.Err() != nil {
			d.push(j)
			return
		}
		d.log.Warn("webhook dispatcher: list endpoints", "tenant", string(j.event.TenantID), "err", err)
		j.attempt++
		if j.attempt < d.opts.MaxAttempts {
			j.due = d.clock.Now().Add(d.opts.Backoff(j.attempt))
			d.push(j)
		}
		return
	}
	for i := range eps {
		if !eps[i].wants(j.event.Type) {
			continue
		}
		ep := eps[i]
		d.deliver(ctx, &job{event: j.event, endpoint: &ep, webhookID: "msg_" + inbox.NewID(), due: j.due})
	}
}

// deliver makes one attempt and schedules the next on failure.
func (d *Dispatcher) deliver(ctx context.Context, j *job) {
	j.attempt++
	start := d.clock.Now()
	status, err := d.send(ctx, j, start)
	if ctx.Err() != nil {
		j.attempt--
		d.push(j) // not an attempt: we are stopping
		return
	}
	rec := Delivery{
		Tenant: j.event.TenantID, EndpointID: j.endpoint.ID, WebhookID: j.webhookID, EventType: j.event.Type,
		Attempt: j.attempt, HTTPStatus: status, At: start, Duration: d.clock.Now().Sub(start),
	}
	switch {
	case err == nil:
		rec.Status = DeliveryDelivered
	case j.attempt >= d.opts.MaxAttempts:
		rec.Status, rec.Error = DeliveryFailed, err.Error()
		d.log.Warn("webhook dispatcher: giving up", "endpoint", j.endpoint.ID, "event", string(j.event.Type), "attempts", j.attempt, "err", err)
	default:
		rec.Status, rec.Error = DeliveryRetrying, err.Error()
		j.due = d.clock.Now().Add(d.opts.Backoff(j.attempt))
		rec.NextAttemptAt = j.due
		d.push(j)
	}
	if err := d.opts.Log.Record(ctx, rec); err != nil {
		d.log.Warn("webhook dispatcher: record delivery", "err", err)
	}
}

// send signs and posts the event; a non-2xx answer is an error.
func (d *Dispatcher) send(ctx context.Context, j *job, now time.Time) (int, error) {
	body, err := json.Marshal(EventPayload{Type: j.event.Type, Timestamp: j.event.At.UTC(), Data: j.event})
	if err != nil {
		return 0, fmt.Errorf("encode event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("endpoint url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "inboxkit-webhooks/1")
	SignHeaders(req.Header, j.webhookID, now, body, j.endpoint.Secrets...)
	resp, err := d.opts.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post to endpoint %s: %w", j.endpoint.ID, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("endpoint %s answered HTTP %d", j.endpoint.ID, resp.StatusCode)
	}
	return resp.StatusCode, nil
}
