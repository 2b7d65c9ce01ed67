package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/email/oauth"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
)

// OAuthOptions configure the "Connect Gmail" / "Connect Microsoft 365"
// flow: authorization code with PKCE, the state bound to the admin's
// session, the refresh token sealed as the integration's secret.
type OAuthOptions struct {
	// Clients are the applications registered at the providers, by
	// Provider.ID. A provider without one has no button.
	Clients map[string]oauth.Client
	// PublicURL is the server's address as browsers reach it
	// ("https://inbox.example"); redirect URLs are built on it. "":
	// taken from each request.
	PublicURL string
	// HTTPClient calls the token endpoints. Nil: a 30 s timeout.
	HTTPClient *http.Client
	// Prime is given the token a code was exchanged for, before the
	// mailbox is tested and saved (oauth.Tokens.Prime). Nil: the test
	// is skipped, since it would spend the refresh token (providers
	// may replace it on use) before the integration stores it.
	Prime func(*oauth2.Token)
}

// OAuthProvider is a provider the settings page offers to connect.
type OAuthProvider struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// oauthFlowTTL bounds the time between "Connect" and the provider's
// redirect back.
const oauthFlowTTL = 10 * time.Minute

// oauthCookie carries the flow's state and PKCE verifier through the
// browser, sealed: any instance can finish a flow another one started.
// Its path is narrowed to the OAuth routes (so it cannot take the
// __Host- prefix, which requires Path=/); SameSite=Lax lets the
// provider's top-level redirect back carry it.
const oauthCookie = "inboxkit_oauth"

// oauthFlow is what the sealed cookie holds.
type oauthFlow struct {
	Provider    string    `json:"p"`
	State       string    `json:"s"`
	Verifier    string    `json:"v"`
	Session     string    `json:"sid"` // hash of the session id
	RedirectURL string    `json:"r"`
	Address     string    `json:"a"`
	Name        string    `json:"n,omitempty"`
	Integration string    `json:"i,omitempty"` // reconnecting this one
	Expires     time.Time `json:"e"`
}

// oauthSealContext binds the cookie to the tenant and its purpose.
func oauthSealContext(tenant string) inbox.SealContext {
	return inbox.SealContext{Tenant: inbox.TenantID(tenant), IntegrationID: "oauth-flow", Field: "state"}
}

func sessionHash(p auth.Principal) string {
	sum := sha256.Sum256([]byte(p.Session.ID))
	return hex.EncodeToString(sum[:])
}

type oauthStartRequest struct {
	// Address is the mailbox to connect (the account to sign in with).
	Address string `json:"address"`
	// Name names a new integration. "": "<provider> <address>".
	Name string `json:"name"`
	// IntegrationID reconnects an existing integration.
	IntegrationID string `json:"integration_id"`
}

// startOAuth begins connecting a mailbox: it answers the provider's
// authorization URL, to which the browser goes, and sets the sealed flow
// cookie the callback checks.
func (s *Server) startOAuth(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	client, ok := s.oauth.Clients[r.PathValue("provider")]
	if !ok {
		return fmt.Errorf("connecting %q mailboxes is not set up on this server: %w", clipText(r.PathValue("provider"), 32), inbox.ErrNotFound)
	}
	if p.Session == nil {
		return inbox.Invalid("session", "connecting a mailbox needs a browser session, not an API token")
	}
	if s.sealer == nil {
		return fmt.Errorf("a connected mailbox's authorization cannot be stored: the server has no master key: %w", inbox.ErrUnsupported)
	}
	var req oauthStartRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	addr := inbox.NormalizeEmail(req.Address)
	if !strings.Contains(addr, "@") {
		return inbox.Invalid("address", "must be the email address of the mailbox to connect")
	}
	if len(req.Name) > inbox.MaxIntegrationNameBytes {
		return inbox.Invalid("name", fmt.Sprintf("must have at most %d characters", inbox.MaxIntegrationNameBytes))
	}
	if req.IntegrationID != "" {
		in, err := s.eng.Integration(r.Context(), tenantOf(p), req.IntegrationID)
		if err != nil {
			return err
		}
		if in.Kind != inbox.SourceEmail {
			return inbox.Invalid("integration_id", "is not an email integration")
		}
	}
	base := strings.TrimRight(s.oauth.PublicURL, "/")
	if base == "" {
		base = s.auth.Origin(r)
	}
	flow := oauthFlow{Provider: client.Provider.ID, State: oauth2.GenerateVerifier(), Verifier: oauth2.GenerateVerifier(),
		Session: sessionHash(p), RedirectURL: base + "/inbox/oauth/" + client.Provider.ID + "/callback",
		Address: addr, Name: strings.TrimSpace(req.Name), Integration: req.IntegrationID, Expires: time.Now().Add(oauthFlowTTL)}
	raw, err := json.Marshal(flow)
	if err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(r.Context(), raw, oauthSealContext(p.Tenant))
	if err != nil {
		return fmt.Errorf("seal the connection's state: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/inbox/oauth/",
		HttpOnly: true, Secure: s.auth.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: int(oauthFlowTTL.Seconds())})
	opts := append(client.Provider.AuthCodeOptions(), oauth2.S256ChallengeOption(flow.Verifier), oauth2.SetAuthURLParam("login_hint", addr))
	writeJSON(w, http.StatusOK, map[string]string{"authorize_url": client.Config(flow.RedirectURL).AuthCodeURL(flow.State, opts...)})
	return nil
}

// Outcomes of a connection, told to the settings page in its address.
const (
	oauthConnected = "connected"
	oauthDenied    = "denied"      // the user declined at the provider
	oauthExpired   = "expired"     // no flow, another session's, too old, or logged out
	oauthFailed    = "failed"      // the provider did not give a usable grant
	oauthRefused   = "refused"     // the mailbox refused the new authorization
	oauthNoServer  = "unreachable" // the mailbox could not be reached to test it
	oauthNoRefresh = "norefresh"   // no refresh token came back
)

// oauthCallback is where the provider sends the browser back. It checks
// the state against the sealed flow of this session, redeems the code
// with the PKCE verifier and stores the refresh token sealed, then sends
// the browser to the integrations page with the outcome: a browser
// navigation gets a page, never a problem document.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) {
	outcome, id := oauthExpired, ""
	if p, err := s.auth.Authenticate(r); err == nil && p.IsAdmin() {
		outcome, id = s.finishOAuth(r, p)
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/inbox/oauth/", HttpOnly: true,
		Secure: s.auth.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	q := url.Values{"oauth": {outcome}}
	if id != "" {
		q.Set("integration", id)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/#/settings/integrations?"+q.Encode(), http.StatusSeeOther)
}

func (s *Server) finishOAuth(r *http.Request, p auth.Principal) (outcome, integrationID string) {
	provider := r.PathValue("provider")
	log := s.log.With("provider", provider, "tenant", p.Tenant)
	client, ok := s.oauth.Clients[provider]
	if !ok || p.Session == nil || s.sealer == nil {
		return oauthExpired, ""
	}
	flow, err := s.openFlow(r, p)
	if err != nil || flow.Provider != provider {
		log.Warn("oauth: callback without a flow of this session", "err", err)
		return oauthExpired, ""
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(flow.State)) != 1 {
		log.Warn("oauth: callback state does not match the session's flow")
		return oauthExpired, ""
	}
	if e := q.Get("error"); e != "" {
		log.Info("oauth: the provider sent back an error", "error", clipText(e, 64))
		if e == "access_denied" {
			return oauthDenied, ""
		}
		return oauthFailed, ""
	}
	httpClient := s.oauth.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, httpClient)
	tok, err := client.Config(flow.RedirectURL).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			log.Warn("oauth: the provider refused the authorization code", "error", re.ErrorCode, "status", statusOf(re))
		} else {
			log.Warn("oauth: the provider's token service did not answer", "err", err)
		}
		return oauthFailed, ""
	}
	if tok.RefreshToken == "" {
		log.Warn("oauth: the provider gave no refresh token")
		return oauthNoRefresh, ""
	}
	test := s.oauth.Prime != nil
	if test {
		s.oauth.Prime(tok)
	}
	in, err := s.saveOAuth(r.Context(), p, client.Provider, flow, tok.RefreshToken, test)
	if err != nil {
		log.Warn("oauth: the connected mailbox was not saved", "err", err)
		switch {
		case errors.Is(err, inbox.ErrUnauthorized):
			return oauthRefused, in
		case errors.Is(err, inbox.ErrTemporary):
			return oauthNoServer, in
		}
		return oauthFailed, in
	}
	log.Info("oauth: mailbox connected", "integration", in)
	return oauthConnected, in
}

// openFlow reads the sealed flow cookie and checks it belongs to p's
// session and is recent.
func (s *Server) openFlow(r *http.Request, p auth.Principal) (oauthFlow, error) {
	var flow oauthFlow
	c, err := r.Cookie(oauthCookie)
	if err != nil {
		return flow, errors.New("no flow cookie")
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return flow, errors.New("flow cookie is not base64")
	}
	raw, err := s.sealer.Open(r.Context(), sealed, oauthSealContext(p.Tenant))
	if err != nil {
		return flow, errors.New("flow cookie does not open for this tenant")
	}
	if err := json.Unmarshal(raw, &flow); err != nil {
		return flow, errors.New("flow cookie holds no flow")
	}
	if subtle.ConstantTimeCompare([]byte(flow.Session), []byte(sessionHash(p))) != 1 {
		return flow, errors.New("flow of another session")
	}
	if time.Now().After(flow.Expires) {
		return flow, errors.New("flow expired")
	}
	return flow, nil
}

// saveOAuth creates the integration of a newly connected mailbox, or
// stores the new grant of a reconnected one, testing the mailbox first
// when test is set. It returns the integration's id.
func (s *Server) saveOAuth(ctx context.Context, p auth.Principal, provider oauth.Provider, flow oauthFlow, refreshToken string, test bool) (string, error) {
	config := map[string]string{
		email.ConfigAuth: "xoauth2", email.ConfigOAuthProvider: provider.ID,
		email.ConfigAddress: flow.Address, email.ConfigUsername: flow.Address,
	}
	for _, srv := range []struct {
		prefix string
		server email.Server
	}{{"imap", provider.IMAP}, {"smtp", provider.SMTP}} {
		host, port, _ := strings.Cut(srv.server.Addr, ":")
		if _, err := strconv.Atoi(port); err != nil || host == "" {
			continue
		}
		config[srv.prefix+"_host"], config[srv.prefix+"_port"] = host, port
		config[srv.prefix+"_security"] = string(srv.server.Security)
	}
	secrets := map[string]string{email.SecretOAuthRefreshToken: refreshToken}
	// The test logs in with the access token just issued (primed), so
	// the refresh token is not spent before it is stored: a mailbox that
	// refuses it (signed in with another account, IMAP off) is not saved.
	change := inbox.IntegrationChange{Config: config, Secrets: secrets, Test: test}
	s.integrationsMu.Lock()
	defer s.integrationsMu.Unlock()
	if flow.Integration != "" {
		// A password mailbox moving to OAuth keeps no password.
		change.Secrets[email.SecretPassword] = ""
		_, err := s.eng.UpdateIntegration(ctx, tenantOf(p), flow.Integration, change, inbox.Change{Actor: p.Actor})
		return flow.Integration, err
	}
	name := flow.Name
	if name == "" {
		name = provider.Name + " " + flow.Address
	}
	change.Kind, change.Name = inbox.SourceEmail, &name
	in, err := s.eng.CreateIntegration(ctx, tenantOf(p), change, inbox.Change{Actor: p.Actor})
	return in.ID, err
}

func statusOf(re *oauth2.RetrieveError) int {
	if re.Response == nil {
		return 0
	}
	return re.Response.StatusCode
}

// clipText shortens what a client sent before it is logged or echoed.
func clipText(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "?")
}

// oauthProviders lists the configured providers, in a stable order.
func oauthProviders(clients map[string]oauth.Client) []OAuthProvider {
	out := make([]OAuthProvider, 0, len(clients))
	for id, c := range clients {
		out = append(out, OAuthProvider{ID: id, Name: c.Provider.Name})
	}
	slices.SortFunc(out, func(a, b OAuthProvider) int { return strings.Compare(a.ID, b.ID) })
	return out
}
