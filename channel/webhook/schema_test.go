package webhook_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/webhook"
)

// TestSchemaMatchesParser keeps message.schema.json and ParseMessage in
// step: the schema is valid JSON, its examples parse, and the fields it
// requires are the ones the parser refuses to do without.
func TestSchemaMatchesParser(t *testing.T) {
	raw, err := os.ReadFile("message.schema.json")
	require.NoError(t, err)
	var schema struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
		Examples   []json.RawMessage          `json:"examples"`
	}
	require.NoError(t, json.Unmarshal(raw, &schema))
	require.NotEmpty(t, schema.Examples)
	for _, ex := range schema.Examples {
		_, err := webhook.ParseMessage(ex)
		require.NoError(t, err)
	}
	for _, field := range []string{"external_id", "channel", "from", "to", "subject", "text", "html", "attachments", "sent_at", "thread_key"} {
		require.Contains(t, schema.Properties, field, "the schema documents %s", field)
	}
	for _, field := range schema.Required {
		var ex map[string]any
		require.NoError(t, json.Unmarshal(schema.Examples[0], &ex))
		delete(ex, field)
		body, err := json.Marshal(ex)
		require.NoError(t, err)
		_, err = webhook.ParseMessage(body)
		require.Error(t, err, "without %s", field)
	}
}
