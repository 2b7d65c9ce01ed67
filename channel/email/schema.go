package email

import "github.com/inboxkit/inboxkit/inbox"

// Schema declares the settings of email integrations for
// inbox.Options.Schemas: the Config* keys as settings, the passwords as
// secrets.
var Schema = inbox.IntegrationSchema{Fields: []inbox.IntegrationField{
	{Name: ConfigAddress, Label: "Mailbox address", Required: true},
	{Name: ConfigIMAPHost, Label: "IMAP server", Required: true},
	{Name: ConfigIMAPPort, Label: "IMAP port"},
	{Name: ConfigIMAPSecurity, Label: "IMAP security (tls, starttls, plain)"},
	{Name: ConfigUsername, Label: "User name", Required: true},
	{Name: SecretPassword, Label: "Password", Secret: true},
	{Name: ConfigAuth, Label: "Authentication (password, xoauth2)"},
	{Name: ConfigOAuthProvider, Label: "Connected with (OAuth provider)"},
	{Name: SecretOAuthRefreshToken, Label: "OAuth authorization", Secret: true},
	{Name: ConfigSMTPHost, Label: "SMTP server"},
	{Name: ConfigSMTPPort, Label: "SMTP port"},
	{Name: ConfigSMTPSecurity, Label: "SMTP security (tls, starttls, plain)"},
	{Name: ConfigSMTPUsername, Label: "SMTP user name"},
	{Name: SecretSMTPPassword, Label: "SMTP password", Secret: true},
	{Name: ConfigAliases, Label: "Other own addresses"},
	{Name: ConfigDisplayName, Label: "Sender name"},
	{Name: ConfigMessageIDDomain, Label: "Message-ID domain"},
	{Name: ConfigFolders, Label: "Other folders to sync"},
	{Name: ConfigSentFolder, Label: "Sent folder"},
	{Name: ConfigSinceDays, Label: "Days of history on the first sync"},
	{Name: ConfigBatchSize, Label: "Messages per batch"},
	{Name: ConfigMarkSeen, Label: "Mark fetched mail read"},
	{Name: ConfigAppendSent, Label: "Keep replies in Sent"},
	{Name: ConfigReplyToken, Label: "Reply token in Reply-To"},
}}
