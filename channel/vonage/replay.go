package vonage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/inboxkit/inboxkit/internal/httpintake"
)

// DefaultReplayWindow is how long replay keys of accepted requests are
// remembered: far longer than the timestamp tolerance, so a request
// cannot be replayed while its timestamp is still acceptable.
const DefaultReplayWindow = 24 * time.Hour

// smsReplayKey is the replay key of a signed SMS API webhook: its nonce,
// or its signature when there is no nonce.
func smsReplayKey(integrationID string, p SMSParams) string {
	if n := p["nonce"]; n != "" {
		return "sms-nonce:" + integrationID + ":" + n
	}
	return "sms-sig:" + integrationID + ":" + strings.ToLower(p["sig"])
}

// jwtReplayKey is the replay key of a Messages API webhook: the token's
// jti, or the payload hash and iat when the token has no jti.
func jwtReplayKey(integrationID string, c JWTClaims) string {
	if c.ID != "" {
		return "jwt-jti:" + integrationID + ":" + c.ID
	}
	return fmt.Sprintf("jwt-hash:%s:%s:%d", integrationID, c.PayloadHash, c.IssuedAt.Unix())
}

// checkReplay refuses a request whose replay key was already accepted.
// Keys are remembered only after the request's effect is durable, so a
// provider retry after a storage failure is processed again.
func checkReplay(ctx context.Context, store PartStore, key string, now time.Time) error {
	return httpintake.CheckReplay(ctx, store, key, now, func() error {
		return verifyErr(CodeReplay, "this request was already accepted")
	})
}
