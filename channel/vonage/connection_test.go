package vonage_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/inbox"
)

// An SMS integration's credentials are checked against the account API's
// balance (GET /account/get-balance next to the SMS API), which changes
// nothing; refusals are explained in words without the secret. Without an
// API key the integration receives only, and there is nothing to check.
func TestSMSConnectionTest(t *testing.T) {
	answer := `{"value":10.28,"autoReload":false}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/account/get-balance", r.URL.Path)
		if r.URL.Query().Get("api_key") != "a1b2c3d4" || r.URL.Query().Get("api_secret") != "s3cr3t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	factory := vonage.SMSFactory(vonage.SMSFactoryOptions{BaseURL: srv.URL + "/sms"})
	test := func(key, secret string) error {
		in := inbox.Integration{ID: "int-sms", Kind: inbox.SourceSMS, Config: map[string]string{"api_key": key, "from": "447700900000"}}
		ch, err := factory(context.Background(), in, func(string) ([]byte, error) { return []byte(secret), nil })
		require.NoError(t, err)
		tester, ok := ch.(inbox.ConnectionTester)
		if !ok {
			return nil
		}
		return tester.TestConnection(context.Background())
	}
	plain := func(err error) string {
		var pe *inbox.PlainError
		require.True(t, errors.As(err, &pe), "%v carries a sentence", err)
		return pe.Text
	}

	require.NoError(t, test("a1b2c3d4", "s3cr3t"))
	err := test("a1b2c3d4", "wrong-secret")
	require.ErrorIs(t, err, inbox.ErrUnauthorized)
	require.Equal(t, "Vonage refused the API key and secret: copy them again from the Vonage dashboard.", plain(err))
	require.NotContains(t, err.Error(), "wrong-secret")
	require.NoError(t, test("", ""), "receive-only: nothing to check")

	answer = `<html>not vonage</html>`
	err = test("a1b2c3d4", "s3cr3t")
	require.ErrorIs(t, err, inbox.ErrInvalid)
	require.Equal(t, "The Vonage address configured on the server did not answer like Vonage.", plain(err))
}
