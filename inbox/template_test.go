package inbox_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

var approved = []inbox.Template{
	{Name: "order_ready", Locale: "fr", Body: "Bonjour {{1}}, votre commande {{2}} est prête.", Parameters: 2},
	{Name: "order_ready", Locale: "en_GB", Body: "Hello {{1}}, your order {{2}} is ready.", Parameters: 2},
	{Name: "call_back", Locale: "fr", Body: "Nous avons essayé de vous joindre.", Parameters: 0},
}

func TestCheckTemplates(t *testing.T) {
	require.NoError(t, inbox.CheckTemplates(approved))
	tests := []struct {
		name  string
		t     inbox.Template
		field string
	}{
		{"name with spaces", inbox.Template{Name: "order ready", Locale: "fr", Body: "x"}, "templates[0].name"},
		{"locale", inbox.Template{Name: "a", Locale: "French", Body: "x"}, "templates[0].locale"},
		{"empty body", inbox.Template{Name: "a", Locale: "fr", Body: " "}, "templates[0].body"},
		{"placeholder beyond the count", inbox.Template{Name: "a", Locale: "fr", Body: "{{1}} {{3}}", Parameters: 2}, "templates[0].body"},
		{"placeholder missing", inbox.Template{Name: "a", Locale: "fr", Body: "{{2}}", Parameters: 2}, "templates[0].body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := inbox.CheckTemplates([]inbox.Template{tt.t})
			require.ErrorIs(t, err, inbox.ErrInvalid)
			var fe *inbox.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
		})
	}
	err := inbox.CheckTemplates([]inbox.Template{approved[0], approved[0]})
	require.ErrorContains(t, err, `template "order_ready" is declared twice in fr`)
}

func TestTemplateRender(t *testing.T) {
	text, err := approved[0].Render([]string{"Anna", "A-1042"})
	require.NoError(t, err)
	require.Equal(t, "Bonjour Anna, votre commande A-1042 est prête.", text)
	_, err = approved[0].Render([]string{"Anna"})
	require.ErrorContains(t, err, `template "order_ready" takes 2 parameters, 1 were given`)
	_, err = approved[0].Render([]string{"Anna", "a\tb"})
	require.ErrorContains(t, err, "{{2}} holds a line break or a tab")
	_, err = approved[0].Render([]string{"Anna", "a      b"})
	require.ErrorContains(t, err, "more than four spaces")
}

func TestReplyWithTemplate(t *testing.T) {
	e := newEnv(t, inbox.Options{})
	admin := inbox.Change{Actor: "admin"}
	name := "WhatsApp"
	tpl := approved
	wa, err := e.engine.CreateIntegration(e.ctx, tenantA, inbox.IntegrationChange{Kind: inbox.SourceWhatsApp, Name: &name,
		Config: map[string]string{"number": "+33100000001"}, Templates: &tpl}, admin)
	require.NoError(t, err)
	require.Equal(t, approved, wa.Templates)
	stored, err := e.engine.Integration(e.ctx, tenantA, wa.ID)
	require.NoError(t, err)
	require.Equal(t, approved, stored.Templates, "kept with the integration")

	bad := []inbox.Template{{Name: "x", Locale: "fr", Body: "{{2}}", Parameters: 1}}
	_, err = e.engine.UpdateIntegration(e.ctx, tenantA, wa.ID, inbox.IntegrationChange{Templates: &bad}, admin)
	require.ErrorContains(t, err, "uses {{2}} but the template declares 1 parameters")
	smsName := "SMS"
	_, err = e.engine.CreateIntegration(e.ctx, tenantA, inbox.IntegrationChange{Kind: inbox.SourceSMS, Name: &smsName, Templates: &tpl}, admin)
	require.ErrorContains(t, err, "only WhatsApp integrations send approved templates, not sms")

	in := inbox.Inbound{IntegrationID: wa.ID, Source: inbox.SourceWhatsApp, ProviderID: "w1", From: inbox.Party{Phone: "+33612345678", Name: "Anna"}, Text: "Bonjour"}
	conv := e.ingest(in).Items[0].ConversationID
	actor := inbox.Change{Actor: "claire"}

	msg, err := e.engine.Reply(e.ctx, tenantA, conv, inbox.ReplyRequest{Template: &inbox.TemplateChoice{Name: "order_ready", Locale: "fr", Parameters: []string{"Anna", "A-1042"}}}, actor)
	require.NoError(t, err)
	require.Equal(t, "Bonjour Anna, votre commande A-1042 est prête.", msg.Text, "the stored message reads as the customer sees it")
	require.Equal(t, &inbox.TemplateChoice{Name: "order_ready", Locale: "fr", Parameters: []string{"Anna", "A-1042"}}, msg.Template)
	msgs := e.messages(conv)
	require.Equal(t, msg.Template, msgs[len(msgs)-1].Template, "the outbox sends what was chosen")
	require.Equal(t, msg.Text, msgs[len(msgs)-1].Text)

	msg, err = e.engine.Reply(e.ctx, tenantA, conv, inbox.ReplyRequest{Template: &inbox.TemplateChoice{Name: "call_back"}}, actor)
	require.NoError(t, err)
	require.Equal(t, "fr", msg.Template.Locale, "the only locale of the name")

	refused := []struct {
		name  string
		req   inbox.ReplyRequest
		field string
	}{
		{"unknown template", inbox.ReplyRequest{Template: &inbox.TemplateChoice{Name: "promo"}}, "template.name"},
		{"ambiguous locale", inbox.ReplyRequest{Template: &inbox.TemplateChoice{Name: "order_ready", Parameters: []string{"a", "b"}}}, "template.locale"},
		{"wrong parameter count", inbox.ReplyRequest{Template: &inbox.TemplateChoice{Name: "order_ready", Locale: "en_GB", Parameters: []string{"a"}}}, "template.parameters"},
		{"free text beside the template", inbox.ReplyRequest{Text: "hi", Template: &inbox.TemplateChoice{Name: "call_back"}}, "text"},
	}
	before := len(e.messages(conv))
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.engine.Reply(e.ctx, tenantA, conv, tt.req, actor)
			require.ErrorIs(t, err, inbox.ErrInvalid)
			var fe *inbox.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
		})
	}
	require.Len(t, e.messages(conv), before, "nothing queued")

	vonage := e.integration(inbox.SourceSMS, map[string]string{"number": "+33100000000"})
	s := sms("s1", "+33600000009", "Bonjour")
	s.IntegrationID = vonage.ID
	smsConv := e.ingest(s).Items[0].ConversationID
	_, err = e.engine.Reply(e.ctx, tenantA, smsConv, inbox.ReplyRequest{Template: &inbox.TemplateChoice{Name: "call_back"}}, actor)
	require.ErrorContains(t, err, "only WhatsApp replies are sent as templates")
}
