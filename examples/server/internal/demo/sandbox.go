package demo

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/inboxkit/inboxkit/inbox"
)

// ConfigSandbox marks an integration whose outbound messages are delivered
// to a local sandbox instead of a provider: the demo's integrations have
// it, so replies written in the demo never leave the machine.
const ConfigSandbox = "sandbox"

// SandboxSchema is schema with the sandbox setting added.
func SandboxSchema(schema inbox.IntegrationSchema) inbox.IntegrationSchema {
	fields := append([]inbox.IntegrationField(nil), schema.Fields...)
	fields = append(fields, inbox.IntegrationField{Name: ConfigSandbox, Label: "Deliver replies to the local sandbox (demo)"})
	return inbox.IntegrationSchema{Fields: fields}
}

// Sandbox wraps channel factories: integrations with Config["sandbox"] =
// "true" get a channel that accepts every message and returns a local
// provider id; the others go to the real factory (nil: unsupported).
func Sandbox(real inbox.ChannelFactory) inbox.ChannelFactory {
	return func(ctx context.Context, in inbox.Integration, secret inbox.SecretFunc) (inbox.Channel, error) {
		if in.Config[ConfigSandbox] == "true" {
			return &sandboxChannel{integration: in.ID, kind: in.Kind}, nil
		}
		if real == nil {
			return nil, fmt.Errorf("%s integrations: %w", in.Kind, inbox.ErrUnsupported)
		}
		return real(ctx, in, secret)
	}
}

type sandboxChannel struct {
	integration string
	kind        inbox.Source
}

var sandboxSeq atomic.Int64

var _ inbox.Sender = (*sandboxChannel)(nil)

func (c *sandboxChannel) Kind() inbox.Source    { return c.kind }
func (c *sandboxChannel) IntegrationID() string { return c.integration }

// Send accepts the message.
func (c *sandboxChannel) Send(_ context.Context, out inbox.Outbound) (string, error) {
	return fmt.Sprintf("sandbox-%d-%s", sandboxSeq.Add(1), out.IdempotencyKey), nil
}
