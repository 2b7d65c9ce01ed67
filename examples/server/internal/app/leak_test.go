package app_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox/logmask"
	"github.com/inboxkit/inboxkit/inbox/logmask/logmasktest"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

// Distinctive credentials and customer data: any of them found in a log
// line or an API answer is a leak.
const (
	leakAdminEmail    = "leak.admin@boutique-leak.example"
	leakAdminPassword = "Adm1n-Pa55-leakcheck-Q7"
	leakWrongPassword = "Wr0ng-Guess-leakcheck-Z5"
	leakIMAPUser      = "boutique.mailbox@mail-leak.example"
	leakIMAPPassword  = "Imap-Pa55-leakcheck-K3"
	leakSMTPPassword  = "Smtp-Pa55-leakcheck-M8"
	leakAPISecret     = "VonageApiSecret-leakcheck-R2"
	leakSigSecret     = "VonageSigSecret-leakcheck-T4"
	leakWebhookKey    = "custom-webhook-key-leakcheck-W9" // the raw bytes of the whsec_ secret
	leakOpenAIKey     = "sk-leakcheck-openai-key-H6b2"
	leakNumber        = "33757000123" // the shop's SMS number (not a customer)
	leakCustomerPhone = "33698765432"
	leakCustomerEmail = "camille.leakcheck@client-leak.example"
	leakFormPhone     = "+33611223344"
)

// bodyRecorder is an http.RoundTripper keeping every response body, with
// the request that produced it.
type bodyRecorder struct {
	mu     sync.Mutex
	bodies []recordedBody
}

type recordedBody struct {
	method, path string
	status       int
	body         string
}

func (r *bodyRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	r.mu.Lock()
	r.bodies = append(r.bodies, recordedBody{method: req.Method, path: req.URL.Path, status: res.StatusCode, body: string(raw)})
	r.mu.Unlock()
	return res, nil
}

func (r *bodyRecorder) all() []recordedBody {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedBody(nil), r.bodies...)
}

// refusingIMAP is a loopback IMAP server that speaks just enough of the
// protocol to refuse every login, as a server does for a wrong password.
func refusingIMAP(t *testing.T) (port string, logins *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	logins = &atomic.Int64{}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveRefusingIMAP(conn, logins)
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, logins
}

func serveRefusingIMAP(conn net.Conn, logins *atomic.Int64) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	rd := bufio.NewReader(conn)
	say := func(lines ...string) bool {
		_, err := io.WriteString(conn, strings.Join(lines, "\r\n")+"\r\n")
		return err == nil
	}
	if !say("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] leak-test IMAP ready") {
		return
	}
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			say("* BAD empty command")
			continue
		}
		tag, cmd := f[0], strings.ToUpper(f[1])
		switch cmd {
		case "CAPABILITY":
			say("* CAPABILITY IMAP4rev1 AUTH=PLAIN", tag+" OK CAPABILITY completed")
		case "AUTHENTICATE":
			logins.Add(1)
			if len(f) == 3 { // no initial response: ask for it
				say("+ ")
				if _, err := rd.ReadString('\n'); err != nil {
					return
				}
			}
			say(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
		case "LOGIN":
			logins.Add(1)
			say(tag + " NO [AUTHENTICATIONFAILED] Authentication failed.")
		case "LOGOUT":
			say("* BYE logging out", tag+" OK LOGOUT completed")
			return
		default:
			say(tag + " BAD not supported here")
		}
	}
}

// failingOpenAI answers the chat-completions API with OpenAI's error
// documents: 401 for summaries, 500 for everything else.
func failingOpenAI(t *testing.T, calls *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(body, []byte("conversation_summary")) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-leak****H6b2. You can find your API key in your account settings.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLeak runs realistic flows — logins, integrations with credentials,
// a refused IMAP sync, signed and forged webhooks, API tokens, failing AI
// calls — with the production log masking at debug level, then checks
// that no credential reached a log line or an API answer, and that
// customer numbers and addresses are logged only masked.
func TestLeak(t *testing.T) {
	imapPort, imapLogins := refusingIMAP(t)
	var aiCalls atomic.Int64
	openai := failingOpenAI(t, &aiCalls)

	log, logs := logmasktest.New(logmask.Options{})
	var material [seal.KeySize]byte
	_, _ = rand.Read(material[:])
	masterKey := base64.StdEncoding.EncodeToString(material[:])
	keys, err := seal.ParseKeys("k1:" + masterKey)
	require.NoError(t, err)
	dataDir := t.TempDir()
	cfg := app.Config{DataDir: dataDir, Keys: keys, BcryptCost: bcrypt.MinCost, Logger: log,
		Admin:  app.Bootstrap{Tenant: "leak", Email: leakAdminEmail, Password: leakAdminPassword},
		OpenAI: app.OpenAI{APIKey: leakOpenAIKey, BaseURL: openai.URL + "/v1", Model: "test-model"}}
	ts, stop := startLeakApp(t, cfg)

	rec := &bodyRecorder{}
	hc := &http.Client{Transport: rec}
	newRecClient := func() *client {
		c := newClient(t, ts.URL)
		c.http.Transport = rec
		return c
	}

	// Logins: a wrong password first, then the right one.
	p := newRecClient().problem(http.MethodPost, "/inbox/session", map[string]string{"email": leakAdminEmail, "password": leakWrongPassword}, http.StatusUnauthorized)
	require.Contains(t, p.Detail, "email or password is wrong")
	c := newRecClient().login(leakAdminEmail, leakAdminPassword)
	require.NotEmpty(t, c.csrf)
	// Session cookies and CSRF tokens of every login.
	var sessions, csrfs []string
	keepSession := func(c *client) {
		t.Helper()
		base, _ := url.Parse(ts.URL + "/inbox/")
		for _, ck := range c.http.Jar.Cookies(base) {
			if ck.Name == auth.CookieName {
				sessions = append(sessions, ck.Value)
			}
		}
		require.Len(t, sessions, len(csrfs)+1)
		csrfs = append(csrfs, c.csrf)
	}
	keepSession(c)

	// Integrations with credentials.
	type integrationJSON struct {
		ID         string            `json:"id"`
		SecretsSet []string          `json:"secrets_set"`
		Config     map[string]string `json:"config"`
	}
	var mail, sms, hook integrationJSON
	mailbox := map[string]any{"kind": "email", "name": "Boutique mailbox",
		"config": map[string]string{
			email.ConfigIMAPHost: "127.0.0.1", email.ConfigIMAPPort: imapPort, email.ConfigIMAPSecurity: "plain",
			email.ConfigSMTPHost: "127.0.0.1", email.ConfigSMTPPort: "1", email.ConfigSMTPSecurity: "plain",
			email.ConfigUsername: leakIMAPUser, email.ConfigSMTPUsername: "smtp." + leakIMAPUser, email.ConfigAddress: leakIMAPUser,
		},
		"secrets": map[string]string{email.SecretPassword: leakIMAPPassword, email.SecretSMTPPassword: leakSMTPPassword}}
	// Saving runs the connection test: the server refuses the password,
	// and the refusal says so without the password.
	refused := c.problem(http.MethodPost, "/inbox/integrations", mailbox, http.StatusUnprocessableEntity)
	require.Contains(t, refused.Detail, "refused the login")
	// Saved anyway, without the test, so that the scheduler meets the
	// refusal too.
	c.json(http.MethodPost, "/inbox/integrations?test=false", mailbox, http.StatusCreated, &mail)
	require.ElementsMatch(t, []string{email.SecretPassword, email.SecretSMTPPassword}, mail.SecretsSet)
	c.json(http.MethodPost, "/inbox/integrations?test=false", map[string]any{"kind": "sms", "name": "SMS boutique",
		"config":  map[string]string{vonage.ConfigFrom: leakNumber, vonage.ConfigAPIKey: "a1b2c3d4", vonage.ConfigSignatureMethod: "sha256"},
		"secrets": map[string]string{vonage.SecretAPISecret: leakAPISecret, vonage.SecretSignature: leakSigSecret}}, http.StatusCreated, &sms)
	require.ElementsMatch(t, []string{vonage.SecretAPISecret, vonage.SecretSignature}, sms.SecretsSet)
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte(leakWebhookKey))
	secret, err := webhook.ParseSecret(whsec)
	require.NoError(t, err)
	c.json(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "webhook", "name": "Contact form",
		"secrets": map[string]string{"signing_secret": whsec}}, http.StatusCreated, &hook)
	require.Equal(t, []string{"signing_secret"}, hook.SecretsSet)

	// Restart, as after a deploy: the scheduler's first pass syncs the
	// mailbox, the server refuses the password, and the failure is logged.
	stop()
	ts, stop = startLeakApp(t, cfg)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "inbox: scheduled sync failed") },
		10*time.Second, 20*time.Millisecond, "the refused scheduled sync is logged")
	c = newRecClient().login(leakAdminEmail, leakAdminPassword)
	keepSession(c)

	// Read them back, one by one and as a list, and through the audit.
	for _, path := range []string{"/inbox/integrations", "/inbox/integrations/" + mail.ID, "/inbox/integrations/" + sms.ID,
		"/inbox/integrations/" + hook.ID, "/inbox/audit?limit=1000"} {
		c.json(http.MethodGet, path, nil, http.StatusOK, nil)
	}

	// A manual sync against a server that refuses the password: reported
	// to the caller and logged.
	res, raw := c.do(http.MethodPost, "/inbox/integrations/"+mail.ID+"/sync", nil)
	require.GreaterOrEqual(t, res.StatusCode, 400, string(raw))
	require.Contains(t, string(raw), "refused the login")
	require.Positive(t, imapLogins.Load())

	// Vonage SMS webhooks: a signed one is stored, a forged one refused.
	postSMS := func(msgID string, key []byte) int {
		t.Helper()
		p := vonage.SMSParams{"msisdn": leakCustomerPhone, "to": leakNumber, "messageId": msgID, "type": "text",
			"text":              "Bonjour, ma commande n'est pas arrivée. Écrivez-moi à " + leakCustomerEmail,
			"message-timestamp": time.Now().UTC().Format("2006-01-02 15:04:05"),
			"timestamp":         strconv.FormatInt(time.Now().Unix(), 10), "nonce": msgID + "-nonce"}
		sig, err := vonage.SignSMS(p, key, vonage.HMACSHA256)
		require.NoError(t, err)
		p["sig"] = sig
		form := url.Values{}
		for k, v := range p {
			form.Set(k, v)
		}
		res, err := hc.Post(ts.URL+"/inbox/webhooks/sms", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, postSMS("0B0000001", []byte(leakSigSecret)))
	require.Equal(t, http.StatusUnauthorized, postSMS("0B0000002", []byte("not-the-secret")))

	// Custom webhooks: signed and forged.
	postCustom := func(id string, s webhook.Secret) int {
		t.Helper()
		body, err := json.Marshal(map[string]any{"external_id": id, "channel": "form",
			"from": map[string]string{"name": "Camille Leak", "email": leakCustomerEmail, "phone": leakFormPhone},
			"text": "Bonjour, rappelez-moi au " + leakFormPhone + " s'il vous plaît."})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/inbox/webhooks/custom/"+hook.ID, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		webhook.SignHeaders(req.Header, "msg_"+id, time.Now(), body, s)
		res, err := hc.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, postCustom("form-1", secret))
	forged, err := webhook.NewSecret()
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, postCustom("form-2", forged))

	// An API token, created once and used as a Bearer.
	var tok struct{ ID, Token string }
	c.json(http.MethodPost, "/inbox/tokens", map[string]string{"name": "CRM sync", "role": "agent"}, http.StatusCreated, &tok)
	require.True(t, strings.HasPrefix(tok.Token, auth.TokenPrefix))
	bot := newRecClient()
	bot.bearer = tok.Token
	var l listJSON
	bot.json(http.MethodGet, "/inbox/conversations?source=sms", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1, "the signed SMS is stored, the forged one is not")
	bot.json(http.MethodGet, "/inbox/conversations/"+l.Items[0].ID, nil, http.StatusOK, nil)
	c.json(http.MethodGet, "/inbox/tokens", nil, http.StatusOK, nil)

	// AI calls failing: the summary answers with an error, the classifier
	// logs its failure off the ingest path.
	res, raw = c.do(http.MethodPost, "/inbox/conversations/"+l.Items[0].ID+"/summary", nil)
	require.GreaterOrEqual(t, res.StatusCode, 400, string(raw))
	require.Positive(t, aiCalls.Load())

	// Stop everything so every log line is written before reading them.
	stop()

	secrets := []string{
		leakAdminPassword, leakWrongPassword, leakIMAPPassword, leakSMTPPassword, leakAPISecret, leakSigSecret,
		whsec, strings.TrimPrefix(whsec, "whsec_"), base64.RawStdEncoding.EncodeToString([]byte(leakWebhookKey)),
		base64.URLEncoding.EncodeToString([]byte(leakWebhookKey)), leakWebhookKey,
		tok.Token, strings.TrimPrefix(tok.Token, auth.TokenPrefix), leakOpenAIKey, masterKey,
		// The IMAP AUTHENTICATE PLAIN answer carries the password in base64.
		base64.StdEncoding.EncodeToString([]byte("\x00" + leakIMAPUser + "\x00" + leakIMAPPassword)),
	}
	secrets = append(append(secrets, sessions...), csrfs...)
	customer := []string{leakCustomerPhone, "+" + leakCustomerPhone, leakCustomerEmail, leakFormPhone, strings.TrimPrefix(leakFormPhone, "+"),
		leakIMAPUser, leakAdminEmail}

	require.NotEmpty(t, logs.String())
	require.Contains(t, logs.String(), "refused the login", "the failed sync is logged")
	logs.RequireNoLeaks(t, secrets...)
	logs.RequireNoLeaks(t, customer...)
	// The customer is still recognisable to whoever reads the logs: the
	// number keeps its last digits, the address its domain.
	require.Regexp(t, `"vonage sms received".*"from":"[0-9]*\*+`+leakCustomerPhone[len(leakCustomerPhone)-2:]+`"`, logs.String())
	require.Contains(t, logs.String(), `***@mail-leak.example`)

	bodies := rec.all()
	require.NotEmpty(t, bodies)
	for _, b := range bodies {
		for i, s := range secrets {
			switch {
			case strings.HasSuffix(tok.Token, s) && b.method == http.MethodPost && b.path == "/inbox/tokens":
				continue // shown once, to its creator
			case slices.Contains(csrfs, s) && b.path == "/inbox/session":
				continue // handed to the logged-in browser
			}
			if strings.Contains(b.body, s) {
				t.Errorf("secret #%d (%d bytes) appears in the answer to %s %s (%d)", i, len(s), b.method, b.path, b.status)
			}
		}
	}
}

// startLeakApp runs an App on cfg behind an httptest server; stop (also
// run at cleanup) shuts both down and waits until every log line is
// written.
func startLeakApp(t *testing.T, cfg app.Config) (*httptest.Server, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	ts := httptest.NewServer(a.Handler())
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ts.CloseClientConnections()
			ts.Close()
			cancel()
			<-done
			require.NoError(t, a.Close())
		})
	}
	t.Cleanup(stop)
	return ts, stop
}
