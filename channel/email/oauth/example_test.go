package oauth_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/email/oauth"
	"github.com/inboxkit/inboxkit/inbox"
)

// A host registers its applications and lets email.Factory log mailboxes
// connected with OAuth in; a rotated refresh token is sealed again.
func Example() {
	var eng *inbox.Engine // the host's engine
	tokens := oauth.NewTokens(oauth.TokensOptions{
		Clients: map[string]oauth.Client{
			"google":    {Provider: oauth.Google, ClientID: "123.apps.googleusercontent.com", ClientSecret: "from the environment"},
			"microsoft": {Provider: oauth.Microsoft, ClientID: "00000000-0000-0000-0000-000000000000", ClientSecret: "from the environment"},
		},
		Rotated: func(ctx context.Context, in inbox.Integration, refreshToken string) error {
			_, err := eng.UpdateIntegration(ctx, in.TenantID, in.ID, inbox.IntegrationChange{
				Secrets: map[string]string{email.SecretOAuthRefreshToken: refreshToken}}, inbox.Change{Actor: "oauth"})
			return err
		},
	})
	_ = email.Factory(email.FactoryOptions{Tokens: tokens.Source})

	// The "Connect Gmail" button sends the browser to:
	cfg := oauth.Google.Config("123.apps.googleusercontent.com", "secret", "https://inbox.example/inbox/oauth/google/callback")
	verifier := oauth2.GenerateVerifier() // kept for the callback's Exchange, whose token goes to tokens.Prime
	u := cfg.AuthCodeURL("state", append(oauth.Google.AuthCodeOptions(), oauth2.S256ChallengeOption(verifier))...)
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	fmt.Println(parsed.Host, q.Get("scope"), q.Get("access_type"), q.Get("prompt"), q.Get("code_challenge_method"))
	fmt.Println(strings.Join(oauth.Microsoft.Scopes, " "))
	// Output:
	// accounts.google.com https://mail.google.com/ offline consent S256
	// https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access
}
