package ai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	openai "github.com/sashabaranov/go-openai"

	"github.com/inboxkit/inboxkit/classify/ai"
	"github.com/inboxkit/inboxkit/inbox"
)

// Configuring the AI classifier for a server speaking the OpenAI API. A
// local stand-in answers here; with OpenAI, leave BaseURL alone; with
// Ollama, set BaseURL to "http://localhost:11434/v1"; with Azure, start
// from openai.DefaultAzureConfig.
func Example() {
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant",
			"content":"{\"folder\":\"Rendez-vous\",\"intent\":\"appointment\",\"urgency\":\"normal\",\"confidence\":0.93,\"reason\":\"Asks for an appointment.\"}"}}],
			"usage":{"total_tokens":310}}`)
	}))
	defer model.Close()

	cfg := openai.DefaultConfig("api-key")
	cfg.BaseURL = model.URL + "/v1"
	classifier, err := ai.New(ai.Options{Config: cfg, Model: "gpt-4o-mini"})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := classifier.Classify(context.Background(), inbox.ClassifyInput{
		Tenant:  inbox.Tenant{ID: "acme", Settings: inbox.TenantSettings{MaskPII: true}},
		Folders: []inbox.Folder{{ID: "f1", Name: "Rendez-vous", Description: "Prises et changements de rendez-vous"}, {ID: "f2", Name: "Support"}},
		Message: inbox.Message{Source: inbox.SourceSMS, Text: "Bjr, je voudrais un RDV jeudi, mon num 06 12 34 56 78"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.FolderID, d.Intent, d.Confidence, d.By)
	// Output: f1 appointment 0.93 ai
}
