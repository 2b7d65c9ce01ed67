package webhook

import (
	"errors"

	"github.com/inboxkit/inboxkit/inbox"
)

// Integration settings of custom webhook integrations.
const (
	// SecretSigning is the sealed signing secret ("whsec_…") inbound
	// requests are verified with; hosts open it in their Resolver.
	SecretSigning = "signing_secret"
	// ConfigURL is where replies to the integration's conversations are
	// delivered, as signed events.
	ConfigURL = "url"
)

// Schema declares the settings of custom webhook integrations for
// inbox.Options.Schemas: every request is signed, so the signing secret
// is required.
var Schema = inbox.IntegrationSchema{Fields: []inbox.IntegrationField{
	{Name: SecretSigning, Label: "Signing secret (whsec_…)", Secret: true, Required: true, Check: func(v string) error {
		if _, err := ParseSecret(v); err != nil {
			return errors.New("is not a signing secret of the form whsec_ followed by base64")
		}
		return nil
	}},
	{Name: ConfigURL, Label: "Reply delivery URL"},
}}
