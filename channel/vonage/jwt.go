package vonage

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// JWTClaims are the claims of a Messages API signed-webhook token.
type JWTClaims struct {
	IssuedAt      time.Time
	ExpiresAt     time.Time // zero when the token has no exp
	ID            string    // jti, the replay key
	Issuer        string
	PayloadHash   string // lower-case hex SHA-256 of the raw body
	APIKey        string
	ApplicationID string
}

// VerifyJWT checks the Authorization header of a Messages API webhook
// ("Bearer <JWT>") against the raw body. The algorithm is pinned to HS256
// whatever the token's header says; the signature is HMAC-SHA256 with the
// signature secret, compared in constant time; iat is required and must be
// within tolerance of now (0 means DefaultTolerance); an exp, if present,
// must be in the future; payload_hash is required and must equal the hex
// SHA-256 of body exactly as received. The error is a *VerifyError.
//
// Verification decodes the token by hand rather than through a JWT
// library so that each defect gets its own error code and the algorithm
// can never be chosen by the token.
func VerifyJWT(authorization string, body, secret []byte, now time.Time, tolerance time.Duration) (JWTClaims, error) {
	if len(secret) == 0 {
		return JWTClaims{}, verifyErr(CodeInvalidSecret, "no signature secret is configured for this integration")
	}
	if len(body) == 0 {
		return JWTClaims{}, verifyErr(CodeEmptyBody, "the request body is empty")
	}
	if strings.TrimSpace(authorization) == "" {
		return JWTClaims{}, verifyErr(CodeMissingSignature, "the Authorization header is missing")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return JWTClaims{}, verifyErr(CodeMalformedSignature, "the Authorization header is not a Bearer token")
	}
	token = strings.TrimSpace(token)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return JWTClaims{}, verifyErr(CodeMalformedSignature, fmt.Sprintf("the token has %d segments, a JWT has 3", len(parts)))
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return JWTClaims{}, verifyErr(CodeMalformedSignature, "the token header is not base64url")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return JWTClaims{}, verifyErr(CodeMalformedSignature, "the token header is not a JSON object")
	}
	if header.Alg != "HS256" {
		return JWTClaims{}, verifyErr(CodeAlgNotAllowed, fmt.Sprintf("algorithm %.20q is not allowed, only HS256", header.Alg))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return JWTClaims{}, verifyErr(CodeMalformedSignature, "the token signature is not base64url")
	}
	payloadJSON, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return JWTClaims{}, verifyErr(CodeMalformedSignature, "the token payload is not base64url")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0]))
	mac.Write([]byte{'.'})
	mac.Write([]byte(parts[1]))
	if subtle.ConstantTimeCompare(sig, mac.Sum(nil)) != 1 {
		return JWTClaims{}, verifyErr(CodeBadSignature, "the token signature does not match")
	}

	var raw struct {
		Iat           *json.Number `json:"iat"`
		Exp           *json.Number `json:"exp"`
		Jti           string       `json:"jti"`
		Iss           string       `json:"iss"`
		PayloadHash   *string      `json:"payload_hash"`
		APIKey        string       `json:"api_key"`
		ApplicationID string       `json:"application_id"`
	}
	dec := json.NewDecoder(bytes.NewReader(payloadJSON))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return JWTClaims{}, verifyErr(CodeMalformedSignature, "the token claims are not a JSON object")
	}
	if raw.Iat == nil {
		return JWTClaims{}, verifyErr(CodeMissingClaim, "the token has no iat claim")
	}
	if raw.PayloadHash == nil || *raw.PayloadHash == "" {
		return JWTClaims{}, verifyErr(CodeMissingClaim, "the token has no payload_hash claim")
	}
	iat, err := numericDate(*raw.Iat)
	if err != nil {
		return JWTClaims{}, verifyErr(CodeMalformedTimestamp, "iat is not a number of seconds")
	}
	claims := JWTClaims{
		IssuedAt: iat, ID: raw.Jti, Issuer: raw.Iss, PayloadHash: strings.ToLower(*raw.PayloadHash),
		APIKey: raw.APIKey, ApplicationID: raw.ApplicationID,
	}
	if raw.Exp != nil {
		exp, err := numericDate(*raw.Exp)
		if err != nil {
			return JWTClaims{}, verifyErr(CodeMalformedTimestamp, "exp is not a number of seconds")
		}
		claims.ExpiresAt = exp
		if !now.Before(exp) {
			return JWTClaims{}, verifyErr(CodeTokenExpired, "the token expired "+now.Sub(exp).Truncate(time.Second).String()+" ago")
		}
	}
	if err := checkFreshness(iat, now, tolerance, "iat"); err != nil {
		return JWTClaims{}, err
	}
	sum := sha256.Sum256(body)
	want := hex.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(claims.PayloadHash), []byte(want)) != 1 {
		return JWTClaims{}, verifyErr(CodePayloadHashMismatch, "payload_hash does not match the SHA-256 of the body")
	}
	return claims, nil
}

// numericDate reads a JWT NumericDate (seconds, possibly fractional).
func numericDate(n json.Number) (time.Time, error) {
	if i, err := n.Int64(); err == nil {
		return time.Unix(i, 0), nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, fmt.Errorf("not a date")
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}
