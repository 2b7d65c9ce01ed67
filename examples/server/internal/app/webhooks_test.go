package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/vonage"
)

// TestSMSWebhook sends a signed Vonage SMS webhook to /inbox/webhooks/sms:
// it is matched to the integration by the receiving number, verified
// with that integration's sealed signature secret, and lands in the inbox;
// a bad signature stores nothing.
func TestSMSWebhook(t *testing.T) {
	_, ts := newServer(t)
	c := admin(t, ts.URL)
	const secret = "sms-signature-secret"
	c.json(http.MethodPost, "/inbox/integrations", map[string]any{"kind": "sms", "name": "SMS Lyon",
		"config": map[string]string{"from": "33757000099", "signature_method": "sha256"}, "secrets": map[string]string{"signature_secret": secret}}, http.StatusCreated, nil)

	send := func(text, msgID string, tamper bool) int {
		p := vonage.SMSParams{"msisdn": "33698765000", "to": "33757000099", "messageId": msgID, "text": text, "type": "text",
			"keyword": "BONJOUR", "message-timestamp": time.Now().UTC().Format("2006-01-02 15:04:05"),
			"timestamp": strconv.FormatInt(time.Now().Unix(), 10), "nonce": msgID + "-nonce"}
		sig, err := vonage.SignSMS(p, []byte(secret), vonage.HMACSHA256)
		require.NoError(t, err)
		p["sig"] = sig
		if tamper {
			p["text"] = "changed in transit"
		}
		form := url.Values{}
		for k, v := range p {
			form.Set(k, v)
		}
		res, err := http.Post(ts.URL+"/inbox/webhooks/sms", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, send("Bonjour, faux message", "0A0000001", true))
	require.Equal(t, http.StatusOK, send("Bonjour, ma lampe est arrivée cassée", "0A0000002", false))
	require.Equal(t, http.StatusOK, send("Bonjour, ma lampe est arrivée cassée", "0A0000002", false), "a retry is a duplicate, not an error")

	var l listJSON
	c.json(http.MethodGet, "/inbox/conversations?source=sms&q=cassée", nil, http.StatusOK, &l)
	require.Len(t, l.Items, 1)
	require.Equal(t, "urgent", l.Items[0].Status, "filed by the Support rules")
	c.json(http.MethodGet, "/inbox/conversations?q=faux", nil, http.StatusOK, &l)
	require.Empty(t, l.Items)

	form := url.Values{"to": {"33700000000"}, "msisdn": {"33698765000"}, "text": {"x"}}
	res, err := http.Post(ts.URL+"/inbox/webhooks/sms", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "no integration for that number")
}
