package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/inbox"
)

// maxJSONBytes bounds JSON request bodies.
const maxJSONBytes = 2 << 20

// decode reads a JSON body into v, refusing unknown fields and naming the
// field whose value has the wrong type.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return inbox.Invalid("Content-Type", "must be application/json")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyReadError(err, jsonError(err))
	}
	if dec.More() {
		return inbox.Invalid("body", "must hold one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return inbox.Invalid(field, fmt.Sprintf("must be a JSON %s", jsonKind(typeErr.Type.Kind().String())))
	case errors.As(err, &syntaxErr):
		return inbox.Invalid("body", fmt.Sprintf("is not valid JSON (offset %d)", syntaxErr.Offset))
	case errors.As(err, &maxErr):
		return tooLarge("body", fmt.Sprintf("is larger than %d bytes", maxErr.Limit))
	case errors.Is(err, io.EOF):
		return inbox.Invalid("body", "is empty; a JSON object is expected")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return inbox.Invalid(name, "is not a known field")
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return inbox.Invalid("body", "a time is not in RFC 3339 format")
	}
	return inbox.Invalid("body", "is not valid JSON")
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "number"
	case "slice":
		return "array"
	case "map", "struct":
		return "object"
	case "bool":
		return "boolean"
	}
	return k
}

// writeJSON answers with a JSON document.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// queryInt reads an integer query parameter within [min, max].
func queryInt(r *http.Request, name string, def, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, inbox.Invalid(name, fmt.Sprintf("must be an integer from %d to %d", min, max))
	}
	return n, nil
}

// queryTime reads an RFC 3339 time or a YYYY-MM-DD date.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, inbox.Invalid(name, "must be an RFC 3339 time or a YYYY-MM-DD date")
}

// queryBool reads "1"/"true"/"0"/"false".
func queryBool(r *http.Request, name string) (bool, error) {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "", "0", "false", "no":
		return false, nil
	case "1", "true", "yes":
		return true, nil
	}
	return false, inbox.Invalid(name, "must be true or false")
}
