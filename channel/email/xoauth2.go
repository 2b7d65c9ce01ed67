package email

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// xoauth2 is the SASL XOAUTH2 mechanism Gmail and Outlook use for OAuth 2
// access tokens (the standard OAUTHBEARER is not offered by both).
type xoauth2 struct {
	username, token string
}

var _ sasl.Client = (*xoauth2)(nil)

func (a *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + a.username + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response, as
// the mechanism requires, so the server sends its final refusal.
func (a *xoauth2) Next(challenge []byte) ([]byte, error) {
	if len(challenge) > 0 {
		return []byte{}, nil
	}
	return nil, errors.New("xoauth2: unexpected server challenge")
}
