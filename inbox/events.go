package inbox

import (
	"log/slog"
	"sync"
	"time"
)

// EventType names what happened.
type EventType string

// Event types published by the engine, always after the change committed.
const (
	// EventMessageReceived: a message arrived through a channel (its
	// Direction is out for our own mail synced from a Sent folder).
	EventMessageReceived EventType = "message.received"
	// EventMessageCreated: an agent's reply, an approved draft or an
	// auto-reply was written and queued for delivery (Direction out).
	EventMessageCreated EventType = "message.created"
	EventMessageSent    EventType = "message.sent"
	// EventMessageDelayed: a send failed temporarily and will be retried
	// (Detail says why and when).
	EventMessageDelayed      EventType = "message.delayed"
	EventMessageFailed       EventType = "message.failed"
	EventMessageQuarantined  EventType = "message.quarantined"
	EventConversationCreated EventType = "conversation.created"
	EventConversationUpdated EventType = "conversation.updated"
	EventDraftReady          EventType = "draft.ready"
	EventFollowUpDue         EventType = "followup.due"
	EventNotification        EventType = "notification"
	EventSyncFinished        EventType = "sync.finished"
	EventIntegrationPaused   EventType = "integration.paused"
	EventReclassifyProgress  EventType = "reclassify.progress"
	// EventReaderState: one agent marked a conversation read or unread
	// for themselves (MarkReadFor); Detail is "read:agent" or
	// "unread:agent". It concerns that agent alone: a host shows it to
	// their own sessions (their other tabs), never to colleagues.
	EventReaderState EventType = "reader.state"
)

// Event tells subscribers that something happened. IDs refer to records
// the host reads through the Engine; the event carries no message content.
type Event struct {
	Type           EventType `json:"type"`
	TenantID       TenantID  `json:"tenant_id"`
	ConversationID string    `json:"conversation_id,omitempty"`
	MessageID      string    `json:"message_id,omitempty"`
	IntegrationID  string    `json:"integration_id,omitempty"`
	// Direction is the message's, on message events.
	Direction Direction `json:"direction,omitempty"`
	// Detail is a short machine-friendly note (a quarantine reason, the
	// changed field...).
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`

	// remote marks events received from another instance through a
	// Broker, so they are not sent back out.
	remote bool
}

// bus fans events out to subscribers. Each subscriber has its own queue and
// goroutine, so a slow one delays only itself; when its queue is full the
// oldest events are dropped and counted rather than blocking ingest.
type bus struct {
	mu     sync.Mutex
	subs   map[int]*subscriber
	next   int
	limit  int
	logger *slog.Logger
	closed bool
}

type subscriber struct {
	fn      func(Event)
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []Event
	dropped int
	stop    bool
	done    chan struct{}
}

func newBus(limit int, logger *slog.Logger) *bus {
	return &bus{subs: map[int]*subscriber{}, limit: limit, logger: logger}
}

func (b *bus) subscribe(fn func(Event)) (cancel func()) {
	s := &subscriber{fn: fn, done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		close(s.done)
		return func() {}
	}
	id := b.next
	b.next++
	b.subs[id] = s
	b.mu.Unlock()
	go s.run(b.logger)
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, id)
			b.mu.Unlock()
			s.close()
		})
	}
}

func (b *bus) publish(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	b.mu.Lock()
	subs := make([]*subscriber, 0, len(b.subs))
	for _, s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.push(evs, b.limit)
	}
}

func (b *bus) close() {
	b.mu.Lock()
	b.closed = true
	subs := b.subs
	b.subs = map[int]*subscriber{}
	b.mu.Unlock()
	for _, s := range subs {
		s.close()
	}
}

func (s *subscriber) push(evs []Event, limit int) {
	s.mu.Lock()
	s.queue = append(s.queue, evs...)
	if over := len(s.queue) - limit; over > 0 {
		s.queue = append(s.queue[:0], s.queue[over:]...)
		s.dropped += over
	}
	s.mu.Unlock()
	s.cond.Signal()
}

func (s *subscriber) close() {
	s.mu.Lock()
	s.stop = true
	s.mu.Unlock()
	s.cond.Signal()
	<-s.done
}

func (s *subscriber) run(logger *slog.Logger) {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.stop {
			s.cond.Wait()
		}
		if len(s.queue) == 0 && s.stop {
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue = nil
		dropped := s.dropped
		s.dropped = 0
		s.mu.Unlock()
		if dropped > 0 {
			logger.Warn("inbox: slow event subscriber lost events", "dropped", dropped)
		}
		for _, ev := range batch {
			s.deliver(ev, logger)
		}
	}
}

func (s *subscriber) deliver(ev Event, logger *slog.Logger) {
	defer func() {
		if r := recover(); r != nil {
			logger.Error("inbox: event subscriber panicked", "event", string(ev.Type), "panic", r)
		}
	}()
	s.fn(ev)
}
