package reply_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/reply"
)

const testAPIKey = "sk-test-0123456789abcdefghijklmnop"

// chatCall is one chat-completions request as the fake API received it.
type chatCall struct {
	Raw map[string]json.RawMessage
	Req openai.ChatCompletionRequest
}

func (c chatCall) system() string { return c.Req.Messages[0].Content }
func (c chatCall) user() string   { return c.Req.Messages[len(c.Req.Messages)-1].Content }

// sourceNumber returns the number of the first source whose text contains
// s, or 0.
func (c chatCall) sourceNumber(s string) int {
	for _, m := range regexp.MustCompile(`(?s)<source n="(\d+)"[^>]*>\n(.*?)\n</source>`).FindAllStringSubmatch(c.system(), -1) {
		if strings.Contains(m[2], s) {
			var n int
			_, _ = fmt.Sscan(m[1], &n)
			return n
		}
	}
	return 0
}

// modelAnswer is what a scripted model returns for one call: a status
// other than 200 makes an API error; Delay holds the answer back.
type modelAnswer struct {
	Status  int
	Content string
	Finish  string
	Delay   time.Duration
}

// fakeAPI speaks the OpenAI chat-completions and embeddings wire formats.
// Chat answers come from script; embeddings are deterministic bags of
// words, so cosine similarity follows shared vocabulary.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	chats  []chatCall
	embeds []openai.EmbeddingRequest
	script func(call chatCall) modelAnswer
}

func newFakeAPI(t *testing.T, script func(call chatCall) modelAnswer) *fakeAPI {
	f := &fakeAPI{t: t, script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", f.chat)
	mux.HandleFunc("POST /v1/embeddings", f.embed)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) client() reply.ClientOptions {
	return reply.ClientOptions{BaseURL: f.srv.URL + "/v1", APIKey: testAPIKey}
}

func (f *fakeAPI) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer "+testAPIKey {
		writeAPIError(w, http.StatusUnauthorized, "Incorrect API key provided")
		return false
	}
	return true
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "server_error", "code": nil}})
}

func (f *fakeAPI) chat(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	body, err := io.ReadAll(r.Body)
	require.NoError(f.t, err)
	var call chatCall
	require.NoError(f.t, json.Unmarshal(body, &call.Raw))
	require.NoError(f.t, json.Unmarshal(body, &call.Req))
	f.mu.Lock()
	f.chats = append(f.chats, call)
	f.mu.Unlock()
	ans := f.script(call)
	if ans.Delay > 0 {
		select {
		case <-time.After(ans.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if ans.Status != 0 && ans.Status != http.StatusOK {
		writeAPIError(w, ans.Status, ans.Content)
		return
	}
	finish := ans.Finish
	if finish == "" {
		finish = "stop"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 1773219600, "model": call.Req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": finish,
			"message": map[string]any{"role": "assistant", "content": ans.Content}}},
		"usage": map[string]int{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
	})
}

func (f *fakeAPI) embed(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	var req openai.EmbeddingRequest
	require.NoError(f.t, json.NewDecoder(r.Body).Decode(&req))
	f.mu.Lock()
	f.embeds = append(f.embeds, req)
	f.mu.Unlock()
	inputs, ok := req.Input.([]any)
	require.True(f.t, ok, "input is an array of strings")
	data := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": bagOfWords(in.(string))}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": 10, "total_tokens": 10}})
}

// bagOfWords hashes lower-cased words of four letters or more into 64
// dimensions and normalises the vector.
func bagOfWords(s string) []float32 {
	v := make([]float32, 64)
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !('a' <= r && r <= 'z' || r >= 0xC0 || '0' <= r && r <= '9') }) {
		if len([]rune(w)) < 4 {
			continue
		}
		h := fnv.New32a()
		_, _ = h.Write([]byte(w))
		v[h.Sum32()%64]++
	}
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	if n > 0 {
		for i := range v {
			v[i] = float32(float64(v[i]) / math.Sqrt(n))
		}
	}
	return v
}

func (f *fakeAPI) calls() []chatCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]chatCall(nil), f.chats...)
}

func (f *fakeAPI) embedCalls() []openai.EmbeddingRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]openai.EmbeddingRequest(nil), f.embeds...)
}

// answer encodes a reply the way the structured-output schema asks.
func answer(text string, confidence float64, used ...int) modelAnswer {
	if used == nil {
		used = []int{}
	}
	raw, _ := json.Marshal(map[string]any{"reply": text, "confidence": confidence, "used_sources": used})
	return modelAnswer{Content: string(raw)}
}

// requireNoTools checks that a request gives the model no way to act.
func requireNoTools(t *testing.T, c chatCall) {
	t.Helper()
	for _, k := range []string{"tools", "tool_choice", "functions", "function_call", "parallel_tool_calls"} {
		require.NotContains(t, c.Raw, k, "the model gets no tools")
	}
}

// requireStrictSchema checks the structured-output request.
func requireStrictSchema(t *testing.T, c chatCall, name string) {
	t.Helper()
	var rf struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string          `json:"name"`
			Strict bool            `json:"strict"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	require.NoError(t, json.Unmarshal(c.Raw["response_format"], &rf))
	require.Equal(t, "json_schema", rf.Type)
	require.Equal(t, name, rf.JSONSchema.Name)
	require.True(t, rf.JSONSchema.Strict)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(rf.JSONSchema.Schema, &schema))
	require.Equal(t, false, schema["additionalProperties"])
}
