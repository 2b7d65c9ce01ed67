package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sashabaranov/go-openai"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/email/oauth"
	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/classify/ai"
	"github.com/inboxkit/inboxkit/classify/learn"
	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/examples/server/internal/api"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/examples/server/internal/metrics"
	"github.com/inboxkit/inboxkit/examples/server/internal/web"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/inbox/seal"
	"github.com/inboxkit/inboxkit/reply"
	"github.com/inboxkit/inboxkit/storage/postgres"
)

// MemoryDB is the Config.DB value selecting the in-memory store.
const MemoryDB = "memory"

// DefaultModel is the chat model used when OpenAI.Model is empty.
const DefaultModel = "gpt-4o-mini"

// OpenAI configures the optional AI features.
type OpenAI struct {
	APIKey  string
	BaseURL string // "" means the provider's default
	Model   string // "" means a small default model
}

// Config configures an App. The zero value of each field is documented.
type Config struct {
	// DataDir holds the SQLite database, blobs and accounts (on
	// PostgreSQL accounts and sessions are tables of the database).
	// Required unless DB is MemoryDB, or PostgreSQL with Blobs set.
	DataDir string
	// DB is the SQLite file, MemoryDB, or a PostgreSQL URL
	// ("postgres://..." or "postgresql://..."): any number of instances
	// then share the database (see IsPostgres). A search_path parameter
	// in the URL names the schema, created if missing. "" means
	// DataDir/inbox.db.
	DB string
	// Blobs is where attachments and raw messages are kept: a directory
	// (shared by every instance on PostgreSQL, e.g. a network mount) or
	// an S3-compatible bucket ("s3://bucket?endpoint=...&region=...",
	// credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). ""
	// means DataDir/blobs (memory with MemoryDB).
	Blobs string
	// Instance names this process in the store's mailbox leases. "" means
	// INBOXKIT_INSTANCE, else on SQLite a name kept in DataDir, else a
	// fresh name per process.
	Instance string
	// Run tunes the background work: how often mailboxes sync and how
	// long a mailbox lease lasts. Zero fields get the engine's defaults.
	Run RunTuning
	// Keys is the master key ring for sealed secrets. Empty: integration
	// secrets cannot be stored.
	Keys []seal.Key
	// OpenAI enables AI features when APIKey is set.
	OpenAI OpenAI
	// Demo seeds the demo tenant on first start.
	Demo bool
	// DemoHistory is how many older, finished demo conversations are
	// added over the past four weeks, for the statistics. 0: none.
	DemoHistory int
	// DemoWebhookSecret is the demo web form's signing secret
	// ("whsec_..."). "" generates one.
	DemoWebhookSecret string
	// BcryptCost lowers password hashing cost in tests. 0: the default.
	BcryptCost int
	// SecureCookies sets Secure on cookies even over plain HTTP (behind a
	// TLS proxy).
	SecureCookies bool
	// TrustProxy takes client addresses from X-Forwarded-For.
	TrustProxy bool
	// Admin, when its Email is set, creates the tenant and its first admin
	// account on start if they do not exist: how a server without demo
	// data gets its first login.
	Admin Bootstrap
	// Logger receives logs (already masked by the caller). Nil: discarded.
	Logger *slog.Logger
	// Clock overrides the engine's clock in tests. Nil: the system clock.
	Clock inbox.Clock
	// Deadlines bound slow request bodies. Zero: the defaults.
	Deadlines Deadlines
	// SessionTTL is how long a browser session lasts without use. 0: 12
	// hours.
	SessionTTL time.Duration
	// Metrics configures the Prometheus endpoint.
	Metrics MetricsConfig
	// OAuth are the applications registered at Google and Microsoft:
	// each adds a "Connect" button for its provider's mailboxes. Empty:
	// mailboxes log in with passwords only.
	OAuth []oauth.Client
	// PublicURL is the server's address as browsers reach it
	// ("https://inbox.example"); OAuth redirect URLs are built on it. "":
	// taken from each request.
	PublicURL string
	// VonageSMSURL is the Vonage SMS API prefix; the account API that
	// checks credentials when an SMS integration is saved is next to it.
	// "": Vonage's own.
	VonageSMSURL string
	// VonageMessagesURL is the Vonage Messages API host that WhatsApp
	// messages and templates are sent to. "": Vonage's own.
	VonageMessagesURL string
}

// MetricsConfig configures the Prometheus endpoint.
type MetricsConfig struct {
	// Token, when set, is required as "Authorization: Bearer <token>" to
	// read /metrics. "": anyone reaching the endpoint may read it.
	Token string
	// Separate leaves /metrics off Handler, for the host to serve
	// MetricsHandler on a listener of its own. false: /metrics is on
	// Handler.
	Separate bool
}

// RunTuning tunes App.Run.
type RunTuning struct {
	// SyncInterval is how often every mailbox is synced. 0: one minute.
	SyncInterval time.Duration
	// LeaseTTL is how long an instance holds a mailbox without renewing
	// it: the mailboxes of an instance that died move to another after
	// at most this long. 0: 30 s.
	LeaseTTL time.Duration
	// ShutdownTimeout bounds how long running syncs may take to commit
	// once Run's context ended. 0: 30 s.
	ShutdownTimeout time.Duration
}

// Bootstrap names a tenant and its first admin.
type Bootstrap struct {
	Tenant     inbox.TenantID // "" means "default"
	TenantName string         // "" means the tenant id
	Email      string
	Name       string // "" means "Admin"
	Password   string
}

// bootstrapActor is the audit actor of what the server sets up itself.
const bootstrapActor = "bootstrap"

// setUpTenants creates the configured first tenant and the demo tenant
// when they are missing. It runs on an engine of its own, before the
// inbox's engine is assembled: the knowledge base finds out whether the
// store keeps one through an existing tenant, and the AI responder built
// before that engine needs the knowledge base.
func (a *App) setUpTenants(ctx context.Context) error {
	if a.cfg.Admin.Email == "" && !a.cfg.Demo {
		return nil
	}
	eng, err := inbox.New(inbox.Options{Store: a.Store, Clock: a.cfg.Clock, Logger: a.log})
	if err != nil {
		return err
	}
	defer eng.Close()
	if a.cfg.Admin.Email != "" {
		if err := a.bootstrap(ctx, eng, a.cfg.Admin); err != nil {
			return err
		}
	}
	if a.cfg.Demo {
		return demo.EnsureTenant(ctx, eng)
	}
	return nil
}

// bootstrap creates the tenant and admin account of b if missing.
func (a *App) bootstrap(ctx context.Context, eng *inbox.Engine, b Bootstrap) error {
	if b.Tenant == "" {
		b.Tenant = "default"
	}
	if b.TenantName == "" {
		b.TenantName = string(b.Tenant)
	}
	if b.Name == "" {
		b.Name = "Admin"
	}
	if _, err := eng.Tenant(ctx, b.Tenant); errors.Is(err, inbox.ErrNotFound) {
		_, err := eng.CreateTenant(ctx, inbox.Tenant{ID: b.Tenant, Name: b.TenantName}, inbox.Change{Actor: bootstrapActor})
		if err != nil && !errors.Is(err, inbox.ErrConflict) {
			return fmt.Errorf("create tenant %q: %w", b.Tenant, err)
		}
	} else if err != nil {
		return err
	}
	_, err := a.Accounts.CreateAccount(ctx, auth.NewAccount{Tenant: b.Tenant, ID: "admin", Email: b.Email, Name: b.Name, Role: auth.RoleAdmin, Password: b.Password})
	if err != nil && !errors.Is(err, inbox.ErrConflict) {
		return fmt.Errorf("first admin: %w", err)
	}
	return nil
}

// App is the assembled server.
type App struct {
	Store    driver.Store
	Engine   *inbox.Engine
	Sealer   inbox.Sealer
	Accounts *auth.Directory
	API      *api.Server
	// Registry holds the server's Prometheus series: the engine's, the
	// adapters', HTTP latency by route, and the Go runtime's.
	Registry *prometheus.Registry
	// Metrics reports into Registry.
	Metrics *metrics.Prometheus
	// Demo reports what seeding did (zero when Config.Demo is false).
	Demo demo.Result
	// DemoWebhookSecret is the demo web form's secret.
	DemoWebhookSecret string

	cfg        Config
	log        *slog.Logger
	knowledge  *reply.Knowledge
	summarizer *reply.Summarizer
	sms        *vonage.SMSReceiver
	handler    http.Handler
	closers    []func() error
	runOnce    sync.Once
	// broker carries events between instances on PostgreSQL; nil
	// otherwise.
	broker *postgres.Broker
	// authDB keeps accounts and sessions on PostgreSQL; nil otherwise.
	authDB *sql.DB
	// sessions are the browser sessions.
	sessions *auth.Sessions
	// draining is set once shutdown began: /readyz answers 503 so load
	// balancers stop sending new work while requests in flight finish.
	draining atomic.Bool
}

// New opens the store and builds the App. Close releases it.
func New(ctx context.Context, cfg Config) (*App, error) {
	a := &App{cfg: cfg, log: cfg.Logger}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := a.build(ctx); err != nil {
		_ = a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) (err error) {
	cfg := a.cfg
	features := api.Features{Classifier: "rules"}

	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Metrics = metrics.New(a.Registry, metrics.Options{Logger: a.log})

	storeName, err := a.openStore(ctx)
	if a.Store != nil {
		a.closers = append(a.closers, a.Store.Close)
	}
	if err != nil {
		return err
	}
	features.Store = storeName
	blobs, err := a.openBlobs(ctx)
	if err != nil {
		return err
	}
	accountsPath := ""
	if storeName == "sqlite" {
		accountsPath = filepath.Join(cfg.DataDir, "accounts.json")
	}

	if len(cfg.Keys) > 0 {
		s, err := seal.New(seal.Options{Keys: cfg.Keys})
		if err != nil {
			return fmt.Errorf("master keys: %w", err)
		}
		a.Sealer = s
	}
	if a.Accounts, err = auth.OpenDirectory(auth.DirectoryOptions{Path: accountsPath, DB: a.authDB, BcryptCost: cfg.BcryptCost}); err != nil {
		return err
	}
	if a.authDB != nil {
		a.sessions, err = auth.OpenSessions(ctx, auth.SessionOptions{DB: a.authDB, TTL: cfg.SessionTTL, Logger: a.log})
		if err != nil {
			return err
		}
	} else {
		a.sessions = auth.NewSessions(cfg.SessionTTL, nil)
	}

	// Instances started together on one database set up the first
	// tenant and the demo one after the other, not both at once.
	release, err := a.holdSetup(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := a.setUpTenants(ctx); err != nil {
		return err
	}
	clock := cfg.Clock
	var demoClock *demo.Clock
	if cfg.Demo {
		if clock == nil {
			demoClock = &demo.Clock{}
			clock = demoClock
		}
	}
	ruleClassifier := rules.New(rules.Options{Logger: a.log})
	// The learner waits for 30 manual filings before it guesses, and
	// guesses only when fairly sure: a wrong folder costs more than none.
	learner := learn.New(learn.Options{MinExamples: 30, MinConfidence: 0.8})
	chain := []inbox.Classifier{ruleClassifier}
	var responder inbox.Responder
	if cfg.OpenAI.APIKey != "" {
		model := cfg.OpenAI.Model
		if model == "" {
			model = DefaultModel
		}
		oc := openai.DefaultConfig(cfg.OpenAI.APIKey)
		if cfg.OpenAI.BaseURL != "" {
			oc.BaseURL = cfg.OpenAI.BaseURL
		}
		aiClassifier, err := ai.New(ai.Options{Config: oc, Model: model, Logger: a.log, Metrics: a.Metrics})
		if err != nil {
			return fmt.Errorf("AI classifier: %w", err)
		}
		// The model is slow: the engine runs it, and whatever follows it
		// in the chain, as durable background work off the intake path;
		// the rules before it still file at once.
		chain = append(chain, aiClassifier)
		client := reply.ClientOptions{BaseURL: cfg.OpenAI.BaseURL, APIKey: reply.Secret(cfg.OpenAI.APIKey), Metrics: a.Metrics}
		if a.knowledge, err = newKnowledge(a.Store, a.log); err != nil {
			return err
		}
		if responder, err = reply.NewAI(reply.AIOptions{ClientOptions: client, Model: model, Knowledge: a.knowledge, Logger: a.log}); err != nil {
			return fmt.Errorf("AI responder: %w", err)
		}
		if a.summarizer, err = reply.NewSummarizer(reply.SummarizerOptions{ClientOptions: client, Model: model, Logger: a.log}); err != nil {
			return fmt.Errorf("AI summaries: %w", err)
		}
		features.AI, features.AIModel = true, model
		features.Classifier = "rules, AI, learner, intent"
	} else {
		features.Classifier = "rules, learner, intent"
	}
	// The offline intent and urgency labeller never files; it fills the
	// intent and urgency that the member which filed left empty. It costs
	// about as much CPU per message as storing it, so it runs as
	// background work: a first sync of a full mailbox goes at the store's
	// speed and the labels follow.
	chain = append(chain, learner, classify.Background(classify.Intents(classify.IntentOptions{})))
	classifier := classify.Chain(chain...)

	clients, err := oauthClients(cfg)
	if err != nil {
		return err
	}
	tokensOpts := oauth.TokensOptions{Clients: clients, Rotated: a.storeRefreshToken}
	if clock != nil {
		tokensOpts.Now = clock.Now
	}
	tokens := oauth.NewTokens(tokensOpts)

	// Quarantined mail is replayed from its raw bytes by the same parser
	// the mailboxes use.
	reparser, err := email.NewReplayParser(email.ParseOptions{Blobs: blobs})
	if err != nil {
		return err
	}
	a.Engine, err = inbox.New(inbox.Options{
		Store: a.Store, Blobs: blobs, Sealer: a.Sealer, Classifier: classifier, Responder: responder, Employees: a.Accounts,
		Parsers: map[inbox.Source]inbox.RawParser{inbox.SourceEmail: reparser},
		Schemas: map[inbox.Source]inbox.IntegrationSchema{
			inbox.SourceEmail:    demo.SandboxSchema(email.Schema),
			inbox.SourceSMS:      demo.SandboxSchema(vonage.SMSSchema),
			inbox.SourceWhatsApp: demo.SandboxSchema(vonage.WhatsAppSchema),
			inbox.SourceWebhook:  demo.SandboxSchema(webhook.Schema),
		},
		Channels: map[inbox.Source]inbox.ChannelFactory{
			inbox.SourceEmail:    demo.Sandbox(email.Factory(email.FactoryOptions{Blobs: blobs, Tokens: tokens.Source, Logger: a.log})),
			inbox.SourceSMS:      demo.Sandbox(vonage.SMSFactory(vonage.SMSFactoryOptions{BaseURL: cfg.VonageSMSURL})),
			inbox.SourceWhatsApp: demo.Sandbox(vonage.WhatsAppFactory(vonage.WhatsAppFactoryOptions{BaseURL: cfg.VonageMessagesURL})),
			inbox.SourceWebhook:  demo.Sandbox(webhook.Factory(webhook.FactoryOptions{})),
		},
		Clock: clock, Logger: a.log, Instance: a.instance(cfg), Metrics: a.Metrics,
	})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, a.Engine.Close)

	custom, err := webhook.NewReceiver(a.Engine, webhook.Options{Resolve: a.resolveCustom})
	if err != nil {
		return err
	}
	a.sms, err = vonage.NewSMSReceiver(a.Engine, vonage.SMSOptions{Resolve: a.resolveNumber(inbox.SourceSMS)})
	if err != nil {
		return err
	}
	wa, err := vonage.NewWhatsAppReceiver(a.Engine, vonage.WhatsAppOptions{Resolve: a.resolveNumber(inbox.SourceWhatsApp)})
	if err != nil {
		return err
	}
	features.SMS, features.WhatsApp = true, true

	if cfg.Demo {
		a.DemoWebhookSecret = cfg.DemoWebhookSecret
		if a.DemoWebhookSecret == "" {
			s, err := webhook.NewSecret()
			if err != nil {
				return err
			}
			a.DemoWebhookSecret = s.Encode()
		}
		a.Demo, err = demo.Seed(ctx, demo.Options{Engine: a.Engine, Store: a.Store, Accounts: a.Accounts, WebhookSecret: a.DemoWebhookSecret,
			Clock: demoClock, History: cfg.DemoHistory, WorkBeforeActions: !features.AI})
		if err != nil {
			return err
		}
		features.Demo = true
		features.DemoLogin, features.DemoPassword = demo.Employees[0].Email, demo.Password
	}
	if a.knowledge == nil {
		if a.knowledge, err = newKnowledge(a.Store, a.log); err != nil {
			return err
		}
	}
	if cfg.Demo && a.knowledge != nil {
		if err := demo.SeedKnowledge(ctx, a.knowledge); err != nil {
			return err
		}
	}
	var summaries api.Summarizer
	if a.summarizer != nil {
		summaries = summaryAdapter{a.summarizer, a.Engine}
	}

	// Instances sharing a database count failed logins together; one
	// server counts them in memory (nil: the API's default).
	var limiter *auth.LoginLimiter
	if a.authDB != nil {
		if limiter, err = auth.OpenLoginLimiter(ctx, a.authDB, 0, 0, nil); err != nil {
			return err
		}
	}
	a.API, err = api.New(api.Options{
		Engine: a.Engine, Auth: &auth.Authenticator{Dir: a.Accounts, Sessions: a.sessions, SecureCookies: cfg.SecureCookies,
			TrustProxy: cfg.TrustProxy}, Limiter: limiter,
		Sealer: a.Sealer, Rules: ruleClassifier, Features: features, Knowledge: a.knowledge, Summarizer: summaries,
		SMSWebhook: a.sms, WhatsAppWebhook: wa, CustomWebhook: custom,
		TrustProxy: cfg.TrustProxy, OAuth: api.OAuthOptions{Clients: clients, PublicURL: cfg.PublicURL, Prime: tokens.Prime}, Logger: a.log,
	})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, func() error { a.API.Close(); return nil })

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("/inbox/", a.API)
	mux.Handle("/", web.Handler())
	if !cfg.Metrics.Separate {
		mux.Handle(metricsPath, a.MetricsHandler())
	}
	a.handler = a.Metrics.Handler(bodyDeadlines(mux, cfg.Deadlines), a.route)
	return nil
}

// oauthActor is the audit actor of a refresh token the provider replaced.
const oauthActor = "oauth"

// oauthClients checks the registered OAuth applications and keys them by
// provider.
func oauthClients(cfg Config) (map[string]oauth.Client, error) {
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, inbox.Invalid("PublicURL", "must be the server's address, like https://inbox.example")
		}
	}
	out := map[string]oauth.Client{}
	for _, c := range cfg.OAuth {
		switch {
		case c.Provider.ID == "" || c.Provider.Endpoint.AuthURL == "" || c.Provider.Endpoint.TokenURL == "":
			return nil, inbox.Invalid("OAuth.Provider", "needs an id and its authorization and token URLs")
		case c.ClientID == "" || c.ClientSecret == "":
			return nil, inbox.Invalid("OAuth."+c.Provider.ID, "needs the client id and the client secret of the registered application")
		}
		if _, dup := out[c.Provider.ID]; dup {
			return nil, inbox.Invalid("OAuth."+c.Provider.ID, "is configured twice")
		}
		out[c.Provider.ID] = c
	}
	return out, nil
}

// storeRefreshToken seals a refresh token the provider replaced, so the
// mailbox stays connected after a restart and on every instance.
func (a *App) storeRefreshToken(ctx context.Context, in inbox.Integration, refreshToken string) error {
	_, err := a.Engine.UpdateIntegration(ctx, in.TenantID, in.ID, inbox.IntegrationChange{
		Secrets: map[string]string{email.SecretOAuthRefreshToken: refreshToken}}, inbox.Change{Actor: oauthActor})
	if err != nil {
		a.log.Warn("oauth: store the replaced refresh token", "integration", in.ID, "err", err)
	}
	return err
}

// Handler is the whole server: API, webhooks, UI and, unless
// Config.Metrics.Separate, /metrics.
func (a *App) Handler() http.Handler { return a.handler }

// Run does the background work (scheduled sync, outbox, follow-ups,
// concatenated SMS flush) until ctx ends.
func (a *App) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.sms.Run(ctx) })
	if a.summarizer != nil {
		stop := a.summarizer.Watch(ctx, a.Engine)
		defer stop()
	}
	if a.broker != nil {
		wg.Go(func() {
			if err := a.Engine.RunBroker(ctx, a.broker); err != nil {
				a.log.Error("server: live events between instances stopped", "err", err)
			}
		})
	}
	t := a.cfg.Run
	err := a.Engine.Run(ctx, inbox.RunOptions{Watch: true, SyncInterval: t.SyncInterval, LeaseTTL: t.LeaseTTL,
		ShutdownTimeout: t.ShutdownTimeout})
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Close releases the store and stops event delivery.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}
