package vonage

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// PartStore is the state SMS and WhatsApp receivers share across
// instances: replay keys of accepted requests and the parts of
// concatenated SMS waiting for their siblings. Several instances behind a
// load balancer must share one PartStore (backed by the SQL store);
// MemoryPartStore serves a single process.
//
// Every method must be safe for concurrent use, and AddPart must be atomic:
// two instances adding the last two parts of a message at once must each
// see at least the parts committed before their own.
type PartStore interface {
	// Seen reports whether key was remembered with an expiry after now.
	Seen(ctx context.Context, key string, now time.Time) (bool, error)
	// Remember records key until the given time; remembering a key again
	// keeps the later expiry.
	Remember(ctx context.Context, key string, until time.Time) error
	// AddPart stores part under group (idempotently: the same part number
	// stored twice is kept once) and returns every part of the group stored
	// so far, ordered by part number. The group expires at until.
	AddPart(ctx context.Context, group string, part SMSPart, until time.Time) ([]SMSPart, error)
	// DeleteParts forgets a group's parts.
	DeleteParts(ctx context.Context, group string) error
	// ExpiredGroups returns up to limit groups whose expiry is before now,
	// with their parts ordered by number. They stay stored until
	// DeleteParts.
	ExpiredGroups(ctx context.Context, now time.Time, limit int) ([]PartGroup, error)
}

// SMSPart is one part of a concatenated inbound SMS, with everything needed
// to ingest the message once all parts are in.
type SMSPart struct {
	Tenant        string    `json:"tenant"`
	IntegrationID string    `json:"integration_id"`
	MessageID     string    `json:"message_id"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	Text          string    `json:"text"`
	Keyword       string    `json:"keyword,omitempty"`
	SentAt        time.Time `json:"sent_at"`
	Ref           string    `json:"ref"`
	Part          int       `json:"part"`
	Total         int       `json:"total"`
}

// PartGroup is the stored parts of one concatenated SMS.
type PartGroup struct {
	Key   string
	Parts []SMSPart
}

// MemoryPartStore is a PartStore in process memory, for a single instance
// and for tests. Expired entries are dropped lazily. The zero value is not
// usable; call NewMemoryPartStore.
type MemoryPartStore struct {
	seen   httpintake.KeySet // replay keys
	mu     sync.Mutex        // guards groups
	groups map[string]*memGroup
}

type memGroup struct {
	until time.Time
	parts map[int]SMSPart
}

var _ PartStore = (*MemoryPartStore)(nil)

// NewMemoryPartStore returns an empty in-memory PartStore.
func NewMemoryPartStore() *MemoryPartStore {
	return &MemoryPartStore{groups: map[string]*memGroup{}}
}

// Seen implements PartStore.
func (s *MemoryPartStore) Seen(ctx context.Context, key string, now time.Time) (bool, error) {
	return s.seen.Seen(ctx, key, now)
}

// Remember implements PartStore.
func (s *MemoryPartStore) Remember(ctx context.Context, key string, until time.Time) error {
	return s.seen.Remember(ctx, key, until)
}

// AddPart implements PartStore.
func (s *MemoryPartStore) AddPart(ctx context.Context, group string, part SMSPart, until time.Time) ([]SMSPart, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil {
		g = &memGroup{until: until, parts: map[int]SMSPart{}}
		s.groups[group] = g
	}
	if _, ok := g.parts[part.Part]; !ok {
		g.parts[part.Part] = part
	}
	return g.sorted(), nil
}

func (g *memGroup) sorted() []SMSPart {
	out := make([]SMSPart, 0, len(g.parts))
	for _, p := range g.parts {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Part < out[j].Part })
	return out
}

// DeleteParts implements PartStore.
func (s *MemoryPartStore) DeleteParts(ctx context.Context, group string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, group)
	return nil
}

// ExpiredGroups implements PartStore.
func (s *MemoryPartStore) ExpiredGroups(ctx context.Context, now time.Time, limit int) ([]PartGroup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PartGroup
	for key, g := range s.groups {
		if limit > 0 && len(out) >= limit {
			break
		}
		if g.until.Before(now) {
			out = append(out, PartGroup{Key: key, Parts: g.sorted()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
