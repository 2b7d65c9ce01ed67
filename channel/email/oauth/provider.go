package oauth

import (
	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/channel/email"
)

// Provider is a mail provider's OAuth 2 authorization server and mail
// servers: what a "Connect" button needs besides the host's registered
// client id and secret.
type Provider struct {
	// ID is the provider's key in settings ("google", "microsoft").
	ID string
	// Name is the provider's name for people ("Gmail").
	Name string
	// Endpoint is the authorization server. Tests point it at a fake.
	Endpoint oauth2.Endpoint
	// Scopes are asked for: mail access and a refresh token.
	Scopes []string
	// AuthParams are added to the authorization request.
	AuthParams map[string]string
	// IMAP and SMTP are the provider's mail servers.
	IMAP, SMTP email.Server
}

// AuthCodeOptions are the provider's extra authorization parameters as
// options for oauth2.Config.AuthCodeURL.
func (p Provider) AuthCodeOptions() []oauth2.AuthCodeOption {
	var out []oauth2.AuthCodeOption
	for k, v := range p.AuthParams {
		out = append(out, oauth2.SetAuthURLParam(k, v))
	}
	return out
}

// Config returns the oauth2 configuration of a client registered at the
// provider, redirected back to redirectURL.
func (p Provider) Config(clientID, clientSecret, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, Endpoint: p.Endpoint,
		Scopes: append([]string(nil), p.Scopes...), RedirectURL: redirectURL}
}

// Google is Gmail and Google Workspace. Google returns a refresh token
// only with access_type=offline, and again on a later consent only with
// prompt=consent.
var Google = Provider{
	ID:   "google",
	Name: "Gmail",
	Endpoint: oauth2.Endpoint{
		AuthURL:   "https://accounts.google.com/o/oauth2/auth",
		TokenURL:  "https://oauth2.googleapis.com/token",
		AuthStyle: oauth2.AuthStyleInParams,
	},
	Scopes:     []string{"https://mail.google.com/"},
	AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
	IMAP:       email.Server{Addr: "imap.gmail.com:993", Security: email.SecurityTLS},
	SMTP:       email.Server{Addr: "smtp.gmail.com:465", Security: email.SecurityTLS},
}

// Microsoft is Microsoft 365 (Exchange Online) for accounts of any
// organisation ("common"); MicrosoftTenant narrows it to one directory.
var Microsoft = MicrosoftTenant("common")

// MicrosoftTenant is Microsoft 365 for one directory: "common",
// "organizations" or a tenant id or domain.
func MicrosoftTenant(tenant string) Provider {
	base := "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/"
	return Provider{
		ID:   "microsoft",
		Name: "Microsoft 365",
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "authorize",
			TokenURL:  base + "token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		Scopes: []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"},
		IMAP:   email.Server{Addr: "outlook.office365.com:993", Security: email.SecurityTLS},
		SMTP:   email.Server{Addr: "smtp.office365.com:587", Security: email.SecuritySTARTTLS},
	}
}
