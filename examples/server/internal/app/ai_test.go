package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/inboxkit/inboxkit/examples/server/internal/app"
	"github.com/inboxkit/inboxkit/examples/server/internal/demo"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/seal"
)

// fakeOpenAI answers the chat-completions API the way OpenAI does, with
// a structured-output answer chosen by the requested JSON schema's name.
func fakeOpenAI(t *testing.T, calls *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" {
			http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
			return
		}
		calls.Add(1)
		var req struct {
			Model          string `json:"model"`
			ResponseFormat struct {
				JSONSchema struct {
					Name string `json:"name"`
				} `json:"json_schema"`
			} `json:"response_format"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var content any
		switch req.ResponseFormat.JSONSchema.Name {
		case "classification":
			content = map[string]any{"folder": "Rendez-vous", "intent": "appointment", "urgency": "normal", "confidence": 0.93, "reason": "asks to visit the showroom"}
		case "customer_reply":
			content = map[string]any{"reply": "Bonjour ! Le showroom vous accueille du mardi au samedi, de 10 h à 19 h.", "confidence": 0.88, "used_sources": []int{}}
		case "conversation_summary":
			content = map[string]any{"summary": "Le client veut venir au showroom samedi.", "key_points": []string{"visite samedi"}, "intent": "appointment", "urgency": "normal"}
		default:
			http.Error(w, `{"error":{"message":"unexpected schema"}}`, http.StatusBadRequest)
			return
		}
		raw, _ := json.Marshal(content)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": string(raw)}}},
			"usage":   map[string]int{"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestAIFeatures runs the server with an OpenAI key against a fake API:
// folders in approval mode get drafts, summaries are written on demand,
// and a message no rule matches is filed by the AI classifier.
func TestAIFeatures(t *testing.T) {
	var calls atomic.Int64
	openai := fakeOpenAI(t, &calls)
	var material [seal.KeySize]byte
	_, _ = rand.Read(material[:])
	keys, err := seal.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(material[:]))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Keys: keys, Demo: true, BcryptCost: bcrypt.MinCost,
		OpenAI: app.OpenAI{APIKey: "sk-test", BaseURL: openai.URL + "/v1", Model: "test-model"}})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(func() { ts.Close(); cancel(); <-done; _ = a.Close() })

	c := admin(t, ts.URL)
	var s struct {
		Features struct {
			AI        bool `json:"ai"`
			Summaries bool `json:"summaries"`
		} `json:"features"`
	}
	c.json(http.MethodGet, "/inbox/session", nil, http.StatusOK, &s)
	require.True(t, s.Features.AI)
	require.True(t, s.Features.Summaries)

	rdv := folderID(t, a, "Rendez-vous")
	var f struct{ Version int64 }
	c.json(http.MethodGet, "/inbox/folders/"+rdv, nil, http.StatusOK, &f)
	c.json(http.MethodPatch, "/inbox/folders/"+rdv, map[string]any{"auto_reply": map[string]any{"mode": "approve"}, "version": f.Version}, http.StatusOK, nil)

	sms := a.Demo.Integrations[inbox.SourceSMS]
	res, err := a.Engine.Ingest(ctx, demo.TenantID, []inbox.Inbound{{IntegrationID: sms, Source: inbox.SourceSMS, ProviderID: "ai-1",
		From: inbox.Party{Phone: "+33612000001"}, Text: "Bonjour, je voudrais un rendez-vous au showroom samedi.", SentAt: time.Now()}})
	require.NoError(t, err)
	convID := res.Items[0].ConversationID
	require.Eventually(t, func() bool {
		var d struct {
			Items []struct{ Text, ConversationID string } `json:"items"`
		}
		c.json(http.MethodGet, "/inbox/drafts?status=pending&conversation="+convID, nil, http.StatusOK, &d)
		return len(d.Items) == 1 && d.Items[0].Text == "Bonjour ! Le showroom vous accueille du mardi au samedi, de 10 h à 19 h."
	}, 10*time.Second, 50*time.Millisecond, "a draft waits for approval")

	var sum struct{ Summary string }
	c.json(http.MethodPost, "/inbox/conversations/"+convID+"/summary", nil, http.StatusOK, &sum)
	require.Equal(t, "Le client veut venir au showroom samedi.", sum.Summary)
	var d struct {
		Conversation struct {
			Summary       string   `json:"summary"`
			SummaryPoints []string `json:"summary_points"`
		} `json:"conversation"`
	}
	c.json(http.MethodGet, "/inbox/conversations/"+convID, nil, http.StatusOK, &d)
	require.Equal(t, "Le client veut venir au showroom samedi.", d.Conversation.Summary)
	require.Equal(t, []string{"visite samedi"}, d.Conversation.SummaryPoints)

	// No rule matches this one: the AI classifier files it off the ingest path.
	res, err = a.Engine.Ingest(ctx, demo.TenantID, []inbox.Inbound{{IntegrationID: sms, Source: inbox.SourceSMS, ProviderID: "ai-2",
		From: inbox.Party{Phone: "+33612000002"}, Text: "Je passerai vous voir jeudi vers 17 h si c'est possible.", SentAt: time.Now()}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var cv struct {
			Conversation struct {
				FolderID       string              `json:"folder_id"`
				Classification struct{ By string } `json:"classification"`
			} `json:"conversation"`
		}
		c.json(http.MethodGet, "/inbox/conversations/"+res.Items[0].ConversationID, nil, http.StatusOK, &cv)
		return cv.Conversation.FolderID == rdv
	}, 10*time.Second, 50*time.Millisecond, "filed by the AI classifier")
	require.Positive(t, calls.Load())
}
