package api

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// EventPresence tells the agents of a tenant who is viewing or replying to
// a conversation. Detail is "state:employee id"; the state is viewing,
// replying or away.
const EventPresence inbox.EventType = "presence"

// Presence states an agent reports for a conversation.
const (
	presenceViewing  = "viewing"
	presenceReplying = "replying"
	presenceAway     = "away"
)

// presenceTTL is how long a report holds without being renewed: pages
// renew every few seconds, so a closed tab or a lost connection stops
// showing after this long.
const presenceTTL = 30 * time.Second

// PresenceView is one other agent on a conversation.
type PresenceView struct {
	Employee string    `json:"employee"`
	Name     string    `json:"name"`
	State    string    `json:"state"`
	Since    time.Time `json:"since"`
}

type presenceKey struct {
	tenant inbox.TenantID
	conv   string
}

type presenceEntry struct {
	state string
	seen  time.Time
}

// presenceBoard remembers the latest report of each agent per
// conversation, learnt from presence events (so reports made on other
// instances count too).
type presenceBoard struct {
	mu    sync.Mutex
	convs map[presenceKey]map[string]presenceEntry
}

func newPresenceBoard() *presenceBoard {
	return &presenceBoard{convs: map[presenceKey]map[string]presenceEntry{}}
}

func (b *presenceBoard) record(ev inbox.Event) {
	state, user, ok := strings.Cut(ev.Detail, ":")
	if !ok || ev.ConversationID == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := presenceKey{ev.TenantID, ev.ConversationID}
	m := b.convs[k]
	if state == presenceAway {
		delete(m, user)
		if len(m) == 0 {
			delete(b.convs, k)
		}
		return
	}
	if m == nil {
		m = map[string]presenceEntry{}
		b.convs[k] = m
	}
	m[user] = presenceEntry{state: state, seen: ev.At}
}

// others lists who else is on the conversation now, dropping stale reports.
func (b *presenceBoard) others(tenant inbox.TenantID, conv, me string, now time.Time) []presenceEntryOf {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := presenceKey{tenant, conv}
	var out []presenceEntryOf
	for user, e := range b.convs[k] {
		if now.Sub(e.seen) > presenceTTL {
			delete(b.convs[k], user)
			continue
		}
		if user != me {
			out = append(out, presenceEntryOf{user, e})
		}
	}
	slices.SortFunc(out, func(a, b presenceEntryOf) int { return strings.Compare(a.user, b.user) })
	return out
}

type presenceEntryOf struct {
	user string
	presenceEntry
}

// presence records that the caller is viewing, replying to or has left a
// conversation, tells the other agents at once over the event stream, and
// answers who else is there.
func (s *Server) presence(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		State string `json:"state"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch req.State {
	case presenceViewing, presenceReplying, presenceAway:
	default:
		return inbox.Invalid("state", "must be viewing, replying or away")
	}
	tenant, id := tenantOf(p), r.PathValue("id")
	if _, err := s.eng.Conversation(r.Context(), tenant, id); err != nil {
		return notFoundAs("conversation", id, err)
	}
	now := time.Now()
	s.eng.Publish(inbox.Event{Type: EventPresence, TenantID: tenant, ConversationID: id, Detail: req.State + ":" + p.Actor, At: now})
	others := s.presenceBoard.others(tenant, id, p.Actor, now)
	out := make([]PresenceView, 0, len(others))
	for _, o := range others {
		out = append(out, PresenceView{Employee: o.user, Name: s.employeeName(tenant, o.user), State: o.state, Since: o.seen})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// employeeName is an employee's display name, else the id.
func (s *Server) employeeName(tenant inbox.TenantID, id string) string {
	if a, err := s.auth.Dir.Account(tenant, id); err == nil && a.Name != "" {
		return a.Name
	}
	return id
}
