package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/inboxkit/inboxkit/channel/vonage"
	"github.com/inboxkit/inboxkit/channel/webhook"
	"github.com/inboxkit/inboxkit/inbox"
)

// Secret field names of the integrations the webhooks verify.
const (
	secretSigning = webhook.SecretSigning
)

// findIntegration locates an integration by id across tenants. Ids are
// globally unique, so a webhook URL needs no tenant.
func (a *App) findIntegration(ctx context.Context, match func(inbox.Integration) bool) (inbox.TenantID, inbox.Integration, error) {
	tenants, err := a.Engine.Tenants(ctx)
	if err != nil {
		return "", inbox.Integration{}, err
	}
	for _, t := range tenants {
		ins, err := a.Engine.Integrations(ctx, t.ID)
		if err != nil {
			return "", inbox.Integration{}, err
		}
		var found *inbox.Integration
		for i := range ins {
			if match(ins[i]) {
				found = &ins[i]
				break
			}
		}
		if found != nil {
			if !found.Enabled {
				return "", inbox.Integration{}, fmt.Errorf("integration %q is disabled: %w", found.ID, inbox.ErrNotFound)
			}
			return t.ID, *found, nil
		}
	}
	return "", inbox.Integration{}, fmt.Errorf("no integration for this webhook: %w", inbox.ErrNotFound)
}

func (a *App) openSecret(ctx context.Context, tenant inbox.TenantID, in inbox.Integration, field string) ([]byte, error) {
	sealed, ok := in.Secrets[field]
	if !ok {
		return nil, nil
	}
	if a.Sealer == nil {
		return nil, fmt.Errorf("no master key to open integration secrets: %w", inbox.ErrUnsupported)
	}
	return a.Sealer.Open(ctx, sealed, inbox.SealContext{Tenant: tenant, IntegrationID: in.ID, Field: field})
}

// resolveCustom finds a custom webhook integration from the {id} path
// value.
func (a *App) resolveCustom(ctx context.Context, r *http.Request) (webhook.Target, error) {
	id := r.PathValue("id")
	tenant, in, err := a.findIntegration(ctx, func(in inbox.Integration) bool { return in.ID == id && in.Kind == inbox.SourceWebhook })
	if err != nil {
		return webhook.Target{}, err
	}
	secret, err := a.openSecret(ctx, tenant, in, secretSigning)
	if err != nil {
		return webhook.Target{}, err
	}
	t := webhook.Target{Tenant: tenant, Integration: in}
	if secret != nil {
		t.Secrets = []string{string(secret)}
	}
	return t, nil
}

// maxPeekBytes bounds what the resolvers read to find the recipient
// number; the receivers enforce their own limits afterwards.
const maxPeekBytes = 1 << 20

// peekTo reads the "to" parameter of a Vonage webhook (query, form or
// JSON body) and restores the body for the receiver, which verifies the
// signature over the same bytes.
func peekTo(r *http.Request) (string, error) {
	if to := r.URL.Query().Get("to"); to != "" {
		return to, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPeekBytes+1))
	if err != nil {
		// A client fault (a body cut short or too slow), not the server's.
		return "", inbox.Invalid("body", "could not be read")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var v struct {
			To json.RawMessage `json:"to"`
		}
		if json.Unmarshal(body, &v) == nil && len(v.To) > 0 {
			var s string
			if json.Unmarshal(v.To, &s) == nil {
				return s, nil
			}
			var obj struct {
				Number string `json:"number"`
			}
			if json.Unmarshal(v.To, &obj) == nil {
				return obj.Number, nil
			}
		}
		return "", nil
	}
	q, _ := url.ParseQuery(string(body))
	return q.Get("to"), nil
}

// findNumber finds the one enabled integration of kind whose receiving
// number is number, across tenants. A number that two enabled
// integrations share is refused instead of picking one: the server
// refuses to save such a pair, but data saved before that check existed
// may hold one, and which tenant is "first" is no answer. The error wraps
// inbox.ErrConflict; the receiver answers 500 and logs it, so the
// provider retries once an admin has fixed the configuration.
func (a *App) findNumber(ctx context.Context, kind inbox.Source, number string) (inbox.TenantID, inbox.Integration, error) {
	tenants, err := a.Engine.Tenants(ctx)
	if err != nil {
		return "", inbox.Integration{}, err
	}
	var found []inbox.Integration
	disabled := false
	for _, t := range tenants {
		ins, err := a.Engine.Integrations(ctx, t.ID)
		if err != nil {
			return "", inbox.Integration{}, err
		}
		for _, in := range ins {
			if in.Kind != kind || inbox.NormalizePhone(in.Config[vonage.ConfigFrom]) != number {
				continue
			}
			if !in.Enabled {
				disabled = true
				continue
			}
			in.TenantID = t.ID
			found = append(found, in)
		}
	}
	switch {
	case len(found) > 1:
		ids := make([]string, len(found))
		for i, in := range found {
			ids[i] = in.ID
		}
		return "", inbox.Integration{}, fmt.Errorf("%d enabled %s integrations (%s) receive on the same number; refusing the webhook until only one does: %w",
			len(found), kind, strings.Join(ids, ", "), inbox.ErrConflict)
	case len(found) == 1:
		return found[0].TenantID, found[0], nil
	case disabled:
		return "", inbox.Integration{}, fmt.Errorf("the integration of this number is disabled: %w", inbox.ErrNotFound)
	}
	return "", inbox.Integration{}, fmt.Errorf("no integration for this webhook: %w", inbox.ErrNotFound)
}

// resolveNumber finds the SMS or WhatsApp integration whose number
// received the message.
func (a *App) resolveNumber(kind inbox.Source) vonage.Resolver {
	return func(ctx context.Context, r *http.Request) (vonage.Target, error) {
		to, err := peekTo(r)
		if err != nil {
			return vonage.Target{}, err
		}
		number := inbox.NormalizePhone(to)
		if number == "" {
			return vonage.Target{}, fmt.Errorf("the webhook names no recipient number: %w", inbox.ErrNotFound)
		}
		tenant, in, err := a.findNumber(ctx, kind, number)
		if err != nil {
			return vonage.Target{}, err
		}
		secret, err := a.openSecret(ctx, tenant, in, vonage.SecretSignature)
		if err != nil {
			return vonage.Target{}, err
		}
		return vonage.Target{Tenant: tenant, Integration: in, Secret: secret}, nil
	}
}
