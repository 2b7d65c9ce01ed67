// Command server is inboxkit's reference server: the whole shared inbox —
// REST API, web UI with live updates, channel webhooks, scheduler — on the
// embedded SQLite store, seeded with a demo company on first start.
//
//	go run ./examples/server
//
// prints the URL and a demo login. Every setting is a flag with an
// environment equivalent:
//
//	-addr    INBOXKIT_ADDR     listen address (127.0.0.1:8080)
//	-data    INBOXKIT_DATA     data directory (./data)
//	-db      INBOXKIT_DB       SQLite file (<data>/inbox.db), "memory", or a PostgreSQL URL
//	                           (postgres://...; several instances may share it)
//	-blobs   INBOXKIT_BLOBS    attachments: a directory (<data>/blobs; shared by every instance),
//	                           or s3://bucket?endpoint=host:port&region=... (AWS_ACCESS_KEY_ID,
//	                           AWS_SECRET_ACCESS_KEY)
//	-instance INBOXKIT_INSTANCE  this process's name in mailbox leases (a pod name; default:
//	                           kept in <data> on SQLite, fresh per process on PostgreSQL)
//	-lease    INBOXKIT_LEASE     how long a mailbox stays with an instance that stopped renewing (30s)
//	-sync-interval INBOXKIT_SYNC_INTERVAL  how often mailboxes are synced (1m)
//	-shutdown-timeout INBOXKIT_SHUTDOWN_TIMEOUT  on SIGTERM, how long requests and syncs in
//	                           flight may take to finish (20s)
//	-demo    INBOXKIT_DEMO     seed the demo tenant "Maison Lumière" (true)
//	         INBOXKIT_KEYS     master keys for sealed secrets, "k1:<base64 32 bytes>,..."
//	                           (demo mode without it: generated into <data>/master.keys, mode 0600)
//	-openai-key   OPENAI_API_KEY    enables AI classification, replies and summaries
//	-openai-url   OPENAI_BASE_URL
//	-openai-model INBOXKIT_OPENAI_MODEL
//	-secure-cookies INBOXKIT_SECURE_COOKIES  mark cookies Secure behind a TLS proxy
//	-trust-proxy    INBOXKIT_TRUST_PROXY     client address from X-Forwarded-For
//	-log-level      INBOXKIT_LOG_LEVEL       debug, info, warn, error
//	-admin-email    INBOXKIT_ADMIN_EMAIL     create this first admin (password in INBOXKIT_ADMIN_PASSWORD)
//	-tenant         INBOXKIT_TENANT          the first admin's tenant id ("default")
//	-max-conns-per-ip INBOXKIT_MAX_CONNS_PER_IP  open connections per client address (64; 0 with -trust-proxy)
//	-metrics-addr   INBOXKIT_METRICS_ADDR    serve /metrics on this address instead of -addr
//	-metrics-token  INBOXKIT_METRICS_TOKEN   require "Authorization: Bearer <token>" on /metrics
//	-vonage-sms-url INBOXKIT_VONAGE_SMS_URL  Vonage SMS API prefix (https://rest.nexmo.com/sms); SMS
//	                                         credentials are checked at the account API next to it
//	-vonage-messages-url INBOXKIT_VONAGE_MESSAGES_URL  Vonage Messages API host (https://api.nexmo.com)
//	                                         that WhatsApp messages and templates are sent to
//
// Prometheus metrics are served at /metrics on the main listener: ingest
// counts and latency, sync lag and failures per integration, outbox and
// work-queue depth, AI call latency and errors, refused webhooks by
// reason, and HTTP latency by route. Without -metrics-token anyone who
// reaches the listener can read them; set a token (prefer the
// environment variable: flags show in process listings) or move them to a
// private address with -metrics-addr.
//
// Gmail and Microsoft 365 mailboxes can be connected with OAuth
// (Settings → Integrations) once an application is registered there
// (see README.md):
//
//	-public-url     INBOXKIT_PUBLIC_URL      the server's address as browsers reach it (OAuth redirect URLs)
//	-google-client-id    INBOXKIT_GOOGLE_CLIENT_ID     "Connect Gmail" (secret in INBOXKIT_GOOGLE_CLIENT_SECRET)
//	-microsoft-client-id INBOXKIT_MICROSOFT_CLIENT_ID  "Connect Microsoft 365" (secret in INBOXKIT_MICROSOFT_CLIENT_SECRET)
//	-microsoft-tenant    INBOXKIT_MICROSOFT_TENANT     "common" (any organisation), "organizations" or a directory
//	-google-auth-url, -google-token-url, -microsoft-auth-url, -microsoft-token-url
//	                     INBOXKIT_GOOGLE_AUTH_URL...   other authorization servers (a test double)
//
// GET /healthz answers 200 while the process serves; GET /readyz answers
// 200 while the database answers and the server is not shutting down. On
// SIGTERM the server stops being ready, ends live event streams (browsers
// reconnect elsewhere), lets requests in flight finish, then stops the
// background work, within -shutdown-timeout for each.
//
// A request's headers must arrive within 10 s; its body may pause 15 s at
// most (10 minutes in all); an idle connection closes after a minute.
//
// Vonage credentials are per integration (Settings → Integrations), sealed
// with the master key; SMS and WhatsApp webhooks are received at
// /inbox/webhooks/sms and /inbox/webhooks/whatsapp and matched to the
// integration by the receiving number.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/email/oauth"
	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/logmask"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// settings are the parsed flags.
type settings struct {
	addr, dataDir, db, logLevel string
	blobs, instance             string
	metricsAddr                 string
	metrics                     app.MetricsConfig
	vonageSMSURL                string
	vonageMessagesURL           string
	demo, secureCookies, trust  bool
	run                         app.RunTuning
	shutdownTimeout             time.Duration
	openai                      app.OpenAI
	admin                       app.Bootstrap
	http                        httpLimits
	publicURL                   string
	oauth                       []oauth.Client
}

// httpLimits bound what one client can hold of the server.
type httpLimits struct {
	// ReadHeader bounds the request line and headers; Read the whole
	// request where no body deadline applies; Idle a kept-alive
	// connection between requests.
	ReadHeader, Read, Idle time.Duration
	// BodyIdle and Body bound request bodies (app.Deadlines): how long
	// one may stay silent, and its whole transfer.
	BodyIdle, Body time.Duration
	// ConnsPerIP caps the open connections of one client address; 0: no
	// cap (behind a proxy every connection comes from the proxy).
	ConnsPerIP int
}

// defaultLimits are the production limits. There is no write timeout:
// some answers take long to compute (a first mailbox sync), the event
// stream bounds each of its writes itself, and the connection cap bounds
// what clients that read slowly can hold.
var defaultLimits = httpLimits{ReadHeader: 10 * time.Second, Read: time.Minute, Idle: time.Minute,
	BodyIdle: 15 * time.Second, Body: 10 * time.Minute, ConnsPerIP: 64}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

// envDuration reads a duration from the environment.
func envDuration(name string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: %q is not a duration such as 30s or 2m", name, v)
	}
	return d, nil
}

// defaultShutdownTimeout leaves a margin under the 30 s orchestrators
// usually wait between SIGTERM and SIGKILL.
const defaultShutdownTimeout = 20 * time.Second

func parse(args []string) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.StringVar(&s.addr, "addr", env("INBOXKIT_ADDR", "127.0.0.1:8080"), "listen address (INBOXKIT_ADDR)")
	fs.StringVar(&s.dataDir, "data", env("INBOXKIT_DATA", "data"), "data directory (INBOXKIT_DATA)")
	fs.StringVar(&s.db, "db", env("INBOXKIT_DB", ""), `SQLite file, "memory", or a postgres:// URL (INBOXKIT_DB; default <data>/inbox.db)`)
	fs.StringVar(&s.blobs, "blobs", env("INBOXKIT_BLOBS", ""), "attachment directory, or s3://bucket?endpoint=host:port&region=name (INBOXKIT_BLOBS; default <data>/blobs)")
	fs.StringVar(&s.instance, "instance", env("INBOXKIT_INSTANCE", ""), "this process's name in mailbox leases (INBOXKIT_INSTANCE)")
	for _, d := range []struct {
		to        *time.Duration
		flag, env string
		def       time.Duration
		usage     string
	}{
		{&s.run.LeaseTTL, "lease", "INBOXKIT_LEASE", 30 * time.Second, "how long a mailbox stays with an instance that stopped renewing its lease (INBOXKIT_LEASE)"},
		{&s.run.SyncInterval, "sync-interval", "INBOXKIT_SYNC_INTERVAL", time.Minute, "how often mailboxes are synced (INBOXKIT_SYNC_INTERVAL)"},
		{&s.shutdownTimeout, "shutdown-timeout", "INBOXKIT_SHUTDOWN_TIMEOUT", defaultShutdownTimeout, "on SIGTERM, how long requests and syncs in flight may take (INBOXKIT_SHUTDOWN_TIMEOUT)"},
	} {
		def, err := envDuration(d.env, d.def)
		if err != nil {
			return s, err
		}
		fs.DurationVar(d.to, d.flag, def, d.usage)
	}
	fs.BoolVar(&s.demo, "demo", envBool("INBOXKIT_DEMO", true), "seed the demo tenant on first start (INBOXKIT_DEMO)")
	fs.StringVar(&s.openai.APIKey, "openai-key", env("OPENAI_API_KEY", ""), "OpenAI API key; empty turns AI features off (OPENAI_API_KEY)")
	fs.StringVar(&s.openai.BaseURL, "openai-url", env("OPENAI_BASE_URL", ""), "OpenAI-compatible API base URL (OPENAI_BASE_URL)")
	fs.StringVar(&s.openai.Model, "openai-model", env("INBOXKIT_OPENAI_MODEL", ""), "model name (INBOXKIT_OPENAI_MODEL)")
	fs.BoolVar(&s.secureCookies, "secure-cookies", envBool("INBOXKIT_SECURE_COOKIES", false), "mark cookies Secure behind a TLS proxy (INBOXKIT_SECURE_COOKIES)")
	fs.BoolVar(&s.trust, "trust-proxy", envBool("INBOXKIT_TRUST_PROXY", false), "take client addresses from X-Forwarded-For (INBOXKIT_TRUST_PROXY)")
	fs.StringVar(&s.logLevel, "log-level", env("INBOXKIT_LOG_LEVEL", "info"), "debug, info, warn or error (INBOXKIT_LOG_LEVEL)")
	fs.StringVar(&s.admin.Email, "admin-email", env("INBOXKIT_ADMIN_EMAIL", ""), "create this first admin account if missing; password in INBOXKIT_ADMIN_PASSWORD (INBOXKIT_ADMIN_EMAIL)")
	fs.StringVar(&s.vonageSMSURL, "vonage-sms-url", env("INBOXKIT_VONAGE_SMS_URL", ""), "Vonage SMS API prefix; \"\": Vonage's own (INBOXKIT_VONAGE_SMS_URL)")
	fs.StringVar(&s.vonageMessagesURL, "vonage-messages-url", env("INBOXKIT_VONAGE_MESSAGES_URL", ""), "Vonage Messages API host for WhatsApp; \"\": Vonage's own (INBOXKIT_VONAGE_MESSAGES_URL)")
	fs.StringVar(&s.metricsAddr, "metrics-addr", env("INBOXKIT_METRICS_ADDR", ""), "serve /metrics on this address instead of -addr (INBOXKIT_METRICS_ADDR)")
	fs.StringVar(&s.metrics.Token, "metrics-token", env("INBOXKIT_METRICS_TOKEN", ""), "bearer token required to read /metrics (INBOXKIT_METRICS_TOKEN)")
	var tenant string
	fs.StringVar(&tenant, "tenant", env("INBOXKIT_TENANT", "default"), "tenant of the first admin (INBOXKIT_TENANT)")
	s.http = defaultLimits
	connsEnv := env("INBOXKIT_MAX_CONNS_PER_IP", "")
	fs.IntVar(&s.http.ConnsPerIP, "max-conns-per-ip", defaultLimits.ConnsPerIP,
		"open connections one client address may hold; 0: no cap (INBOXKIT_MAX_CONNS_PER_IP; default 0 with -trust-proxy)")
	fs.StringVar(&s.publicURL, "public-url", env("INBOXKIT_PUBLIC_URL", ""), "the server's address as browsers reach it, for OAuth redirect URLs; default: each request's (INBOXKIT_PUBLIC_URL)")
	type providerFlags struct{ id, authURL, tokenURL, tenant string }
	google, microsoft := providerFlags{}, providerFlags{}
	fs.StringVar(&google.id, "google-client-id", env("INBOXKIT_GOOGLE_CLIENT_ID", ""), `client id of the Google application for "Connect Gmail"; secret in INBOXKIT_GOOGLE_CLIENT_SECRET (INBOXKIT_GOOGLE_CLIENT_ID)`)
	fs.StringVar(&google.authURL, "google-auth-url", env("INBOXKIT_GOOGLE_AUTH_URL", ""), "Google authorization endpoint; default Google's (INBOXKIT_GOOGLE_AUTH_URL)")
	fs.StringVar(&google.tokenURL, "google-token-url", env("INBOXKIT_GOOGLE_TOKEN_URL", ""), "Google token endpoint; default Google's (INBOXKIT_GOOGLE_TOKEN_URL)")
	fs.StringVar(&microsoft.id, "microsoft-client-id", env("INBOXKIT_MICROSOFT_CLIENT_ID", ""), `client id of the Microsoft application for "Connect Microsoft 365"; secret in INBOXKIT_MICROSOFT_CLIENT_SECRET (INBOXKIT_MICROSOFT_CLIENT_ID)`)
	fs.StringVar(&microsoft.tenant, "microsoft-tenant", env("INBOXKIT_MICROSOFT_TENANT", "common"), `Microsoft directory: "common", "organizations" or a tenant id (INBOXKIT_MICROSOFT_TENANT)`)
	fs.StringVar(&microsoft.authURL, "microsoft-auth-url", env("INBOXKIT_MICROSOFT_AUTH_URL", ""), "Microsoft authorization endpoint; default Microsoft's (INBOXKIT_MICROSOFT_AUTH_URL)")
	fs.StringVar(&microsoft.tokenURL, "microsoft-token-url", env("INBOXKIT_MICROSOFT_TOKEN_URL", ""), "Microsoft token endpoint; default Microsoft's (INBOXKIT_MICROSOFT_TOKEN_URL)")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	for _, p := range []struct {
		flags     providerFlags
		provider  oauth.Provider
		secretEnv string
	}{{google, oauth.Google, "INBOXKIT_GOOGLE_CLIENT_SECRET"},
		{microsoft, oauth.MicrosoftTenant(microsoft.tenant), "INBOXKIT_MICROSOFT_CLIENT_SECRET"}} {
		if p.flags.id == "" {
			continue
		}
		// Like the admin password, client secrets come from the
		// environment only: flags show in process listings.
		secret := os.Getenv(p.secretEnv)
		if secret == "" {
			return s, fmt.Errorf("-%s-client-id needs %s", p.provider.ID, p.secretEnv)
		}
		if p.flags.authURL != "" {
			p.provider.Endpoint.AuthURL = p.flags.authURL
		}
		if p.flags.tokenURL != "" {
			p.provider.Endpoint.TokenURL = p.flags.tokenURL
		}
		s.oauth = append(s.oauth, oauth.Client{Provider: p.provider, ClientID: p.flags.id, ClientSecret: email.Secret(secret)})
	}
	connsSet := false
	fs.Visit(func(f *flag.Flag) { connsSet = connsSet || f.Name == "max-conns-per-ip" })
	switch {
	case connsSet:
	case connsEnv != "":
		n, err := strconv.Atoi(connsEnv)
		if err != nil || n < 0 {
			return s, fmt.Errorf("INBOXKIT_MAX_CONNS_PER_IP: %q is not a number of connections", connsEnv)
		}
		s.http.ConnsPerIP = n
	case s.trust:
		s.http.ConnsPerIP = 0 // every connection comes from the proxy
	}
	if s.http.ConnsPerIP < 0 {
		return s, fmt.Errorf("-max-conns-per-ip must not be negative")
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for name, d := range map[string]time.Duration{"-lease": s.run.LeaseTTL, "-sync-interval": s.run.SyncInterval, "-shutdown-timeout": s.shutdownTimeout} {
		if d <= 0 {
			return s, fmt.Errorf("%s must be a positive duration such as 30s", name)
		}
	}
	s.run.ShutdownTimeout = s.shutdownTimeout
	s.metrics.Separate = s.metricsAddr != ""
	s.admin.Tenant = inbox.TenantID(tenant)
	if s.admin.Email != "" {
		// The password comes from the environment only, never a flag:
		// flags show in process listings.
		s.admin.Password = os.Getenv("INBOXKIT_ADMIN_PASSWORD")
		if s.admin.Password == "" {
			return s, fmt.Errorf("-admin-email needs INBOXKIT_ADMIN_PASSWORD")
		}
	}
	return s, nil
}

// run starts the server and blocks until ctx ends; it prints the URL and
// the demo login to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	s, err := parse(args)
	if err != nil {
		return err
	}
	return serve(ctx, s, out)
}

// serve is run with parsed settings.
func serve(ctx context.Context, s settings, out io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	// Every log line goes through the masking handler: addresses, numbers
	// and credentials never reach the terminal in clear.
	log := logmask.NewLogger(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}), logmask.Options{})

	keys, generated, err := masterKeys(s)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Config{DataDir: s.dataDir, DB: s.db, Blobs: s.blobs, Instance: s.instance, Run: s.run, Keys: keys, OpenAI: s.openai, Demo: s.demo, DemoHistory: 80,
		SecureCookies: s.secureCookies, TrustProxy: s.trust, Admin: s.admin, Logger: log, Metrics: s.metrics, VonageSMSURL: s.vonageSMSURL,
		VonageMessagesURL: s.vonageMessagesURL,
		OAuth:             s.oauth, PublicURL: s.publicURL,
		Deadlines: app.Deadlines{BodyIdle: s.http.BodyIdle, Body: s.http.Body}})
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	if s.http.ConnsPerIP > 0 {
		ln = capPerIP(ln, s.http.ConnsPerIP)
	}
	// Requests do not end with ctx (SIGTERM): those in flight finish
	// during the shutdown; base ends them if they outlast it.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: s.http.ReadHeader, ReadTimeout: s.http.Read,
		IdleTimeout: s.http.Idle, MaxHeaderBytes: 64 << 10,
		BaseContext: func(net.Listener) context.Context { return base }}
	srv.RegisterOnShutdown(a.Drain)

	var metricsSrv *http.Server
	metricsURL := ""
	if s.metricsAddr != "" {
		mln, err := net.Listen("tcp", s.metricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.MetricsHandler())
		metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: s.http.ReadHeader, ReadTimeout: s.http.Read, IdleTimeout: s.http.Idle}
		go func() { _ = metricsSrv.Serve(mln) }()
		defer metricsSrv.Close()
		metricsURL = "http://" + displayAddr(mln.Addr().String()) + "/metrics"
	}

	fmt.Fprintf(out, "inboxkit reference server on http://%s/\n", displayAddr(ln.Addr().String()))
	if metricsURL != "" {
		fmt.Fprintf(out, "  metrics on %s\n", metricsURL)
	}
	if generated != "" {
		fmt.Fprintf(out, "  generated a master key for sealed secrets in %s (mode 0600); set INBOXKIT_KEYS in production\n", generated)
	}
	if len(keys) == 0 {
		fmt.Fprintln(out, "  no master key (INBOXKIT_KEYS): integration secrets cannot be saved")
	}
	if app.IsPostgres(s.db) {
		fmt.Fprintln(out, "  on PostgreSQL: every instance needs the same INBOXKIT_KEYS and the same -blobs")
	}
	if s.demo {
		if a.Demo.Seeded {
			fmt.Fprintf(out, "  seeded the demo tenant %q with %d conversations\n", "Maison Lumière", a.Demo.Conversations)
		}
		fmt.Fprintf(out, "  demo login: %s / %s (admin); agents hugo@, ines@, tom@maison-lumiere.example, same password\n", demo.Employees[0].Email, demo.Password)
	}
	if s.openai.APIKey == "" {
		fmt.Fprintln(out, "  AI features are off (no OPENAI_API_KEY): rules and the offline learner classify")
	}

	runCtx, cancelRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(runCtx) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		cancelRun()
		<-runDone
		return err
	}
	// Drain: /readyz answers 503 and event streams end (Drain, run by
	// Shutdown), no new connection is accepted, requests in flight
	// finish; those still running at the timeout are cut. Then the
	// background work stops: running syncs commit or roll back within
	// the same timeout, the work queue stops between items.
	a.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("server: requests still running at the shutdown timeout were cut", "timeout", s.shutdownTimeout)
		cancelBase()
		err = srv.Close()
	}
	cancelRun()
	if rerr := <-runDone; rerr != nil && err == nil {
		err = rerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// masterKeys reads INBOXKIT_KEYS; without it, demo mode keeps a generated
// key ring in <data>/master.keys (0600) so secrets survive restarts.
func masterKeys(s settings) ([]seal.Key, string, error) {
	if spec := os.Getenv("INBOXKIT_KEYS"); spec != "" {
		keys, err := seal.ParseKeys(spec)
		if err != nil {
			return nil, "", fmt.Errorf("INBOXKIT_KEYS: %w", err)
		}
		return keys, "", nil
	}
	if !s.demo {
		return nil, "", nil
	}
	path := filepath.Join(s.dataDir, "master.keys")
	if raw, err := os.ReadFile(path); err == nil {
		keys, err := seal.ParseKeys(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		return keys, "", nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", err
	}
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return nil, "", err
	}
	var material [seal.KeySize]byte
	if _, err := rand.Read(material[:]); err != nil {
		return nil, "", err
	}
	spec := "k1:" + base64.StdEncoding.EncodeToString(material[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", err
	}
	if _, err := f.WriteString(spec + "\n"); err != nil {
		f.Close()
		return nil, "", err
	}
	if err := f.Close(); err != nil {
		return nil, "", err
	}
	keys, err := seal.ParseKeys(spec)
	return keys, path, err
}
