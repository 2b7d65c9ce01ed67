package rules_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/inboxkit/inboxkit/classify/rules"
	"github.com/inboxkit/inboxkit/inbox"
)

// The product's two examples, as a UI would save them, filing an SMS.
func Example() {
	folders := []inbox.Folder{
		{ID: "rdv", Name: "Rendez-vous", Position: 1, Version: 1, Rules: json.RawMessage(`{"any": [
			{"field": "subject", "op": "contains", "value": "RDV"},
			{"field": "body", "op": "contains", "value": "rendez-vous"}]}`)},
		{ID: "support", Name: "Support", Position: 2, Version: 1, Rules: json.RawMessage(`{"all": [
			{"field": "sender_email", "op": "equals", "value": "support@client.com"},
			{"field": "body", "op": "contains", "value": "problème"}]}`)},
	}
	classifier := rules.New(rules.Options{})
	for _, f := range folders {
		if err := classifier.Load("acme", f); err != nil { // validate when saved
			fmt.Println(err)
		}
	}
	d, err := classifier.Classify(context.Background(), inbox.ClassifyInput{
		Tenant:  inbox.Tenant{ID: "acme"},
		Folders: folders,
		Message: inbox.Message{Source: inbox.SourceEmail, From: inbox.Party{Email: "Support@Client.com"}, Text: "Gros PROBLEME sur le serveur"},
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(d.FolderID, d.By, d.Confidence)
	fmt.Println(d.Reason)

	_, err = rules.Compile([]byte(`{"any":[{"field":"subject","op":"contains","value":"a"},{"all":[{"field":"body","op":"containz","value":"b"}]}]}`))
	fmt.Println(err)
	// Output:
	// support rules 1
	// folder "Support": (sender email is "support@client.com" AND body contains "problème")
	// invalid rules.any[1].all[0].op: unknown operator "containz"
}
