package storetest

import (
	"encoding/json"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// t0 is the suite's reference instant, at microsecond precision.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// paris is a non-UTC zone: stores must hand times back in UTC.
var paris = time.FixedZone("CET", 3600)

// at returns t0 shifted by d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// newConversation returns a minimal email conversation, changed by mods.
func newConversation(mods ...func(*inbox.Conversation)) inbox.Conversation {
	c := inbox.Conversation{
		Source:        inbox.SourceEmail,
		Status:        inbox.StatusNew,
		Subject:       "Delivery question",
		ThreadSubject: "Delivery question",
		LastMessageAt: t0,
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// newMessage returns a minimal inbound email in conversation convID,
// changed by mods.
func newMessage(convID string, mods ...func(*inbox.Message)) inbox.Message {
	m := inbox.Message{
		ConversationID: convID,
		Source:         inbox.SourceEmail,
		Direction:      inbox.DirectionIn,
		Author:         inbox.AuthorCustomer,
		From:           inbox.Party{Name: "Ada Lovelace", Email: "ada@example.com"},
		Subject:        "Delivery question",
		Text:           "Where is my parcel?",
		SentAt:         t0,
	}
	for _, mod := range mods {
		mod(&m)
	}
	return m
}

// fullTenant sets every field of a tenant.
func fullTenant(id inbox.TenantID) inbox.Tenant {
	return inbox.Tenant{
		ID:   id,
		Name: "Lumière & Fils",
		Settings: inbox.TenantSettings{
			TimeZone:           "Europe/Paris",
			Newsletter:         inbox.NewsletterFolder,
			NewsletterFolderID: "folder-news",
			ReopenWindow:       36 * time.Hour,
			SubjectWindow:      10 * 24 * time.Hour,
			ReplyPrompt:        "Réponds poliment.",
			MaskPII:            true,
			Extra:              json.RawMessage(`{"crm": {"plan": "pro", "seats": 12}}`),
		},
		CreatedAt: t0.In(paris),
		UpdatedAt: at(time.Minute).In(paris),
	}
}

// fullIntegration sets every field of an integration.
func fullIntegration() inbox.Integration {
	return inbox.Integration{
		Kind:      inbox.SourceEmail,
		Name:      "support",
		Enabled:   true,
		Config:    map[string]string{"host": "imap.example.com", "port": "993", "folders": "INBOX,Sent"},
		Secrets:   map[string][]byte{"password": {0x00, 0x01, 0xfe, 0xff, 'k'}},
		Templates: []inbox.Template{{Name: "order_ready", Locale: "fr", Body: "Bonjour {{1}}, votre commande {{2}} est prête.", Parameters: 2}},
		Cursor:    "uidvalidity=7;uid=42",
		LastSync: inbox.SyncReport{
			StartedAt: t0.In(paris), FinishedAt: at(time.Second).In(paris),
			Fetched: 10, New: 7, Duplicates: 2, Quarantined: 1, Skipped: 0,
			Errors: []string{"folder Junk: timeout"},
		},
		Status:    inbox.IntegrationOK,
		CreatedAt: t0.In(paris),
		UpdatedAt: at(time.Minute).In(paris),
	}
}

// fullContact sets every field of a contact.
func fullContact() inbox.Contact {
	return inbox.Contact{
		Name:       "Élodie Martin",
		Emails:     []string{"elodie@example.fr", "e.martin@example.com"},
		Phones:     []string{"33612345678"},
		Handles:    []string{"chat-1/visitor-7"},
		ExternalID: "crm-1001",
		CreatedAt:  t0.In(paris),
		UpdatedAt:  at(time.Minute).In(paris),
	}
}

// fullFolder sets every field of a folder.
func fullFolder() inbox.Folder {
	return inbox.Folder{
		Name:        "Réclamations",
		Description: "Complaints about damaged or late orders",
		Position:    3,
		Rules:       json.RawMessage(`[{"if": "subject contains 'cassé'", "then": {"status": "urgent"}}]`),
		AutoReply: inbox.AutoReplySettings{
			Mode: inbox.AutoReplyApproval, Prompt: "Excuse-toi.", UseKnowledge: true, MaxPerContactPerDay: 2,
		},
		CreatedAt: t0.In(paris),
		UpdatedAt: at(time.Minute).In(paris),
	}
}

// fullConversation sets every field of a conversation.
func fullConversation() inbox.Conversation {
	return inbox.Conversation{
		Source:           inbox.SourceEmail,
		IntegrationID:    "integration-1",
		ContactID:        "contact-1",
		FolderID:         "folder-1",
		Status:           inbox.StatusUrgent,
		Intent:           inbox.IntentComplaint,
		Urgency:          inbox.UrgencyHigh,
		Assignee:         "emp-7",
		Tags:             []string{"vip", "damaged"},
		Unread:           2,
		Subject:          "RE: Lampe cassée",
		ThreadSubject:    "Lampe cassée",
		Automated:        true,
		MessageCount:     3,
		LastMessageAt:    at(3 * time.Hour).In(paris),
		LastInboundAt:    at(2 * time.Hour).In(paris),
		LastHumanReplyAt: at(time.Hour).In(paris),
		LastAutoReplyAt:  at(30 * time.Minute).In(paris),
		Classification: inbox.Decision{
			FolderID: "folder-1", Status: inbox.StatusUrgent, Intent: inbox.IntentComplaint,
			Urgency: inbox.UrgencyHigh, Tags: []string{"damaged"}, Assignee: "emp-7",
			Confidence: 0.875, Reason: "subject mentions a broken lamp", By: "rules",
			At: at(time.Minute).In(paris), Error: "",
		},
		ProjectID:    "project-9",
		ExternalRefs: map[string]string{"deal": "D-42", "ticket": "T-7"},
		Summary:      "Customer received a broken lamp.",
		CreatedAt:    t0.In(paris),
		UpdatedAt:    at(4 * time.Hour).In(paris),
	}
}

// fullMessage sets every field of a message in conversation convID.
func fullMessage(convID string) inbox.Message {
	return inbox.Message{
		ConversationID: convID,
		IntegrationID:  "integration-1",
		Source:         inbox.SourceEmail,
		Channel:        "webchat",
		Direction:      inbox.DirectionOut,
		Author:         inbox.AuthorAgent,
		AuthorID:       "emp-7",
		ProviderID:     "7/INBOX/42",
		MessageID:      "abc@example.com",
		InReplyTo:      "parent@example.com",
		References:     []string{"root@example.com", "parent@example.com"},
		From:           inbox.Party{Name: "Support", Email: "support@shop.example"},
		To:             []inbox.Party{{Name: "Élodie", Email: "elodie@example.fr"}},
		Cc:             []inbox.Party{{Email: "boss@example.fr"}, {Phone: "33600000000", ID: "u-1"}},
		ReplyTo:        []inbox.Party{{Email: "noreply@shop.example"}},
		Subject:        "RE: Lampe cassée",
		Text:           "Bonjour, nous vous renvoyons une lampe.",
		HTML:           "<p>Bonjour, nous vous renvoyons une lampe.</p>",
		Attachments: []inbox.Attachment{{
			ID: "att-1", Filename: "bon.pdf", ContentType: "application/pdf", Size: 12345,
			SHA256: "e3b0c442", BlobKey: "blobs/att-1", ContentID: "cid-1", Inline: true, Rejected: "",
		}, {ID: "att-2", Filename: "x.exe", ContentType: "application/octet-stream", Rejected: "type not allowed"}},
		Template:        &inbox.TemplateChoice{Name: "order_ready", Locale: "fr", Parameters: []string{"Élodie", "A-1042"}},
		Automated:       true,
		Newsletter:      true,
		Bounce:          true,
		AutomatedReason: "auto-submitted",
		RawKey:          "raw/abc",
		ThreadReason:    "in-reply-to <parent@example.com>",
		DedupeKeys:      []string{"p:integration-1:7/INBOX/42", "m:abc@example.com|support@shop.example"},
		ThreadKeys:      []string{"m:abc@example.com", "t:0102"},
		SentAt:          at(time.Hour).In(paris),
		CreatedAt:       at(time.Hour + time.Second).In(paris),
		Read:            true,
		Delivery:        inbox.DeliveryFailed,
		DeliveryError:   "550 mailbox unavailable",
		Language:        "fr",
	}
}
