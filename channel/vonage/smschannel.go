package vonage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// Integration.Config keys and secret fields read by the channel factories.
const (
	// ConfigFrom is our sender: the Vonage number (or alphanumeric sender
	// id for SMS).
	ConfigFrom = "from"
	// ConfigAPIKey is the account's API key (SMS API).
	ConfigAPIKey = "api_key"
	// ConfigApplicationID is the Vonage application id (Messages API).
	ConfigApplicationID = "application_id"
	// SecretAPISecret is the sealed API secret field (SMS API).
	SecretAPISecret = "api_secret"
	// SecretPrivateKey is the sealed application private key field, PEM
	// (Messages API).
	SecretPrivateKey = "private_key"
	// SecretSignature is the sealed signature secret field used to verify
	// webhooks; hosts open it in their Resolver.
	SecretSignature = "signature_secret"
)

// SMSChannel sends SMS for one integration through an SMSAPI.
type SMSChannel struct {
	integrationID string
	from          string
	api           SMSAPI
	// check tests the credentials (SMSFactory sets it); nil: nothing to
	// test.
	check func(ctx context.Context) error
}

var (
	_ inbox.Channel = (*SMSChannel)(nil)
	_ inbox.Sender  = (*SMSChannel)(nil)
)

// NewSMSChannel returns the SMS channel of an integration sending from
// the given number through api.
func NewSMSChannel(integrationID, from string, api SMSAPI) (*SMSChannel, error) {
	if strings.TrimSpace(from) == "" {
		return nil, fmt.Errorf("vonage: sms channel %q: %w", integrationID, inbox.Invalid("config.from", "is required"))
	}
	if api == nil {
		return nil, fmt.Errorf("vonage: sms channel %q: %w", integrationID, inbox.Invalid("api", "is required"))
	}
	return &SMSChannel{integrationID: integrationID, from: from, api: api}, nil
}

// TestConnection implements inbox.ConnectionTester: the account's
// credentials are checked against the Vonage account API.
func (c *SMSChannel) TestConnection(ctx context.Context) error {
	if c.check == nil {
		return nil
	}
	return c.check(ctx)
}

// Kind implements inbox.Channel.
func (c *SMSChannel) Kind() inbox.Source { return inbox.SourceSMS }

// IntegrationID implements inbox.Channel.
func (c *SMSChannel) IntegrationID() string { return c.integrationID }

// Send implements inbox.Sender: it sends the message's text to the
// customer's number and returns the id of the first part, which delivery
// receipts refer to.
func (c *SMSChannel) Send(ctx context.Context, out inbox.Outbound) (string, error) {
	to := recipientPhone(out)
	if to == "" {
		return "", fmt.Errorf("vonage sms: %w", inbox.Invalid("to", "the conversation's contact has no phone number"))
	}
	if len(out.Message.Attachments) > 0 {
		return "", fmt.Errorf("vonage sms: %w: an SMS cannot carry attachments", inbox.ErrUnsupported)
	}
	text := strings.TrimSpace(out.Message.Text)
	if text == "" {
		return "", fmt.Errorf("vonage sms: %w", inbox.Invalid("text", "is empty"))
	}
	ids, err := c.api.SendSMS(ctx, SMSRequest{
		From: c.from, To: to, Text: text, Unicode: !IsGSM7(text), ClientRef: clientRef(out),
	})
	if err != nil {
		return "", fmt.Errorf("vonage sms to %s: %w", MaskPhone(to), err)
	}
	return ids[0], nil
}

// clientRef is the reference that travels with the message: the message
// id, which the host can correlate with receipts.
func clientRef(out inbox.Outbound) string {
	ref := out.Message.ID
	if ref == "" {
		ref = out.IdempotencyKey
	}
	if len(ref) > 40 {
		ref = ref[:40]
	}
	return ref
}

// recipientPhone is the customer's number: the sender of their latest
// message in the conversation, else the contact's first phone.
func recipientPhone(out inbox.Outbound) string {
	for i := len(out.Thread) - 1; i >= 0; i-- {
		m := out.Thread[i]
		if m.Direction == inbox.DirectionIn && m.From.Phone != "" {
			return inbox.NormalizePhone(m.From.Phone)
		}
	}
	for _, p := range out.Message.To {
		if p.Phone != "" {
			return inbox.NormalizePhone(p.Phone)
		}
	}
	if len(out.Contact.Phones) > 0 {
		return inbox.NormalizePhone(out.Contact.Phones[0])
	}
	return ""
}

// gsm7 is the GSM 03.38 basic alphabet and extension table.
const gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" +
	"^{}\\[~]|€\f"

// IsGSM7 reports whether text can be sent as a plain text SMS; other text
// needs type=unicode.
func IsGSM7(text string) bool {
	for _, r := range text {
		if !strings.ContainsRune(gsm7, r) {
			return false
		}
	}
	return true
}

// SMSFactoryOptions configure SMSFactory.
type SMSFactoryOptions struct {
	// BaseURL is the SMS API prefix. "": DefaultSMSBaseURL.
	BaseURL string
	// Client carries API requests. Nil: a client with a 30-second timeout.
	Client *http.Client
	// NewAPI builds the SMSAPI from the integration's credentials. Nil:
	// NewSDKSMSAPI.
	NewAPI func(apiKey, apiSecret string) SMSAPI
}

// SMSFactory returns the inbox.ChannelFactory for SMS integrations. It
// reads Config "from" and "api_key" and the sealed secret "api_secret".
// Without an API key the integration only receives (through the webhook)
// and its channel cannot send. With one, the channel can test its
// connection (inbox.ConnectionTester): the account API's balance, which
// takes the key and secret and changes nothing, is asked for next to
// BaseURL.
func SMSFactory(opts SMSFactoryOptions) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		key := in.Config[ConfigAPIKey]
		if strings.TrimSpace(in.Config[ConfigFrom]) == "" {
			return nil, fmt.Errorf("vonage: sms integration %q: %w", in.ID, inbox.Invalid("config."+ConfigFrom, "is required"))
		}
		if key == "" {
			return receiveOnly{kind: inbox.SourceSMS, id: in.ID}, nil
		}
		apiSecret, err := secret(SecretAPISecret)
		if errors.Is(err, inbox.ErrNotFound) {
			return nil, fmt.Errorf("vonage: sms integration %q: %w", in.ID,
				inbox.Invalid("secrets."+SecretAPISecret, "is required with an API key"))
		}
		if err != nil {
			return nil, fmt.Errorf("vonage: sms integration %q: %w", in.ID, err)
		}
		var api SMSAPI
		if opts.NewAPI != nil {
			api = opts.NewAPI(key, string(apiSecret))
		} else {
			api = NewSDKSMSAPI(key, string(apiSecret), SDKOptions{BaseURL: opts.BaseURL, Client: opts.Client})
		}
		ch, err := NewSMSChannel(in.ID, in.Config[ConfigFrom], api)
		if err != nil {
			return nil, err
		}
		client := opts.Client
		if client == nil {
			client = defaultClient
		}
		ch.check = func(ctx context.Context) error {
			return checkCredentials(ctx, client, accountURL(opts.BaseURL), key, string(apiSecret))
		}
		return ch, nil
	}
}
