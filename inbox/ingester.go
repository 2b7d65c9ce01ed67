package inbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// IngesterOptions configure an Ingester. The zero value works.
type IngesterOptions struct {
	// BatchSize is how many messages are committed per transaction.
	// 0 means 200.
	BatchSize int
	// IntegrationID, when set, is the batches' integration.
	IntegrationID string
	// OnBatch, when set, is told each committed batch's outcome (in
	// order, from the committing goroutine).
	OnBatch func(IngestResult)
}

// Ingester feeds a stream of messages to the engine: Add hands over each
// message as the caller prepares it (parsing mail, reading an export),
// and full batches are committed in the background, one at a time and in
// order, while the caller prepares the next. Preparation and commit thus
// overlap instead of taking turns, which on a store that syncs to disk at
// each commit nearly doubles a host's import rate. An Ingester is used by
// one goroutine.
type Ingester struct {
	e      *Engine
	ctx    context.Context
	tenant TenantID
	opts   IngesterOptions

	buf     []Inbound
	batches chan []Inbound
	done    chan struct{}
	closed  bool

	mu     sync.Mutex
	result IngestResult
	err    error
}

// NewIngester starts an Ingester for tenant; Close must be called.
func (e *Engine) NewIngester(ctx context.Context, tenant TenantID, opts IngesterOptions) *Ingester {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 200
	}
	in := &Ingester{e: e, ctx: ctx, tenant: tenant, opts: opts, batches: make(chan []Inbound, 1), done: make(chan struct{})}
	go in.commit()
	return in
}

func (in *Ingester) commit() {
	defer close(in.done)
	for batch := range in.batches {
		if in.failed() {
			continue // drain: a failed batch stops the stream
		}
		res, err := in.e.IngestBatch(in.ctx, in.tenant, Batch{IntegrationID: in.opts.IntegrationID, Messages: batch})
		in.mu.Lock()
		if err != nil {
			in.err = err
		} else {
			in.result.Items = append(in.result.Items, res.Items...)
			in.result.Stored += res.Stored
			in.result.Duplicates += res.Duplicates
			in.result.Quarantined += res.Quarantined
			in.result.Skipped += res.Skipped
		}
		in.mu.Unlock()
		if err == nil && in.opts.OnBatch != nil {
			in.opts.OnBatch(res)
		}
	}
}

func (in *Ingester) failed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.err != nil
}

// errIngesterClosed is Add's answer after Close.
var errIngesterClosed = errors.New("ingester is closed")

// Add queues a message. It blocks while a full batch waits behind the one
// being committed (so memory stays bounded), and returns the error of a
// batch that failed: nothing more is committed after it.
func (in *Ingester) Add(msg Inbound) error {
	if in.closed {
		return fmt.Errorf("ingest: %w", errIngesterClosed)
	}
	in.mu.Lock()
	err := in.err
	in.mu.Unlock()
	if err != nil {
		return fmt.Errorf("ingest: an earlier batch failed: %w", err)
	}
	in.buf = append(in.buf, msg)
	if len(in.buf) >= in.opts.BatchSize {
		return in.send()
	}
	return nil
}

func (in *Ingester) send() error {
	select {
	case in.batches <- in.buf:
	case <-in.ctx.Done():
		return in.ctx.Err()
	}
	in.buf = make([]Inbound, 0, in.opts.BatchSize)
	return nil
}

// Close commits what is left, waits for every batch and returns the
// outcome of all of them (items in the order of Add), or the first error.
func (in *Ingester) Close() (IngestResult, error) {
	if in.closed {
		return IngestResult{}, fmt.Errorf("ingest: %w", errIngesterClosed)
	}
	in.closed = true
	var sendErr error
	if len(in.buf) > 0 && !in.failed() {
		sendErr = in.send()
	}
	close(in.batches)
	<-in.done
	in.buf = nil
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err != nil {
		return in.result, fmt.Errorf("ingest: %w", in.err)
	}
	return in.result, sendErr
}
