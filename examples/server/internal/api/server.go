package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/reply"
)

// Summarizer writes a short summary of a conversation (an AI model).
type Summarizer interface {
	Summarize(ctx context.Context, tenant inbox.TenantID, conversationID string) (string, error)
}

// Features tells the UI which optional parts are on.
type Features struct {
	// AI is true when an AI model is configured (classification, replies,
	// summaries). Without it the offline learner classifies.
	AI bool `json:"ai"`
	// AIModel names the model, for the settings page.
	AIModel string `json:"ai_model,omitempty"`
	// Classifier names the active classifier chain.
	Classifier string `json:"classifier"`
	// Knowledge is true when the store keeps a knowledge base.
	Knowledge bool `json:"knowledge"`
	// Summaries is true when conversations can be summarized.
	Summaries bool `json:"summaries"`
	// SMS, WhatsApp: Vonage webhooks are mounted.
	SMS      bool `json:"sms"`
	WhatsApp bool `json:"whatsapp"`
	// Store names the storage backend ("sqlite", "memory").
	Store string `json:"store"`
	// Demo is true when the demo tenant was seeded.
	Demo bool `json:"demo"`
	// OAuth lists the providers whose mailboxes can be connected.
	OAuth []OAuthProvider `json:"oauth_providers"`
	// DemoLogin is the demo admin's email, shown on the login page.
	DemoLogin string `json:"-"`
	// DemoPassword is the demo accounts' password, shown on the login
	// page of a demo server only.
	DemoPassword string `json:"-"`
}

// Options configure the API. Engine and Auth are required.
type Options struct {
	Engine *inbox.Engine
	Auth   *auth.Authenticator
	// Limiter slows password guessing. Nil: 5 failures per 15 minutes per
	// IP address and per email.
	Limiter *auth.LoginLimiter
	// Sealer seals integration secrets. Nil: secrets cannot be saved.
	Sealer inbox.Sealer
	// Rules is the rule classifier, told when a folder's rules change.
	// Nil: a fresh one is used for previews only.
	Rules *rules.Classifier
	// Summarizer writes summaries. Nil: summaries are off.
	Summarizer Summarizer
	// Knowledge is the knowledge base. Nil: the knowledge routes answer
	// 501 (the store keeps none).
	Knowledge *reply.Knowledge
	// Features is reported to the UI.
	Features Features
	// SMSWebhook, WhatsAppWebhook and CustomWebhook are mounted without
	// session authentication (they verify their own signatures). Nil
	// handlers are not mounted.
	SMSWebhook, WhatsAppWebhook, CustomWebhook http.Handler
	// TrustProxy takes the client address from X-Forwarded-For (for login
	// rate limiting) when the server runs behind a reverse proxy.
	TrustProxy bool
	// Preview bounds rule previews. Zero: the defaults.
	Preview PreviewLimits
	// OAuth sets up connecting Gmail and Microsoft 365 mailboxes. Zero:
	// no provider is offered.
	OAuth OAuthOptions
	// Logger receives logs. Nil: discarded.
	Logger *slog.Logger
}

// Server is the REST API as an http.Handler.
type Server struct {
	eng      *inbox.Engine
	auth     *auth.Authenticator
	limiter  *auth.LoginLimiter
	sealer   inbox.Sealer
	rules    *rules.Classifier
	summary  Summarizer
	kb       *reply.Knowledge
	features Features
	oauth    OAuthOptions
	trust    bool
	log      *slog.Logger
	hub      *hub
	// presenceBoard knows who is on which conversation.
	presenceBoard *presenceBoard
	previews      *previewGate
	mux           *http.ServeMux
	patterns      []string
	// integrationsMu serializes integration creates and updates, so the
	// receiving-number check and the write are one step.
	integrationsMu sync.Mutex
}

// New validates opts and builds the API.
func New(opts Options) (*Server, error) {
	if opts.Engine == nil {
		return nil, inbox.Invalid("Options.Engine", "is required")
	}
	if opts.Auth == nil || opts.Auth.Dir == nil || opts.Auth.Sessions == nil {
		return nil, inbox.Invalid("Options.Auth", "is required with a directory and sessions")
	}
	s := &Server{eng: opts.Engine, auth: opts.Auth, limiter: opts.Limiter, sealer: opts.Sealer, rules: opts.Rules,
		summary: opts.Summarizer, kb: opts.Knowledge, features: opts.Features, oauth: opts.OAuth, trust: opts.TrustProxy, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.limiter == nil {
		s.limiter = auth.NewLoginLimiter(0, 0, nil)
	}
	if s.rules == nil {
		s.rules = rules.New(rules.Options{Logger: s.log})
	}
	s.features.Summaries = s.summary != nil
	s.features.Knowledge = s.kb != nil
	s.features.OAuth = oauthProviders(opts.OAuth.Clients)
	s.presenceBoard = newPresenceBoard()
	s.hub = newHub(s.eng, s.presenceBoard)
	s.previews = newPreviewGate(opts.Preview)
	s.mux = http.NewServeMux()
	s.routes(opts)
	return s, nil
}

// Close stops the event stream fan-out.
func (s *Server) Close() { s.hub.close() }

// EndStreams ends every live event stream, now and later: the server is
// shutting down, and browsers reconnect to another instance.
func (s *Server) EndStreams() { s.hub.endAll() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

// handlerFunc is an authenticated handler; a returned error becomes a
// problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

func (s *Server) routes(opts Options) {
	m := routeRecorder{s}
	if opts.SMSWebhook != nil {
		// Vonage sends SMS webhooks as a query (GET), a form or JSON.
		sms := bodyTypes(opts.SMSWebhook, "application/x-www-form-urlencoded", "application/json")
		m.Handle("GET /inbox/webhooks/sms", sms)
		m.Handle("POST /inbox/webhooks/sms", sms)
	}
	if opts.WhatsAppWebhook != nil {
		m.Handle("POST /inbox/webhooks/whatsapp", bodyTypes(opts.WhatsAppWebhook, "application/json"))
	}
	if opts.CustomWebhook != nil {
		m.Handle("POST /inbox/webhooks/custom/{id}", bodyTypes(opts.CustomWebhook, "application/json"))
	}

	m.Handle("GET /inbox/about", http.HandlerFunc(s.about))
	m.Handle("POST /inbox/session", http.HandlerFunc(s.login))
	m.Handle("GET /inbox/session", s.authed(s.session))
	m.Handle("DELETE /inbox/session", s.authed(s.logout))
	m.Handle("GET /inbox/employees", s.authed(s.listEmployees))
	m.Handle("POST /inbox/employees", s.admin(s.inviteEmployee))
	m.Handle("PATCH /inbox/employees/{id}", s.admin(s.patchEmployee))
	m.Handle("GET /inbox/tokens", s.admin(s.listTokens))
	m.Handle("POST /inbox/tokens", s.admin(s.createToken))
	m.Handle("DELETE /inbox/tokens/{id}", s.admin(s.revokeToken))

	m.Handle("GET /inbox/settings", s.authed(s.getSettings))
	m.Handle("GET /inbox/saved-replies", s.authed(s.listSavedReplies))
	m.Handle("PUT /inbox/saved-replies", s.admin(s.putSavedReplies))
	m.Handle("GET /inbox/signature", s.authed(s.getSignature))
	m.Handle("PUT /inbox/signature", s.authed(s.putSignature))
	m.Handle("PATCH /inbox/settings", s.admin(s.patchSettings))

	m.Handle("GET /inbox/integrations", s.authed(s.listIntegrations))
	m.Handle("POST /inbox/integrations", s.admin(s.createIntegration))
	m.Handle("GET /inbox/integrations/{id}", s.authed(s.getIntegration))
	m.Handle("PATCH /inbox/integrations/{id}", s.admin(s.patchIntegration))
	m.Handle("DELETE /inbox/integrations/{id}", s.admin(s.deleteIntegration))
	m.Handle("POST /inbox/integrations/{id}/sync", s.authed(s.syncIntegration))
	m.Handle("POST /inbox/oauth/{provider}/start", s.admin(s.startOAuth))
	m.Handle("GET /inbox/oauth/{provider}/callback", http.HandlerFunc(s.oauthCallback))

	m.Handle("GET /inbox/folders", s.authed(s.listFolders))
	m.Handle("POST /inbox/folders", s.admin(s.createFolder))
	m.Handle("GET /inbox/folders/{id}", s.authed(s.getFolder))
	m.Handle("PATCH /inbox/folders/{id}", s.admin(s.patchFolder))
	m.Handle("DELETE /inbox/folders/{id}", s.admin(s.deleteFolder))
	m.Handle("PUT /inbox/folder-order", s.admin(s.orderFolders))
	m.Handle("POST /inbox/rules/preview", s.authed(s.previewRules))

	m.Handle("GET /inbox/conversations", s.authed(s.listConversations))
	m.Handle("GET /inbox/conversations/next", s.authed(s.next))
	m.Handle("POST /inbox/conversations/bulk", s.authed(s.bulk))
	m.Handle("GET /inbox/conversations/{id}", s.authed(s.getConversation))
	m.Handle("POST /inbox/conversations/{id}/priority", s.authed(s.setPriority))
	m.Handle("POST /inbox/conversations/{id}/snooze", s.authed(s.snooze))
	m.Handle("POST /inbox/conversations/{id}/reply", s.authed(s.reply))
	m.Handle("POST /inbox/conversations/{id}/status", s.authed(s.setStatus))
	m.Handle("POST /inbox/conversations/{id}/assign", s.authed(s.assign))
	m.Handle("POST /inbox/conversations/{id}/move", s.authed(s.move))
	m.Handle("POST /inbox/conversations/{id}/read", s.authed(s.markRead))
	m.Handle("PUT /inbox/conversations/{id}/tags", s.authed(s.setTags))
	m.Handle("POST /inbox/conversations/{id}/link", s.authed(s.link))
	m.Handle("POST /inbox/conversations/{id}/notes", s.authed(s.addNote))
	m.Handle("POST /inbox/conversations/{id}/merge", s.authed(s.merge))
	m.Handle("POST /inbox/conversations/{id}/tasks", s.authed(s.createTask))
	m.Handle("POST /inbox/conversations/{id}/followups", s.authed(s.scheduleFollowUp))
	m.Handle("POST /inbox/conversations/{id}/classify", s.authed(s.classify))
	m.Handle("POST /inbox/conversations/{id}/summary", s.authed(s.summarize))
	m.Handle("GET /inbox/conversations/{id}/audit", s.authed(s.conversationAudit))
	m.Handle("POST /inbox/conversations/{id}/presence", s.authed(s.presence))
	m.Handle("POST /inbox/messages/{id}/split", s.authed(s.split))
	m.Handle("GET /inbox/messages/{id}/attachments/{att}", s.authed(s.attachment))

	m.Handle("GET /inbox/drafts", s.authed(s.listDrafts))
	m.Handle("POST /inbox/drafts/{id}/approve", s.authed(s.approveDraft))
	m.Handle("POST /inbox/drafts/{id}/reject", s.authed(s.rejectDraft))

	m.Handle("GET /inbox/tasks", s.authed(s.listTasks))
	m.Handle("POST /inbox/tasks/{id}/complete", s.authed(s.completeTask))
	m.Handle("GET /inbox/followups", s.authed(s.listFollowUps))
	m.Handle("POST /inbox/followups/{id}/close", s.authed(s.closeFollowUp))

	m.Handle("GET /inbox/contacts", s.authed(s.listContacts))
	m.Handle("GET /inbox/contacts/{id}", s.authed(s.getContact))
	m.Handle("PATCH /inbox/contacts/{id}", s.authed(s.patchContact))
	m.Handle("POST /inbox/contacts/{id}/merge", s.admin(s.mergeContacts))

	m.Handle("GET /inbox/knowledge", s.authed(s.listKnowledge))
	m.Handle("POST /inbox/knowledge", s.admin(s.createKnowledge))
	m.Handle("GET /inbox/knowledge/{id}", s.authed(s.getKnowledge))
	m.Handle("PUT /inbox/knowledge/{id}", s.admin(s.putKnowledge))
	m.Handle("DELETE /inbox/knowledge/{id}", s.admin(s.deleteKnowledge))

	m.Handle("GET /inbox/stats", s.authed(s.stats))
	m.Handle("GET /inbox/stats/export", s.authed(s.exportStats))
	m.Handle("GET /inbox/audit", s.admin(s.listAudit))
	m.Handle("GET /inbox/quarantine", s.authed(s.listQuarantine))
	m.Handle("POST /inbox/quarantine/{id}/replay", s.admin(s.replay))
	m.Handle("GET /inbox/notifications", s.authed(s.listNotifications))
	m.Handle("POST /inbox/notifications/{id}/read", s.authed(s.readNotification))
	m.Handle("GET /inbox/events", s.authed(s.events))

	s.mux.HandleFunc(catchAll, func(w http.ResponseWriter, r *http.Request) {
		if allow := s.allowedMethods(r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, r, Problem{Type: typeMethod, Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
				Detail: fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, strings.Join(allow, ", "))})
			return
		}
		writeProblem(w, r, Problem{Type: typeNotFound, Title: "Not found", Status: http.StatusNotFound,
			Detail: fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)})
	})
}

// catchAll is the pattern of the API's 404 and 405 answers. Without it
// the mux would answer 405 itself, but as plain text, and the UI's
// routes would take the other /inbox/ paths.
const catchAll = "/inbox/"

// allowedMethods lists the methods a route of r's path takes, sorted;
// none when no route has the path.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPost, http.MethodPut} {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "" && pattern != catchAll {
			allow = append(allow, m)
		}
	}
	return allow
}

// routeRecorder registers routes on the mux and remembers them for Routes.
type routeRecorder struct{ s *Server }

func (m routeRecorder) Handle(pattern string, h http.Handler) {
	m.s.mux.Handle(pattern, h)
	m.s.patterns = append(m.s.patterns, pattern)
}

// Route names the API route r takes by its path pattern
// ("/inbox/conversations/{id}/reply"), for metrics: never the raw path,
// whose ids would make a series per conversation. "unmatched" when no
// route has the path.
func (s *Server) Route(r *http.Request) string {
	_, pattern := s.mux.Handler(r)
	if pattern == "" || pattern == catchAll {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// Routes lists the API's routes as "METHOD /path/{param}" patterns, for
// documentation checks.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }

// authed authenticates the request, checks CSRF for cookie sessions and
// runs h with the principal.
func (s *Server) authed(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="inboxkit"`)
			s.fail(w, r, err)
			return
		}
		if err := s.auth.CheckCSRF(r, p); err != nil {
			writeProblem(w, r, Problem{Type: typeForbidden, Title: "Forbidden", Status: http.StatusForbidden, Detail: err.Error()})
			return
		}
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		if err := h(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})
}

// admin is authed for admins only (403 for agents).
func (s *Server) admin(h handlerFunc) http.Handler {
	return s.authed(func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		if !p.IsAdmin() {
			return fmt.Errorf("this action needs the admin role: %w", errForbidden)
		}
		return h(w, r, p)
	})
}

func tenantOf(p auth.Principal) inbox.TenantID { return inbox.TenantID(p.Tenant) }

// clientIP is the address login attempts are counted against.
func (s *Server) clientIP(r *http.Request) string {
	if s.trust {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			first, _, _ := strings.Cut(f, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// notFoundAs turns another tenant's or an unknown id into a plain 404
// naming the kind of record.
func notFoundAs(kind, id string, err error) error {
	if errors.Is(err, inbox.ErrNotFound) {
		return fmt.Errorf("%s %q: %w", kind, id, inbox.ErrNotFound)
	}
	return err
}

// now is the engine's clock.
func (s *Server) now() time.Time { return s.eng.Clock().Now() }
