package api

import "encoding/json"

// mustJSON encodes an audit snapshot; the values are plain structs.
func mustJSON(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return raw
}
