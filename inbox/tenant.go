package inbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Tenant is a company using the inbox ("entreprise"). Tenants are created
// by the host application; inboxkit never guesses one.
type Tenant struct {
	ID        TenantID
	Name      string
	Settings  TenantSettings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewsletterPolicy says what ingest does with mail detected as a newsletter.
type NewsletterPolicy string

// Newsletter policies. The zero value files newsletters like any mail but
// flagged, so nothing is hidden until a tenant decides.
const (
	NewsletterKeep   NewsletterPolicy = ""       // store and classify normally (flagged)
	NewsletterSkip   NewsletterPolicy = "skip"   // do not store; reported as skipped
	NewsletterSpam   NewsletterPolicy = "spam"   // store with status spam
	NewsletterFolder NewsletterPolicy = "folder" // store in TenantSettings.NewsletterFolderID
)

// TenantSettings are the per-tenant knobs of the engine. Zero values are
// safe defaults.
type TenantSettings struct {
	// TimeZone is an IANA name used for statistics by day; "" means UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// PhoneCountryCode is the calling code of the tenant's country ("33"
	// for France): a phone number searched in national form ("06 12 34
	// 56 78") is then looked up exactly. "" matches national numbers on
	// their trailing digits, which reads every contact.
	PhoneCountryCode string `json:"phone_country_code,omitempty"`
	// Newsletter says what to do with newsletters (see NewsletterPolicy).
	Newsletter NewsletterPolicy `json:"newsletter,omitempty"`
	// NewsletterFolderID is the folder used by NewsletterFolder.
	NewsletterFolderID string `json:"newsletter_folder_id,omitempty"`
	// ReopenWindow: an SMS, WhatsApp or webhook message from a contact whose
	// latest conversation on that channel was resolved less than this long
	// ago reopens it; older ones start a new conversation. 0 means 7 days.
	ReopenWindow time.Duration `json:"reopen_window,omitempty"`
	// SubjectWindow bounds the email subject fallback: a mail without
	// threading headers joins a conversation of the same sender and subject
	// only if that conversation had a message this recently. 0 means 30 days.
	SubjectWindow time.Duration `json:"subject_window,omitempty"`
	// ReplyPrompt is the company prompt used to generate AI replies. It is
	// required before any folder can enable auto-reply.
	ReplyPrompt string `json:"reply_prompt,omitempty"`
	// MaskPII asks AI components to mask email addresses and phone numbers
	// before text leaves the process.
	MaskPII bool `json:"mask_pii,omitempty"`
	// Extra holds host-defined settings inboxkit does not interpret.
	Extra json.RawMessage `json:"extra,omitempty"`
}

// Defaults used when TenantSettings leaves a duration at zero.
const (
	DefaultReopenWindow  = 7 * 24 * time.Hour
	DefaultSubjectWindow = 30 * 24 * time.Hour
)

func (s TenantSettings) reopenWindow() time.Duration {
	if s.ReopenWindow > 0 {
		return s.ReopenWindow
	}
	return DefaultReopenWindow
}

func (s TenantSettings) subjectWindow() time.Duration {
	if s.SubjectWindow > 0 {
		return s.SubjectWindow
	}
	return DefaultSubjectWindow
}

// Source is the kind of channel a message travels on, and the kind of
// an integration. Four kinds ship with inboxkit; a host adds its own
// (a chat widget, a marketplace inbox) by registering a factory under a
// name of its choosing in Options.Channels. Rules, search and statistics
// see every kind alike.
type Source string

// The shipped kinds.
const (
	SourceEmail    Source = "email"
	SourceSMS      Source = "sms"
	SourceWhatsApp Source = "whatsapp"
	SourceWebhook  Source = "webhook"
)

// Valid reports whether s can name a kind: 1 to 32 lower-case letters,
// digits, '_' or '-', starting with a letter.
func (s Source) Valid() bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// check is Valid as an error.
func (s Source) check() error {
	if !s.Valid() {
		return Invalid("kind", fmt.Sprintf("%q is not a kind name (1 to 32 lower-case letters, digits, '_' or '-')", clipValue(string(s))))
	}
	return nil
}

// clipValue shortens a value echoed in an error.
func clipValue(v string) string {
	v = strings.ToValidUTF8(v, "?")
	if len(v) > 40 {
		return v[:40] + "…"
	}
	return v
}

// Integration is one configured connection of a tenant: a mailbox, a Vonage
// number, a custom webhook. Secrets are stored sealed (see Sealer) and are
// never part of Config.
type Integration struct {
	ID       string
	TenantID TenantID
	Kind     Source
	Name     string
	Enabled  bool
	// Config holds non-secret settings (host, port, username, folders...).
	Config map[string]string
	// Secrets maps a field name ("password", "api_secret") to its sealed
	// ciphertext. Only a Sealer opens them, and only when used.
	Secrets map[string][]byte
	// Templates are the message templates the provider approved for this
	// integration (WhatsApp), which replies may be sent with.
	Templates []Template `json:",omitempty"`
	// Cursor is the channel's sync position (opaque to the engine), written
	// in the same transaction as the messages it covers.
	Cursor   string
	LastSync SyncReport
	// Status is "ok", "auth_failed", "error" or "" (never synced).
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// SyncReport summarises one sync run of an integration.
type SyncReport struct {
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	Fetched     int       `json:"fetched"`
	New         int       `json:"new"`
	Duplicates  int       `json:"duplicates"`
	Quarantined int       `json:"quarantined"`
	Skipped     int       `json:"skipped"`
	Errors      []string  `json:"errors,omitempty"`
	// Failures counts the failed syncs in a row up to this one; 0 after
	// a success.
	Failures int `json:"failures,omitempty"`
	// FailingSince is when the first of those failures happened.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// NextAttempt is when the scheduler tries again after a failure; zero
	// when it waits for the settings to change (refused credentials).
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Problem says in plain words what went wrong (PlainText), for the
	// people using the inbox; Errors keep the details for developers.
	Problem string `json:"problem,omitempty"`
}
