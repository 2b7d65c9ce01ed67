package rules

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox"
)

// seedFolders are the product description's two examples, as a UI saves them.
func seedFolders() []inbox.Folder {
	return []inbox.Folder{
		{ID: "f-rdv", Name: "Rendez-vous", Position: 1, Version: 1, Rules: json.RawMessage(`{
			"any": [
				{"field": "subject", "op": "contains", "value": "RDV"},
				{"field": "body", "op": "contains", "value": "rendez-vous"}
			]}`)},
		{ID: "f-support", Name: "Support", Position: 2, Version: 1, Rules: json.RawMessage(`{
			"all": [
				{"field": "sender_email", "op": "equals", "value": "support@client.com"},
				{"field": "body", "op": "contains", "value": "problème"}
			]}`)},
		{ID: "f-empty", Name: "Divers", Position: 3, Version: 1},
	}
}

func input(folders []inbox.Folder, m inbox.Message) inbox.ClassifyInput {
	return inbox.ClassifyInput{Tenant: inbox.Tenant{ID: "t1"}, Folders: folders, Message: m}
}

func TestSeedExamples(t *testing.T) {
	c := New(Options{})
	folders := seedFolders()
	for _, tc := range []struct {
		name       string
		msg        inbox.Message
		wantFolder string
		wantReason string
	}{
		{"subject RDV", inbox.Message{Subject: "Demande de RDV", Text: "Bonjour"}, "f-rdv", `folder "Rendez-vous": subject contains "RDV"`},
		{"subject rdv lower case", inbox.Message{Subject: "rdv demain ?", Source: inbox.SourceSMS}, "f-rdv", `folder "Rendez-vous": subject contains "RDV"`},
		{"body rendez-vous", inbox.Message{Subject: "Question", Text: "Je voudrais prendre un Rendez-Vous mardi."}, "f-rdv", `folder "Rendez-vous": body contains "rendez-vous"`},
		{"support with accent", inbox.Message{From: inbox.Party{Email: "support@client.com"}, Text: "Nous avons un problème de connexion"}, "f-support",
			`folder "Support": (sender email is "support@client.com" AND body contains "problème")`},
		{"support without accent and upper case", inbox.Message{From: inbox.Party{Email: "Support@Client.com"}, Text: "PROBLEME urgent"}, "f-support", ""},
		{"support wrong sender", inbox.Message{From: inbox.Party{Email: "bob@client.com"}, Text: "un problème"}, "", ""},
		{"support without problem", inbox.Message{From: inbox.Party{Email: "support@client.com"}, Text: "merci"}, "", ""},
		{"both: first folder wins", inbox.Message{From: inbox.Party{Email: "support@client.com"}, Subject: "RDV", Text: "problème"}, "f-rdv", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := c.Classify(context.Background(), input(folders, tc.msg))
			require.NoError(t, err)
			require.Equal(t, tc.wantFolder, d.FolderID)
			if tc.wantFolder == "" {
				require.True(t, d.Abstains())
				return
			}
			require.Equal(t, By, d.By)
			require.Equal(t, 1.0, d.Confidence)
			if tc.wantReason != "" {
				require.Equal(t, tc.wantReason, d.Reason)
			}
		})
	}
}

func TestPositionOrderAndActions(t *testing.T) {
	folders := []inbox.Folder{
		{ID: "late", Name: "Late", Position: 9, Version: 1, Rules: json.RawMessage(`{"field":"body","op":"contains","value":"commande"}`)},
		{ID: "vip", Name: "VIP", Position: 0, Version: 1, Rules: json.RawMessage(`{
			"field":"sender_domain","op":"in","value":["bigcorp.com"],
			"actions":{"no_move":true,"tags":["vip"],"assign":"emp-7","urgency":"high"}}`)},
		{ID: "urgent", Name: "Urgent", Position: 1, Version: 1, Rules: json.RawMessage(`{
			"field":"body","op":"matches","value":"\\burgent\\b",
			"actions":{"status":"urgent","intent":"urgent","tags":["vip","urgent"]}}`)},
	}
	c := New(Options{})
	d, err := c.Classify(context.Background(), input(folders, inbox.Message{From: inbox.Party{Email: "ceo@bigcorp.com"}, Text: "Commande URGENT svp"}))
	require.NoError(t, err)
	require.Equal(t, "urgent", d.FolderID)
	require.Equal(t, inbox.StatusUrgent, d.Status)
	require.Equal(t, inbox.IntentUrgent, d.Intent)
	require.Equal(t, inbox.UrgencyHigh, d.Urgency)
	require.Equal(t, "emp-7", d.Assignee)
	require.Equal(t, []string{"vip", "urgent"}, d.Tags)
	require.Contains(t, d.Reason, `folder "VIP": sender domain is one of ["bigcorp.com"]`)

	// A no_move match alone still decides (tags, assignee) without filing.
	d, err = c.Classify(context.Background(), input(folders, inbox.Message{From: inbox.Party{Email: "ceo@bigcorp.com"}, Text: "bonjour"}))
	require.NoError(t, err)
	require.Empty(t, d.FolderID)
	require.False(t, d.Abstains())
	require.Equal(t, []string{"vip"}, d.Tags)
}

func TestInvalidNewVersionKeepsPreviousRules(t *testing.T) {
	var reported []error
	c := New(Options{OnInvalid: func(_ inbox.TenantID, _ inbox.Folder, err error) { reported = append(reported, err) }})
	folder := inbox.Folder{ID: "f", Name: "Factures", Version: 1, Rules: json.RawMessage(`{"field":"subject","op":"contains","value":"facture"}`)}
	msg := inbox.Message{Subject: "Votre FACTURE"}
	d, err := c.Classify(context.Background(), input([]inbox.Folder{folder}, msg))
	require.NoError(t, err)
	require.Equal(t, "f", d.FolderID)

	folder.Version = 2
	folder.Rules = json.RawMessage(`{"field":"subject","op":"containz","value":"devis"}`)
	err = c.Load("t1", folder)
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.ErrorContains(t, err, `unknown operator "containz"`)

	for range 3 {
		d, err = c.Classify(context.Background(), input([]inbox.Folder{folder}, msg))
		require.NoError(t, err)
		require.Equal(t, "f", d.FolderID, "the previous rules stay active")
	}
	require.Len(t, reported, 0, "Load reported the error to its caller")
	require.Contains(t, c.Errors("t1")["f"].Error(), "containz")

	// A later valid version replaces both.
	folder.Version = 3
	folder.Rules = json.RawMessage(`{"field":"subject","op":"contains","value":"devis"}`)
	d, err = c.Classify(context.Background(), input([]inbox.Folder{folder}, msg))
	require.NoError(t, err)
	require.True(t, d.Abstains())
	require.Empty(t, c.Errors("t1"))

	// Stored invalid rules seen first at classification are reported once.
	folder.Version = 4
	folder.Rules = json.RawMessage(`{"field":"subject","op":"matches","value":"(("}`)
	for range 2 {
		_, err = c.Classify(context.Background(), input([]inbox.Folder{folder}, inbox.Message{Subject: "devis"}))
		require.NoError(t, err)
	}
	require.Len(t, reported, 1)
	require.ErrorIs(t, reported[0], inbox.ErrInvalid)
}

func TestInvalidateRecompiles(t *testing.T) {
	c := New(Options{})
	folder := inbox.Folder{ID: "f", Name: "F", Version: 1, Rules: json.RawMessage(`{"field":"subject","op":"contains","value":"a"}`)}
	require.NoError(t, c.Load("t1", folder))
	p1, _ := c.program("t1", folder, true)
	p2, _ := c.program("t1", folder, true)
	require.Same(t, p1, p2, "compiled once per version")
	c.Invalidate("t1", "f")
	p3, _ := c.program("t1", folder, true)
	require.NotSame(t, p1, p3)
	other, _ := c.program("t2", folder, true)
	require.NotSame(t, p3, other, "tenants do not share entries")

	// Rules edited in place without a new version: Invalidate picks them up.
	in := input([]inbox.Folder{folder}, inbox.Message{Subject: "a"})
	d, err := c.Classify(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, "f", d.FolderID)
	in.Folders[0].Rules = json.RawMessage(`{"field":"subject","op":"contains","value":"b"}`)
	c.Invalidate("t1", "f")
	d, err = c.Classify(context.Background(), in)
	require.NoError(t, err)
	require.True(t, d.Abstains())
}

func TestRuntimeErrorsSkipFolder(t *testing.T) {
	folders := []inbox.Folder{
		{ID: "bad", Name: "Bad", Position: 0, Version: 1, Rules: json.RawMessage(`{"expr":"recipients[2] == \"x\""}`)},
		{ID: "good", Name: "Good", Position: 1, Version: 1, Rules: json.RawMessage(`{"field":"subject","op":"contains","value":"ok"}`)},
	}
	c := New(Options{})
	d, err := c.Classify(context.Background(), input(folders, inbox.Message{Subject: "ok"}))
	require.NoError(t, err)
	require.Equal(t, "good", d.FolderID)
	_, err = c.Classify(context.Background(), input(folders, inbox.Message{Subject: "no"}))
	require.Error(t, err)
	require.Contains(t, err.Error(), `folder "Bad"`)
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Classify(ctx, input(seedFolders(), inbox.Message{Subject: "RDV"}))
	require.True(t, errors.Is(err, context.Canceled))
}

func TestOnlyNeededFieldsAreComputed(t *testing.T) {
	p, err := Compile([]byte(`{"field":"subject","op":"contains","value":"x"}`))
	require.NoError(t, err)
	in := input(nil, inbox.Message{Subject: "X", Text: "Long Body", From: inbox.Party{Name: "Zoé"}, To: []inbox.Party{{Email: "a@b.c"}}})
	env := newEnv(in, p.used)
	require.Equal(t, "x", env.Subject)
	require.Empty(t, env.Body)
	require.Empty(t, env.SenderName)
	require.Empty(t, env.Recipients)
	require.Equal(t, "long body", NewEnv(in).Body, "NewEnv computes everything")

	// Through the classifier, each folder sees the fields its rules read.
	folders := []inbox.Folder{
		{ID: "a", Name: "A", Position: 0, Version: 1, Rules: json.RawMessage(`{"field":"recipients","op":"equals","value":"ventes@shop.fr"}`)},
		{ID: "b", Name: "B", Position: 1, Version: 1, Rules: json.RawMessage(`{"field":"sender_name","op":"contains","value":"zoe"}`)},
		{ID: "c", Name: "C", Position: 2, Version: 1, Rules: json.RawMessage(`{"expr":"body contains \"body\""}`)},
	}
	c := New(Options{})
	for _, tc := range []struct {
		msg  inbox.Message
		want string
	}{
		{inbox.Message{Cc: []inbox.Party{{Email: "Ventes@Shop.fr"}}}, "a"},
		{inbox.Message{From: inbox.Party{Name: "Zoé"}}, "b"},
		{inbox.Message{Text: "Long BODY"}, "c"},
	} {
		d, err := c.Classify(context.Background(), input(folders, tc.msg))
		require.NoError(t, err)
		require.Equal(t, tc.want, d.FolderID)
	}
}

func TestConcurrentClassifyAndRuleChanges(t *testing.T) {
	c := New(Options{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				folders := seedFolders()
				folders[0].Version = int64(1 + i%3) // rules "change" under the classifier
				if g == 0 && i%50 == 0 {
					c.Invalidate("t1", "f-rdv")
				}
				d, err := c.Classify(context.Background(), input(folders, inbox.Message{Subject: "RDV"}))
				if err != nil || d.FolderID != "f-rdv" {
					t.Errorf("got %+v, %v", d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
