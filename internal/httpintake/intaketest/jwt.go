package intaketest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"
)

// MessagesAuthorization signs body as the Vonage Messages API does (an
// HS256 JWT with a payload_hash claim, issued at iat with id jti) and
// returns the Authorization header value.
func MessagesAuthorization(secret string, body []byte, iat time.Time, jti string) string {
	sum := sha256.Sum256(body)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"iat": iat.Unix(), "jti": jti, "iss": "Vonage", "payload_hash": hex.EncodeToString(sum[:])})
	payload := base64.RawURLEncoding.EncodeToString(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(header + "." + payload))
	return "Bearer " + header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
