package vonage

import "github.com/inboxkit/inboxkit/inbox"

// SMSSchema declares the settings of SMS integrations for
// inbox.Options.Schemas. The signature secret verifies inbound webhooks,
// so it is required; the API key and secret are needed to send.
var SMSSchema = inbox.IntegrationSchema{Fields: []inbox.IntegrationField{
	{Name: ConfigFrom, Label: "Vonage number or sender id", Required: true},
	{Name: ConfigAPIKey, Label: "API key"},
	{Name: SecretAPISecret, Label: "API secret", Secret: true},
	{Name: SecretSignature, Label: "Signature secret", Secret: true, Required: true},
	{Name: ConfigSignatureMethod, Label: "Signature method (md5hash, md5, sha1, sha256, sha512)"},
}}

// WhatsAppSchema declares the settings of WhatsApp integrations (Messages
// API) for inbox.Options.Schemas.
var WhatsAppSchema = inbox.IntegrationSchema{Fields: []inbox.IntegrationField{
	{Name: ConfigFrom, Label: "WhatsApp number", Required: true},
	{Name: ConfigApplicationID, Label: "Application id"},
	{Name: SecretPrivateKey, Label: "Application private key (PEM)", Secret: true},
	{Name: SecretSignature, Label: "Signature secret", Secret: true, Required: true},
}}
