package seal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/inbox/seal"
)

type integrationConfig struct {
	Host     string      `json:"host"`
	Password seal.Secret `json:"password"`
	apiKey   seal.Secret
}

func TestSecretRedactsEverywhere(t *testing.T) {
	const value = "s3cr3t-Hunter2"
	s := seal.NewSecret(value)
	cfg := integrationConfig{Host: "imap.example", Password: s, apiKey: s}
	cfgPtr := &cfg

	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%T"} {
		outputs["secret "+verb] = fmt.Sprintf(verb, s)
		outputs["struct "+verb] = fmt.Sprintf(verb, cfg)
		outputs["pointer "+verb] = fmt.Sprintf(verb, cfgPtr)
	}
	outputs["String"] = s.String()
	outputs["GoString"] = s.GoString()
	outputs["Sprint"] = fmt.Sprint(s, cfg)
	outputs["Errorf"] = fmt.Errorf("login with %v failed: %w", s, errors.New("boom")).Error()

	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	outputs["json"] = string(js)
	txt, err := s.MarshalText()
	require.NoError(t, err)
	outputs["text"] = string(txt)
	mapJSON, err := json.Marshal(map[seal.Secret]seal.Secret{s: s})
	require.NoError(t, err)
	outputs["json map"] = string(mapJSON)

	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("connect", "password", s, "config", cfg, "ptr", cfgPtr, slog.Group("g", "k", s))
		l.With("secret", s).Info("with")
	}
	outputs["slog"] = logs.String()

	for name, out := range outputs {
		require.NotContains(t, out, value, name)
		require.NotContains(t, out, fmt.Sprintf("%x", value), name)
	}
	require.Equal(t, "[redacted]", fmt.Sprintf("%v", s))
	require.Equal(t, `"[redacted]"`, fmt.Sprintf("%q", s))
	require.JSONEq(t, `{"host":"imap.example","password":"[redacted]"}`, string(js))
	require.Contains(t, outputs["slog"], "password=[redacted]")
	require.Equal(t, value, s.Reveal())
}

func TestSecretWriteOnlyJSON(t *testing.T) {
	var cfg integrationConfig
	require.NoError(t, json.Unmarshal([]byte(`{"host":"h","password":"pa$$"}`), &cfg))
	require.Equal(t, "pa$$", cfg.Password.Reveal())
	require.Error(t, json.Unmarshal([]byte(`{"password":42}`), &cfg))

	var s seal.Secret
	require.True(t, s.IsZero())
	require.Equal(t, "", s.Reveal())
	require.NoError(t, s.UnmarshalText([]byte("t")))
	require.Equal(t, "t", s.Reveal())
	require.True(t, s.Equal(seal.NewSecret("t")))
	require.False(t, s.Equal(seal.NewSecret("u")))
}
