// Command quickstart shows the smallest useful inboxkit program: an Engine
// on the in-memory store ingests a few emails and SMS, files them with a
// function classifier and prints the conversations per folder.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/memstore"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	store := memstore.New() // or sqlite.Open / postgres.Open
	defer store.Close()

	// A classifier is any function: here, the seed's examples as code. It
	// files into the folders created below, by id.
	folders := map[string]string{} // name -> id
	classifier := inbox.ClassifierFunc(func(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		subject, text := strings.ToLower(in.Message.Subject), strings.ToLower(in.Message.Text)
		switch {
		case strings.Contains(subject, "rdv") || strings.Contains(text, "rendez-vous"):
			return inbox.Decision{FolderID: folders["Rendez-vous"], Intent: inbox.IntentAppointment, By: "quickstart", Reason: "RDV or rendez-vous"}, nil
		case strings.Contains(text, "commande"):
			return inbox.Decision{FolderID: folders["Commandes"], Intent: inbox.IntentOrder, By: "quickstart", Reason: "mentions an order"}, nil
		case strings.Contains(text, "ne fonctionne pas") || strings.Contains(text, "problème"):
			return inbox.Decision{FolderID: folders["Support"], Status: inbox.StatusUrgent, By: "quickstart", Reason: "something is broken"}, nil
		}
		return inbox.Decision{}, nil // abstain: stays unfiled
	})

	eng, err := inbox.New(inbox.Options{Store: store, Classifier: classifier})
	if err != nil {
		return err
	}
	defer eng.Close()

	// Every write goes through the Engine, which validates and audits it.
	const tenant inbox.TenantID = "maison-lumiere"
	setup := inbox.Change{Actor: "quickstart"}
	if _, err := eng.CreateTenant(ctx, inbox.Tenant{ID: tenant, Name: "Maison Lumière"}, setup); err != nil {
		return err
	}
	for i, name := range []string{"Commandes", "Rendez-vous", "Support"} {
		f, err := eng.SaveFolder(ctx, tenant, inbox.Folder{Name: name, Position: i}, setup)
		if err != nil {
			return err
		}
		folders[name] = f.ID
	}

	now := time.Now()
	res, err := eng.Ingest(ctx, tenant, []inbox.Inbound{
		{Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: "1:101", MessageID: "a1@courriel.example",
			From:    inbox.Party{Name: "Camille Rousseau", Email: "camille.rousseau@courriel.example"},
			Subject: "Où est ma commande #12345 ?", Text: "Bonjour, où en est ma commande #12345 ?", SentAt: now.Add(-3 * time.Hour)},
		{Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: "1:102", MessageID: "b1@courriel.example",
			From:    inbox.Party{Name: "Julien Moreau", Email: "julien.moreau@courriel.example"},
			Subject: "Demande de RDV", Text: "Je voudrais prendre rendez-vous au showroom.", SentAt: now.Add(-2 * time.Hour)},
		{Source: inbox.SourceSMS, IntegrationID: "vonage", ProviderID: "sms-1",
			From: inbox.Party{Phone: "+33 6 12 34 56 78"}, Text: "Mon compte ne fonctionne pas", SentAt: now.Add(-time.Hour)},
		// The customer's reply threads into the existing conversation...
		{Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: "1:103", MessageID: "a2@courriel.example",
			InReplyTo: "a1@courriel.example", From: inbox.Party{Email: "camille.rousseau@courriel.example"},
			Subject: "Re: Où est ma commande #12345 ?", Text: "Je l'attends pour samedi.", SentAt: now.Add(-30 * time.Minute)},
		// ...and the same mail fetched twice is stored once.
		{Source: inbox.SourceEmail, IntegrationID: "mailbox", ProviderID: "1:103", MessageID: "a2@courriel.example",
			From: inbox.Party{Email: "camille.rousseau@courriel.example"}, Subject: "Re: Où est ma commande #12345 ?"},
	})
	if err != nil {
		return err
	}
	fmt.Printf("ingested: %d stored, %d duplicate, %d quarantined\n\n", res.Stored, res.Duplicates, res.Quarantined)

	names := map[string]string{"": "(unfiled)"}
	for name, id := range folders {
		names[id] = name
	}
	page, err := eng.Conversations(ctx, tenant, inbox.ConversationQuery{})
	if err != nil {
		return err
	}
	byFolder := map[string][]inbox.Conversation{}
	for _, c := range page.Items {
		byFolder[c.FolderID] = append(byFolder[c.FolderID], c)
	}
	for _, id := range []string{folders["Commandes"], folders["Rendez-vous"], folders["Support"], ""} {
		fmt.Printf("%s\n", names[id])
		for _, c := range byFolder[id] {
			contact, _ := eng.ContactRecord(ctx, tenant, c.ContactID)
			who := contact.Name
			if who == "" && len(contact.Phones) > 0 {
				who = "+" + contact.Phones[0]
			}
			fmt.Fprintf(os.Stdout, "  [%-6s %-7s] %-28s %-32q %d message(s), %d unread — %s\n",
				c.Source, c.Status, who, c.Subject, c.MessageCount, c.Unread, c.Classification.Reason)
		}
	}
	return nil
}
