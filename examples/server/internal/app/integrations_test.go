package app_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/internal/dovecot"
)

// healthJSON is an integration as the API shows its health.
type healthJSON struct {
	ID      string `json:"id"`
	Enabled bool   `json:"enabled"`
	Version int64  `json:"version"`
	Health  struct {
		State        string    `json:"state"`
		Problem      string    `json:"problem"`
		Failures     int       `json:"failures"`
		FailingSince time.Time `json:"failing_since"`
		NextAttempt  time.Time `json:"next_attempt"`
	} `json:"health"`
}

// deadPort is a loopback port nothing listens on.
func deadPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, ln.Close())
	return port
}

// mailbox is an email integration on a plaintext loopback IMAP server.
func mailbox(name, port, user, password string) map[string]any {
	return map[string]any{"kind": "email", "name": name,
		"config": map[string]string{email.ConfigAddress: user, email.ConfigIMAPHost: "127.0.0.1", email.ConfigIMAPPort: port,
			email.ConfigIMAPSecurity: "plain", email.ConfigUsername: user},
		"secrets": map[string]string{email.SecretPassword: password}}
}

// TestSavingAnIntegrationTestsIt: an integration missing a required
// setting is refused naming it; saving logs in to the mailbox (IMAP login
// and INBOX on a real Dovecot) or checks the Vonage credentials, and a
// failed test refuses the save with the reason in plain words — unless
// the admin saves it anyway, disabled.
func TestSavingAnIntegrationTestsIt(t *testing.T) {
	imap := dovecot.Start(t)
	user := imap.Users[0]
	_, imapPort, err := net.SplitHostPort(imap.Addr)
	require.NoError(t, err)
	vonageURL := fakeVonage(t, "good-key")
	_, ts := newServerWith(t, func(c *app.Config) { c.VonageSMSURL = vonageURL + "/sms" })
	c := admin(t, ts.URL)

	// Required settings, named.
	p := c.problem(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "email", "name": "Only a name"}, http.StatusBadRequest)
	require.Len(t, p.Errors, 1)
	require.Equal(t, "config.address", p.Errors[0].Field)
	require.Equal(t, "is required: Mailbox address", p.Errors[0].Reason)
	p = c.problem(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "sms", "name": "Empty SMS"}, http.StatusBadRequest)
	require.Equal(t, []string{"config.from"}, p.fields())

	// A mailbox that answers: saved, ok.
	var good healthJSON
	c.json(http.MethodPost, "/inbox/integrations", mailbox("Support", imapPort, user.Name, user.Password), http.StatusCreated, &good)
	require.Equal(t, "ok", good.Health.State)

	// A wrong password: refused, in words, without the password.
	p = c.problem(http.MethodPost, "/inbox/integrations", mailbox("Wrong password", imapPort, user.Name, "not-the-password-42"), http.StatusUnprocessableEntity)
	require.Equal(t, "/inbox/problems/connection-test-failed", p.Type)
	require.Equal(t, "The mail server refused the login of "+user.Name+": check the user name and password.", p.Detail)
	require.NotContains(t, p.Detail, "not-the-password-42")

	// A dead server: refused, naming where nothing answers.
	dead := deadPort(t)
	p = c.problem(http.MethodPost, "/inbox/integrations", mailbox("Dead server", dead, user.Name, user.Password), http.StatusUnprocessableEntity)
	require.Equal(t, "Nothing answers at 127.0.0.1 on port "+dead+": check the mail server's name and port.", p.Detail)
	for _, raw := range []string{"dial tcp", "connect:", "imap "} {
		require.NotContains(t, p.Detail, raw, "no Go error text")
	}
	var l struct {
		Items []healthJSON `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &l)
	count := len(l.Items)

	// Saved anyway, disabled: no test, shown as disabled.
	body := mailbox("Dead server", dead, user.Name, user.Password)
	body["enabled"] = false
	var disabled healthJSON
	c.json(http.MethodPost, "/inbox/integrations?test=false", body, http.StatusCreated, &disabled)
	require.False(t, disabled.Enabled)
	require.Equal(t, "disabled", disabled.Health.State)
	c.json(http.MethodGet, "/inbox/integrations", nil, http.StatusOK, &l)
	require.Len(t, l.Items, count+1, "the refused saves stored nothing")
	// Switching it on runs the test again.
	p = c.problem(http.MethodPatch, "/inbox/integrations/"+disabled.ID, map[string]any{"enabled": true, "version": disabled.Version}, http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, "Nothing answers at 127.0.0.1")
	// Renaming it does not.
	c.json(http.MethodPatch, "/inbox/integrations/"+disabled.ID, map[string]any{"name": "Old server", "version": disabled.Version}, http.StatusOK, nil)

	// Vonage SMS credentials are checked against the account API.
	sms := func(key, number string) map[string]any {
		return map[string]any{"kind": "sms", "name": "SMS " + key, "config": map[string]string{vonage.ConfigFrom: number, vonage.ConfigAPIKey: key},
			"secrets": map[string]string{vonage.SecretAPISecret: "api-secret-value-7", vonage.SecretSignature: "signature-secret"}}
	}
	c.json(http.MethodPost, "/inbox/integrations", sms("good-key", "33757000311"), http.StatusCreated, nil)
	p = c.problem(http.MethodPost, "/inbox/integrations", sms("bad-key", "33757000312"), http.StatusUnprocessableEntity)
	require.Equal(t, "Vonage refused the API key and secret: copy them again from the Vonage dashboard.", p.Detail)
	require.NotContains(t, p.Detail, "api-secret-value-7")
}

// TestFailingMailboxHealth: each failed "Sync now" is answered in plain
// words and counted; the mailbox turns degraded, then failing at the
// third failure in a row, with when it began and the next attempt, and
// the admins are notified once.
func TestFailingMailboxHealth(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	dead := deadPort(t)
	var in healthJSON
	c.json(http.MethodPost, "/inbox/integrations?test=false", mailbox("Boutique", dead, "boutique@maison-lumiere.example", "pw"), http.StatusCreated, &in)
	require.Equal(t, "ok", in.Health.State, "not synced yet")

	want := "Nothing answers at 127.0.0.1 on port " + dead + ": check the mail server's name and port."
	states := []string{"degraded", "degraded", "failing"}
	var first time.Time
	for i, state := range states {
		p := c.problem(http.MethodPost, "/inbox/integrations/"+in.ID+"/sync", nil, http.StatusBadGateway)
		require.Equal(t, "The sync failed", p.Title)
		require.Equal(t, want, p.Detail)
		var h healthJSON
		c.json(http.MethodGet, "/inbox/integrations/"+in.ID, nil, http.StatusOK, &h)
		require.Equal(t, state, h.Health.State, "after failure %d", i+1)
		require.Equal(t, i+1, h.Health.Failures)
		require.Equal(t, want, h.Health.Problem)
		require.False(t, h.Health.FailingSince.IsZero())
		if i == 0 {
			first = h.Health.FailingSince
		}
		require.Equal(t, first, h.Health.FailingSince, "since the first failure in a row")
		require.True(t, h.Health.NextAttempt.After(h.Health.FailingSince), "a retry is scheduled")
	}

	var notes struct {
		Items []struct {
			Kind string `json:"kind"`
			Text string `json:"text"`
		} `json:"items"`
	}
	c.json(http.MethodGet, "/inbox/notifications", nil, http.StatusOK, &notes)
	var failing []string
	for _, n := range notes.Items {
		if n.Kind == "integration.failing" {
			failing = append(failing, n.Text)
		}
	}
	require.Len(t, failing, 1, "told once, at the third failure")
	require.True(t, strings.HasPrefix(failing[0], "Boutique has failed 3 times in a row since "), failing[0])
	require.Contains(t, failing[0], want)
	require.Contains(t, failing[0], "Next try at ")
}
