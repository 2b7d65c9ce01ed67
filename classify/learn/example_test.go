package learn_test

import (
	"context"
	"fmt"

	"github.com/inboxkit/inboxkit/classify/learn"
	"github.com/inboxkit/inboxkit/inbox"
)

// A learner trained from agents' past filing predicts the folder of an
// SMS written in shorthand and without accents.
func Example() {
	l := learn.New(learn.Options{MinExamples: 6})
	l.Train("acme", []learn.Example{
		{Text: "Où est ma commande ? Toujours pas livrée", FolderID: "orders"},
		{Text: "Je voudrais annuler ma commande d'hier", FolderID: "orders"},
		{Text: "Le colis de ma commande est bloqué", FolderID: "orders"},
		{Text: "Merci de m'envoyer la facture", FolderID: "billing"},
		{Text: "Erreur de montant sur la facture", FolderID: "billing"},
		{Text: "J'ai été prélevé deux fois", FolderID: "billing"},
	})
	d, err := l.Classify(context.Background(), inbox.ClassifyInput{
		Tenant:  inbox.Tenant{ID: "acme"},
		Folders: []inbox.Folder{{ID: "orders", Name: "Commandes"}, {ID: "billing", Name: "Facturation"}},
		Message: inbox.Message{Source: inbox.SourceSMS, Text: "slt ma cmd est tjr pas livree"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.FolderID, d.By)
	// Output: orders learner
}
