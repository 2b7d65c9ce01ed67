package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/examples/server/internal/auth"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// Options configure Seed.
type Options struct {
	// Engine ingests the demo messages. Required.
	Engine *inbox.Engine
	// Store is the engine's store. The demo writes its pending AI drafts
	// there directly, as a Responder does; nil leaves them out.
	Store driver.Store
	// Accounts receives the demo employees. Required.
	Accounts *auth.Directory
	// WebhookSecret is the web form integration's Standard Webhooks
	// secret ("whsec_..."). "" generates one. The engine seals it: an
	// engine without a Sealer keeps no integration secrets, and the demo
	// then leaves out the integrations whose kind requires one.
	WebhookSecret string
	// Clock, when it is the engine's clock, is pinned to each replayed
	// message's time so the demo's statistics look real. Nil: everything
	// is recorded at the current time.
	Clock *Clock
	// History is how many older, finished conversations are added over
	// the past four weeks for the statistics. 0 means none.
	History int
	// WorkBeforeActions runs each conversation's background work (the
	// offline labeller's intent and urgency) before its agents act, as
	// it runs within moments in a live inbox. Leave it off when the
	// engine's background work calls a model: seeding would wait for
	// every call, and the worker does it once the server runs.
	WorkBeforeActions bool
}

// Result says what Seed did.
type Result struct {
	// Seeded is false when the demo tenant already existed.
	Seeded        bool
	Conversations int
	// Integrations maps a source to the demo integration's id.
	Integrations map[inbox.Source]string
}

// Integration names of the demo.
const (
	EmailAddress = "bonjour@maison-lumiere.example"
	SMSNumber    = "33757000000"
	// WebFormName names the custom webhook integration.
	WebFormName = "Formulaire du site"
)

// adminChange is who creates the demo's tenant, folders and integrations in
// the audit log: its admin.
var adminChange = inbox.Change{Actor: Employees[0].ID}

// EnsureTenant creates the demo tenant if it does not exist, so a host
// can set up tenant-scoped components before seeding.
func EnsureTenant(ctx context.Context, eng *inbox.Engine) error {
	_, err := eng.Tenant(ctx, TenantID)
	if err == nil || !errors.Is(err, inbox.ErrNotFound) {
		return err
	}
	t := inbox.Tenant{ID: TenantID, Name: "Maison Lumière", Settings: inbox.TenantSettings{
		TimeZone: "Europe/Paris",
		ReplyPrompt: "Tu réponds au nom de Maison Lumière, boutique de luminaires et de décoration à Paris. " +
			"Réponds dans la langue du client, avec chaleur et concision, sans jamais inventer de délai ni de prix. " +
			"Signe « L'équipe Maison Lumière ».",
	}}
	if _, err := eng.CreateTenant(ctx, t, adminChange); err != nil && !errors.Is(err, inbox.ErrConflict) {
		return fmt.Errorf("demo: create tenant: %w", err)
	}
	return nil
}

// Seed creates the demo tenant and its data unless its demo
// integrations exist already. It is idempotent:
// accounts and integrations that exist are kept, and a tenant that exists
// is not seeded again.
func Seed(ctx context.Context, opts Options) (Result, error) {
	if opts.Engine == nil || opts.Accounts == nil {
		return Result{}, inbox.Invalid("demo.Options", "Engine and Accounts are required")
	}
	if err := seedAccounts(ctx, opts.Accounts); err != nil {
		return Result{}, err
	}
	eng := opts.Engine
	res := Result{Integrations: map[inbox.Source]string{}}
	now := time.Now()
	if err := EnsureTenant(ctx, eng); err != nil {
		return Result{}, err
	}
	ins, err := eng.Integrations(ctx, TenantID)
	if err != nil {
		return Result{}, err
	}
	for _, in := range ins {
		if in.Config[ConfigSandbox] == "true" {
			res.Integrations[in.Kind] = in.ID
		}
	}
	if len(res.Integrations) > 0 {
		return res, nil
	}
	folderIDs, err := seedFolders(ctx, eng)
	if err != nil {
		return Result{}, err
	}
	if res.Integrations, err = seedIntegrations(ctx, opts); err != nil {
		return Result{}, err
	}
	defer opts.Clock.set(time.Time{})
	all := append(historyThreads(opts.History, 28), threads...)
	for _, th := range all {
		if err := seedThread(ctx, eng, opts.Store, opts.Clock, th, res.Integrations, folderIDs, now, opts.WorkBeforeActions); err != nil {
			return Result{}, fmt.Errorf("demo: thread %s: %w", th.Key, err)
		}
		res.Conversations++
	}
	res.Seeded = true
	return res, nil
}

func seedAccounts(ctx context.Context, dir *auth.Directory) error {
	for _, e := range Employees {
		role := auth.RoleAgent
		if e.Admin {
			role = auth.RoleAdmin
		}
		_, err := dir.CreateAccount(ctx, auth.NewAccount{Tenant: TenantID, ID: e.ID, Email: e.Email, Name: e.Name, Role: role, Password: Password})
		if err != nil && !errors.Is(err, inbox.ErrConflict) {
			return fmt.Errorf("demo: account %s: %w", e.ID, err)
		}
	}
	return nil
}

func seedFolders(ctx context.Context, eng *inbox.Engine) (map[string]string, error) {
	ids := map[string]string{}
	for i, fs := range folders {
		f := inbox.Folder{Name: fs.Name, Description: fs.Description, Position: i}
		if fs.Rules != "" {
			f.Rules = []byte(fs.Rules)
		}
		f, err := eng.SaveFolder(ctx, TenantID, f, adminChange)
		if err != nil {
			return nil, fmt.Errorf("demo: folders: %w", err)
		}
		ids[f.Name] = f.ID
	}
	return ids, nil
}

// sandboxIMAP is the mail server the demo mailbox names; its channel is
// the sandbox, which never connects to it.
const sandboxIMAP = "imap.maison-lumiere.example"

func seedIntegrations(ctx context.Context, opts Options) (map[inbox.Source]string, error) {
	webhookSecret := opts.WebhookSecret
	if webhookSecret == "" {
		s, err := webhook.NewSecret()
		if err != nil {
			return nil, err
		}
		webhookSecret = s.Encode()
	}
	// The sandbox numbers get a signature secret nobody knows: their
	// webhooks are refused, as a number without a secret's would be.
	smsSecret, err := randomSecret()
	if err != nil {
		return nil, err
	}
	waSecret, err := randomSecret()
	if err != nil {
		return nil, err
	}
	specs := []inbox.IntegrationChange{
		{Kind: inbox.SourceEmail, Name: ptr("Boîte bonjour@"), Config: map[string]string{email.ConfigAddress: EmailAddress,
			email.ConfigDisplayName: "Maison Lumière", email.ConfigIMAPHost: sandboxIMAP, email.ConfigUsername: EmailAddress}},
		{Kind: inbox.SourceSMS, Name: ptr("SMS boutique"), Config: map[string]string{vonage.ConfigFrom: SMSNumber},
			Secrets: map[string]string{vonage.SecretSignature: smsSecret}},
		{Kind: inbox.SourceWhatsApp, Name: ptr("WhatsApp boutique"), Config: map[string]string{vonage.ConfigFrom: SMSNumber},
			Secrets: map[string]string{vonage.SecretSignature: waSecret}},
		{Kind: inbox.SourceWebhook, Name: ptr(WebFormName), Config: map[string]string{},
			Secrets: map[string]string{webhook.SecretSigning: webhookSecret}},
	}
	ids := map[inbox.Source]string{}
	for _, c := range specs {
		c.Config[ConfigSandbox] = "true"
		in, err := createIntegration(ctx, opts.Engine, c)
		if err != nil {
			return nil, fmt.Errorf("demo: %s integration: %w", c.Kind, err)
		}
		if in.ID != "" {
			ids[in.Kind] = in.ID
		}
	}
	return ids, nil
}

// createIntegration creates a demo integration. An engine without a
// Sealer cannot keep secrets: the integration is then created without
// them, or left out (zero Integration) if its kind requires one.
func createIntegration(ctx context.Context, eng *inbox.Engine, c inbox.IntegrationChange) (inbox.Integration, error) {
	in, err := eng.CreateIntegration(ctx, TenantID, c, adminChange)
	if !errors.Is(err, inbox.ErrUnsupported) || len(c.Secrets) == 0 {
		return in, err
	}
	c.Secrets = nil
	in, err = eng.CreateIntegration(ctx, TenantID, c, adminChange)
	var fe *inbox.FieldError
	if errors.As(err, &fe) && strings.HasPrefix(fe.Field, "secrets.") {
		return inbox.Integration{}, nil
	}
	return in, err
}

func randomSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func ptr[T any](v T) *T { return &v }

func seedThread(ctx context.Context, eng *inbox.Engine, store driver.Store, clock *Clock, th thread, integrations map[inbox.Source]string, folderIDs map[string]string, now time.Time, workFirst bool) error {
	var convID, prevMsgID string
	var refs []string
	for i, l := range th.Lines {
		in := inbox.Inbound{
			IntegrationID: integrations[th.Source], Source: th.Source,
			ProviderID: fmt.Sprintf("demo-%s-%d", th.Key, i), Subject: th.Subject, Text: l.Text,
			SentAt: now.Add(-time.Duration(l.At * float64(time.Hour))),
		}
		if th.Source == inbox.SourceEmail {
			in.MessageID = fmt.Sprintf("%s.%d@demo.maison-lumiere.example", th.Key, i)
			in.InReplyTo = prevMsgID
			in.References = slices.Clone(refs)
			if i > 0 && !strings.HasPrefix(strings.ToLower(in.Subject), "re:") {
				in.Subject = "Re: " + th.Subject
			}
			prevMsgID = in.MessageID
			refs = append(refs, in.MessageID)
		}
		if th.Source == inbox.SourceWebhook {
			in.ThreadKey = th.Key
		}
		if strings.Contains(l.Text, "désinscrire") {
			in.Automated, in.Newsletter, in.AutomatedReason = true, true, "list-unsubscribe"
		}
		if l.Agent {
			in.Own = true
			in.To = []inbox.Party{th.From}
			switch th.Source {
			case inbox.SourceEmail:
				in.From = inbox.Party{Name: "Maison Lumière", Email: EmailAddress}
			default:
				in.From = inbox.Party{Phone: SMSNumber}
			}
		} else {
			in.From = th.From
		}
		clock.set(in.SentAt)
		res, err := eng.Ingest(ctx, TenantID, []inbox.Inbound{in})
		if err != nil {
			return err
		}
		if it := res.Items[0]; it.Status != inbox.IngestStored && it.Status != inbox.IngestDuplicate {
			return fmt.Errorf("message %d was %s: %s", i, it.Status, it.Reason)
		}
		convID = res.Items[0].ConversationID
	}
	if workFirst {
		if _, err := eng.DoWork(ctx, TenantID); err != nil {
			return fmt.Errorf("background work: %w", err)
		}
	}
	// Agents act a few minutes after the last message.
	last := th.Lines[len(th.Lines)-1].At
	clock.set(now.Add(-time.Duration((last - 0.05) * float64(time.Hour))))
	actor := firstNonEmpty(th.Assignee, "claire")
	ch := inbox.Change{Actor: actor}
	if th.Move != "" {
		if _, err := eng.Move(ctx, TenantID, convID, folderIDs[th.Move], ch); err != nil {
			return err
		}
	}
	if th.Assignee != "" {
		if _, err := eng.Assign(ctx, TenantID, convID, th.Assignee, inbox.Change{Actor: "claire"}); err != nil {
			return err
		}
	}
	c, err := eng.Conversation(ctx, TenantID, convID)
	if err != nil {
		return err
	}
	if len(th.Tags) > 0 {
		tags := append(slices.Clone(c.Tags), th.Tags...)
		if _, err := eng.SetTags(ctx, TenantID, convID, tags, ch); err != nil {
			return err
		}
	}
	if th.Note != nil {
		if _, err := eng.AddNote(ctx, TenantID, convID, th.Note.Body, inbox.Change{Actor: th.Note.By}); err != nil {
			return err
		}
	}
	if th.Task != "" {
		if _, err := eng.CreateTask(ctx, TenantID, convID, inbox.TaskRequest{Title: th.Task, Assignee: actor, DueAt: now.Add(48 * time.Hour)}, ch); err != nil {
			return err
		}
	}
	if f := th.FollowUp; f != nil {
		req := inbox.FollowUpRequest{DueAt: now.Add(time.Duration(f.InHours * float64(time.Hour))), Note: f.Note, Assignee: f.By, IfNoReply: f.IfNoReply}
		if _, err := eng.ScheduleFollowUp(ctx, TenantID, convID, req, inbox.Change{Actor: f.By}); err != nil {
			return err
		}
	}
	if th.Read {
		if _, err := eng.MarkRead(ctx, TenantID, convID, true, ch); err != nil {
			return err
		}
	}
	if th.ResolveAfter > 0 {
		clock.set(now.Add(-time.Duration((th.Lines[0].At - th.ResolveAfter) * float64(time.Hour))))
		if th.Status == inbox.StatusArchived && inbox.CanTransition(c.Status, inbox.StatusResolved) {
			if _, err := eng.SetStatus(ctx, TenantID, convID, inbox.StatusResolved, ch); err != nil {
				return err
			}
			c.Status = inbox.StatusResolved
		}
	}
	if th.Status != "" && th.Status != c.Status && inbox.CanTransition(c.Status, th.Status) {
		if _, err := eng.SetStatus(ctx, TenantID, convID, th.Status, ch); err != nil {
			return err
		}
	}
	clock.set(time.Time{})
	if th.Draft != "" && store != nil {
		// A pending AI draft with its citations, as the Responder writes
		// one: the Engine has no method that creates a draft, so this is
		// written to the store directly.
		err := store.Update(ctx, TenantID, func(tx driver.Tx) error {
			d := inbox.Draft{TenantID: TenantID, ConversationID: convID, Text: th.Draft, Status: inbox.DraftPending, Confidence: 0.86,
				Citations: []inbox.Citation{{DocumentID: "faq-factures", Title: "FAQ — Factures et espace client",
					Excerpt: "Les factures sont envoyées par email à l'expédition et restent disponibles dans l'espace client."}},
				CreatedAt: now, UpdatedAt: now}
			return tx.CreateDraft(&d)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
