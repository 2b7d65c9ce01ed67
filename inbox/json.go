package inbox

import "encoding/json"

// mustJSON encodes audit snapshots; the values are plain structs that
// always encode.
func mustJSON(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return raw
}
