package chat

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Backend is a small chat service of the kind a host connects to
// inboxkit: website visitors write, agents answer. Its HTTP API is what
// Channel speaks:
//
//	GET  /v1/messages?after=SEQ&limit=N   visitors' messages after SEQ, oldest first
//	GET  /v1/wait?after=SEQ               returns when a message after SEQ exists (long poll, ≤ 25 s)
//	POST /v1/replies                      {"visitor_id","text","ref"} → {"id"}
//
// Every request carries "Authorization: Bearer <token>". It keeps
// everything in memory; tests and the example program run it with
// httptest or on a local port.
type Backend struct {
	token string

	mu       sync.Mutex
	messages []WireMessage
	replies  []Reply
	arrived  chan struct{} // closed at each new message
}

// WireMessage is a visitor's message as the API returns it.
type WireMessage struct {
	Seq       int64     `json:"seq"`
	ID        string    `json:"id"`
	VisitorID string    `json:"visitor_id"`
	Name      string    `json:"name,omitempty"`
	Email     string    `json:"email,omitempty"`
	Text      string    `json:"text"`
	SentAt    time.Time `json:"sent_at"`
}

// Reply is an agent's answer the backend received.
type Reply struct {
	ID        string `json:"id"`
	VisitorID string `json:"visitor_id"`
	Text      string `json:"text"`
	Ref       string `json:"ref"` // the sender's idempotency key
}

// NewBackend returns a backend accepting token.
func NewBackend(token string) *Backend {
	return &Backend{token: token, arrived: make(chan struct{})}
}

// Post adds a visitor's message, as the chat widget would. A message
// without visitor id is malformed: the channel reports it unreadable.
func (b *Backend) Post(visitorID, name, text string) WireMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	seq := int64(len(b.messages) + 1)
	m := WireMessage{Seq: seq, ID: "msg-" + strconv.FormatInt(seq, 10), VisitorID: visitorID, Name: name, Text: text, SentAt: time.Now().UTC()}
	b.messages = append(b.messages, m)
	close(b.arrived)
	b.arrived = make(chan struct{})
	return m
}

// Replies returns the agents' answers received, oldest first.
func (b *Backend) Replies() []Reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Reply(nil), b.replies...)
}

// ServeHTTP implements the API.
func (b *Backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+b.token {
		http.Error(w, `{"error":"invalid token"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/messages":
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit <= 0 || limit > 100 {
			limit = 100
		}
		b.mu.Lock()
		var page []WireMessage
		for _, m := range b.messages {
			if m.Seq > after && len(page) < limit {
				page = append(page, m)
			}
		}
		b.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"messages": page})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/wait":
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		timeout := time.NewTimer(25 * time.Second)
		defer timeout.Stop()
		for {
			b.mu.Lock()
			n, arrived := int64(len(b.messages)), b.arrived
			b.mu.Unlock()
			if n > after {
				_ = json.NewEncoder(w).Encode(map[string]any{"latest": n})
				return
			}
			select {
			case <-arrived:
			case <-timeout.C:
				_ = json.NewEncoder(w).Encode(map[string]any{"latest": n})
				return
			case <-r.Context().Done():
				return
			}
		}
	case r.Method == http.MethodPost && r.URL.Path == "/v1/replies":
		var rep Reply
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&rep); err != nil || rep.VisitorID == "" || rep.Text == "" {
			http.Error(w, `{"error":"visitor_id and text are required"}`, http.StatusUnprocessableEntity)
			return
		}
		b.mu.Lock()
		for _, old := range b.replies {
			if rep.Ref != "" && old.Ref == rep.Ref { // a retry: same answer, once
				b.mu.Unlock()
				_ = json.NewEncoder(w).Encode(map[string]string{"id": old.ID})
				return
			}
		}
		rep.ID = "reply-" + strconv.Itoa(len(b.replies)+1)
		b.replies = append(b.replies, rep)
		b.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]string{"id": rep.ID})
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
	}
}
