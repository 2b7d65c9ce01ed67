package inbox

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"time"
)

// maxCoalesced bounds how many concurrent requests share one transaction.
const maxCoalesced = 128

// coalescer is group commit for single-message intake (webhooks): requests
// of one tenant that arrive while a transaction is committing are ingested
// together in the next one, so a store that syncs to disk once per commit
// (SQLite) serves many requests per sync. A lone request commits at once, so there
// is no added latency at low load. Each request still gets its own
// outcome, and only after the transaction holding it committed.
//
// A store whose write transactions run in parallel (ParallelWriter) gets a
// tenant's requests spread over that many lanes, each with its own
// transactions: one lane's batch runs while another waits for the
// database. A customer's messages always take the same lane (laneKey), so
// they are stored in order and two of them never race to open two
// conversations.
type coalescer struct {
	eng    *Engine
	lanes  int // per tenant; at least 1
	mu     sync.Mutex
	queues map[laneID]*laneQueue // created lazily
}

// laneID names one queue of a tenant's requests.
type laneID struct {
	tenant TenantID
	lane   uint32
}

// laneQueue holds the requests of one lane and whether one of them is
// committing a batch.
type laneQueue struct {
	waiting []*ingestCall
	busy    bool // a leader is committing
}

// ingestCall is one request's message and, once committed, its outcome.
type ingestCall struct {
	in     Inbound
	wake   chan struct{} // closed when filled, or signalled to lead
	lead   bool
	filled bool
	// abandoned: the request went away before its outcome; its message
	// is still committed, but it must not be asked to lead.
	abandoned bool
	item      IngestItem
	err       error
}

// IngestOne stores one inbound message and returns its outcome once it is
// durable. Concurrent calls for the same tenant share transactions (group
// commit): a store that syncs to disk once per commit then serves many
// requests per sync, while a lone call commits at once. It suits webhook
// receivers, which must answer each request only after its message is
// safe. A caller whose ctx ends while waiting gets ctx.Err(); its message
// is still committed, so the sender's retry reads as a duplicate.
func (e *Engine) IngestOne(ctx context.Context, tenant TenantID, in Inbound) (IngestItem, error) {
	return e.coalesce.ingest(ctx, tenant, in)
}

func (c *coalescer) ingest(ctx context.Context, tenant TenantID, in Inbound) (IngestItem, error) {
	call := &ingestCall{in: in, wake: make(chan struct{}, 1)}
	id := laneID{tenant: tenant}
	if c.lanes > 1 {
		h := fnv.New32a()
		h.Write([]byte(laneKey(in)))
		id.lane = h.Sum32() % uint32(c.lanes)
	}
	c.mu.Lock()
	if c.queues == nil {
		c.queues = map[laneID]*laneQueue{}
	}
	q := c.queues[id]
	if q == nil {
		q = &laneQueue{}
		c.queues[id] = q
	}
	q.waiting = append(q.waiting, call)
	if !q.busy {
		q.busy, call.lead = true, true
	}
	lead := call.lead
	c.mu.Unlock()
	for !lead {
		select {
		case <-call.wake:
		case <-ctx.Done():
		}
		c.mu.Lock()
		switch {
		case call.filled:
			item, err := call.item, call.err
			c.mu.Unlock()
			return item, err
		case call.lead:
			lead = true
		case ctx.Err() != nil:
			// The message will still be committed with the next batch;
			// the sender's retry then reads as a duplicate.
			call.abandoned = true
			c.mu.Unlock()
			return IngestItem{}, ctx.Err()
		}
		c.mu.Unlock()
	}
	c.commit(ctx, id, q, call)
	return call.item, call.err
}

// laneKey is what keeps related messages in one lane: the thread key the
// sender gave, else the customer (the recipient of our own messages).
func laneKey(in Inbound) string {
	if in.ThreadKey != "" {
		return "k:" + in.IntegrationID + ":" + in.ThreadKey
	}
	p := in.From
	if in.Own && len(in.To) > 0 {
		p = in.To[0]
	}
	switch {
	case p.Email != "":
		return "e:" + NormalizeEmail(p.Email)
	case p.Phone != "":
		return "p:" + NormalizePhone(p.Phone)
	}
	return "x:" + p.ID
}

// commit ingests the waiting calls in arrival order, in batches, until
// self (the leader's own call) is stored; it then hands the results out
// and passes the lead to the next waiting request that is still there. It
// keeps committing while only abandoned requests wait, so their messages
// are stored too and the lane is never left with waiters and no leader.
func (c *coalescer) commit(ctx context.Context, id laneID, q *laneQueue, self *ingestCall) {
	for {
		c.mu.Lock()
		n := min(len(q.waiting), maxCoalesced)
		batch := append([]*ingestCall(nil), q.waiting[:n]...)
		q.waiting = q.waiting[n:]
		c.mu.Unlock()

		msgs := make([]Inbound, len(batch))
		for i, call := range batch {
			msgs[i] = call.in
		}
		// The batch belongs to every request in it, not only to the
		// leader, whose client may go away.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		res, err := c.eng.IngestBatch(cctx, id.tenant, Batch{Messages: msgs})
		cancel()
		if err == nil && len(res.Items) != len(batch) {
			err = errors.New("ingest returned a wrong number of outcomes")
		}

		c.mu.Lock()
		for i, call := range batch {
			call.filled = true
			if err != nil {
				call.err = err
			} else {
				call.item = res.Items[i]
			}
		}
		done := false
		switch {
		case !self.filled:
			// Requests that gave up arrived before ours and filled the
			// batch: ours is still queued, keep committing.
		case len(q.waiting) == 0:
			q.busy = false
			delete(c.queues, id)
			done = true
		default:
			if next := firstActive(q.waiting); next != nil {
				next.lead = true
				notify(next)
				done = true
			}
			// else only abandoned requests wait: commit them too.
		}
		c.mu.Unlock()
		for _, call := range batch {
			notify(call)
		}
		if done {
			return
		}
	}
}

func firstActive(calls []*ingestCall) *ingestCall {
	for _, c := range calls {
		if !c.abandoned {
			return c
		}
	}
	return nil
}

// notify wakes a call without blocking (its channel holds one signal).
func notify(c *ingestCall) {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
