package inbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// IntegrationSchema declares the configuration of an integration kind:
// which fields exist, which are required and which are secrets. Channel
// packages publish theirs (email.Schema, vonage.SMSSchema...); a host
// registers them in Options.Schemas next to the kind's factory.
type IntegrationSchema struct {
	Fields []IntegrationField
}

// IntegrationField is one configuration field of an integration kind.
type IntegrationField struct {
	// Name is the key in Integration.Config or Integration.Secrets:
	// lower-case letters, digits and underscores.
	Name string
	// Label names the field in forms ("IMAP password").
	Label string
	// Secret fields are sealed before storage, write-only, and never
	// returned in Config.
	Secret bool
	// Required fields must have a value once the integration is saved.
	Required bool
	// Check, when set, validates a non-empty value (a port number, the
	// format of a signing secret); its error is reported on the field.
	Check func(value string) error
}

// Field returns the declared field name, if any.
func (s IntegrationSchema) Field(name string) (IntegrationField, bool) {
	i := slices.IndexFunc(s.Fields, func(f IntegrationField) bool { return f.Name == name })
	if i < 0 {
		return IntegrationField{}, false
	}
	return s.Fields[i], true
}

// IntegrationChange is what CreateIntegration and UpdateIntegration
// write. Nil fields and absent keys keep their value.
type IntegrationChange struct {
	// Kind is the integration kind (a key of Options.Channels); required
	// on create, and it cannot change.
	Kind    Source
	Name    *string
	Enabled *bool
	// Config sets non-secret settings; "" removes a key.
	Config map[string]string
	// Secrets sets secret settings in plain text: they are sealed before
	// storage and never returned. "" removes a key.
	Secrets map[string]string
	// Templates, when non-nil, replace the declared message templates (an
	// empty slice removes them all); see CheckTemplates.
	Templates *[]Template
	// Test opens the channel with the new settings and, when it can test
	// its connection (ConnectionTester), tests it before anything is
	// saved: a failure is returned as a *ConnectionTestError and nothing
	// is written. A disabled integration is not tested.
	Test bool
}

// ConnectionTester is an optional Channel capability: check that the
// configured account answers (log in, select the mailbox, authenticate
// against the API) without fetching or sending anything.
type ConnectionTester interface {
	Channel
	TestConnection(ctx context.Context) error
}

// Limits of integration settings.
const (
	MaxIntegrationNameBytes  = 200
	MaxIntegrationValueBytes = 4096
)

var configKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Integrations lists a tenant's integrations. Secrets stay sealed.
func (e *Engine) Integrations(ctx context.Context, tenant TenantID) ([]Integration, error) {
	var out []Integration
	err := e.view(ctx, "list integrations", tenant, func(tx storeTx) error {
		var err error
		out, err = tx.ListIntegrations()
		return err
	})
	return out, err
}

// Integration returns one integration. Secrets stay sealed.
func (e *Engine) Integration(ctx context.Context, tenant TenantID, id string) (Integration, error) {
	var in Integration
	err := e.view(ctx, "get integration", tenant, func(tx storeTx) error {
		var err error
		in, err = tx.GetIntegration(id)
		return notFound("integration", id, err)
	})
	return in, err
}

// CreateIntegration adds an integration of a kind the engine can open
// (Options.Channels): settings checked against the kind's schema, secrets
// sealed, an audit entry without secrets, in one transaction.
func (e *Engine) CreateIntegration(ctx context.Context, tenant TenantID, c IntegrationChange, ch Change) (Integration, error) {
	const op = "create integration"
	if err := e.checkActor(ch); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := c.Kind.check(); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	if _, ok := e.channels[c.Kind]; !ok && e.channels != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, Invalid("kind", fmt.Sprintf("no channel is registered for %q integrations", c.Kind)))
	}
	if c.Name == nil {
		return Integration{}, fmt.Errorf("%s: %w", op, Invalid("name", "is required"))
	}
	if _, err := e.tenant(ctx, tenant); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	now := e.now()
	in := Integration{ID: NewID(), TenantID: tenant, Kind: c.Kind, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := e.applyIntegration(ctx, &in, c); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		if err := tx.CreateIntegration(&in); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "integration.create", EntityType: "integration",
			EntityID: in.ID, After: mustJSON(auditedIntegration(in)), At: now})
	})
	if err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	return in, nil
}

// UpdateIntegration changes an integration's name, state and settings
// (Change.Version, when set, must be its current Version).
func (e *Engine) UpdateIntegration(ctx context.Context, tenant TenantID, id string, c IntegrationChange, ch Change) (Integration, error) {
	const op = "update integration"
	if err := e.checkActor(ch); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := e.tenant(ctx, tenant); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	var cur Integration
	if err := e.viewTx(ctx, tenant, func(tx storeTx) error {
		var err error
		cur, err = tx.GetIntegration(id)
		return notFound("integration", id, err)
	}); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	if c.Kind != "" && c.Kind != cur.Kind {
		return Integration{}, fmt.Errorf("%s: %w", op, Invalid("kind", "cannot be changed; create another integration"))
	}
	if ch.Version != 0 && ch.Version != cur.Version {
		return Integration{}, fmt.Errorf("%s %q: changed since version %d (now %d): %w", op, id, ch.Version, cur.Version, ErrConflict)
	}
	next := cur
	next.Config, next.Secrets = maps.Clone(cur.Config), maps.Clone(cur.Secrets)
	if err := e.applyIntegration(ctx, &next, c); err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	next.UpdatedAt = e.now()
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		if err := tx.UpdateIntegration(&next); err != nil {
			return notFound("integration", id, err)
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "integration.update", EntityType: "integration",
			EntityID: id, Before: mustJSON(auditedIntegration(cur)), After: mustJSON(auditedIntegration(next)), At: next.UpdatedAt})
	})
	if err != nil {
		return Integration{}, fmt.Errorf("%s: %w", op, err)
	}
	return next, nil
}

// DeleteIntegration removes an integration; its conversations and
// messages stay.
func (e *Engine) DeleteIntegration(ctx context.Context, tenant TenantID, id string, ch Change) error {
	const op = "delete integration"
	if err := e.checkActor(ch); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if _, err := e.tenant(ctx, tenant); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err := e.updateTx(ctx, tenant, func(tx storeTx) error {
		in, err := tx.GetIntegration(id)
		if err != nil {
			return notFound("integration", id, err)
		}
		if err := tx.DeleteIntegration(id); err != nil {
			return err
		}
		return tx.AppendAudit(AuditEntry{TenantID: tenant, Actor: ch.Actor, Action: "integration.delete", EntityType: "integration",
			EntityID: id, Before: mustJSON(auditedIntegration(in)), At: e.now()})
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// TestIntegration opens a stored integration's channel and tests its
// connection when the channel can (ConnectionTester). It changes nothing.
func (e *Engine) TestIntegration(ctx context.Context, tenant TenantID, id string) error {
	in, err := e.Integration(ctx, tenant, id)
	if err != nil {
		return fmt.Errorf("test integration: %w", err)
	}
	return e.testChannel(ctx, in)
}

// ConnectionTimeout bounds a connection test.
const ConnectionTimeout = 30 * time.Second

// ConnectionTestError is a failed connection test: Plain says what went
// wrong in words for the people using the inbox; nothing was saved.
type ConnectionTestError struct {
	Integration string // its name
	Plain       string
	Err         error
}

func (e *ConnectionTestError) Error() string {
	return fmt.Sprintf("test integration %q: %v", e.Integration, e.Err)
}

// Unwrap returns the failure.
func (e *ConnectionTestError) Unwrap() error { return e.Err }

func (e *Engine) testChannel(ctx context.Context, in Integration) error {
	ctx, cancel := context.WithTimeout(ctx, ConnectionTimeout)
	defer cancel()
	fail := func(err error) error {
		return &ConnectionTestError{Integration: in.Name, Plain: plainText(err, e.schemaOf(in.Kind)), Err: err}
	}
	ch, err := e.OpenChannel(ctx, in)
	if err != nil {
		return fail(err)
	}
	if c, ok := ch.(interface{ Close() error }); ok {
		defer c.Close()
	}
	t, ok := ch.(ConnectionTester)
	if !ok {
		return nil
	}
	if err := t.TestConnection(ctx); err != nil {
		return fail(err)
	}
	return nil
}

// applyIntegration checks c against the kind's schema and writes it onto
// in, sealing secrets.
func (e *Engine) applyIntegration(ctx context.Context, in *Integration, c IntegrationChange) error {
	schema, declared := e.schemas[in.Kind]
	if c.Name != nil {
		n := strings.TrimSpace(CleanText(*c.Name))
		if n == "" || len(n) > MaxIntegrationNameBytes {
			return Invalid("name", fmt.Sprintf("must have 1 to %d characters", MaxIntegrationNameBytes))
		}
		in.Name = n
	}
	if c.Enabled != nil {
		in.Enabled = *c.Enabled
	}
	for _, k := range sortedKeys(c.Config) {
		v := c.Config[k]
		if err := checkSetting("config", k, v); err != nil {
			return err
		}
		f, known := schema.Field(k)
		switch {
		case declared && !known:
			return Invalid("config."+k, fmt.Sprintf("is not a setting of %s integrations", in.Kind))
		case f.Secret:
			return Invalid("config."+k, "is a secret: send it in secrets, which are sealed and never shown")
		}
		if err := f.check("config."+k, v); err != nil {
			return err
		}
		if in.Config == nil {
			in.Config = map[string]string{}
		}
		if v == "" {
			delete(in.Config, k)
		} else {
			in.Config[k] = v
		}
	}
	for _, k := range sortedKeys(c.Secrets) {
		v := c.Secrets[k]
		if err := checkSetting("secrets", k, v); err != nil {
			return err
		}
		f, known := schema.Field(k)
		if declared && (!known || !f.Secret) {
			return Invalid("secrets."+k, fmt.Sprintf("is not a secret of %s integrations", in.Kind))
		}
		if err := f.check("secrets."+k, v); err != nil {
			return err
		}
		if v == "" {
			delete(in.Secrets, k)
			continue
		}
		if e.sealer == nil {
			return fmt.Errorf("secrets.%s cannot be stored: no Sealer is configured: %w", k, ErrUnsupported)
		}
		sealed, err := e.sealer.Seal(ctx, []byte(v), SealContext{Tenant: in.TenantID, IntegrationID: in.ID, Field: k})
		if err != nil {
			return fmt.Errorf("seal secrets.%s: %w", k, err)
		}
		if in.Secrets == nil {
			in.Secrets = map[string][]byte{}
		}
		in.Secrets[k] = sealed
	}
	if c.Templates != nil {
		if err := CheckTemplates(*c.Templates); err != nil {
			return err
		}
		if len(*c.Templates) > 0 && in.Kind != SourceWhatsApp {
			return Invalid("templates", fmt.Sprintf("only WhatsApp integrations send approved templates, not %s", in.Kind))
		}
		in.Templates = slices.Clone(*c.Templates)
	}
	for _, f := range schema.Fields {
		if !f.Required {
			continue
		}
		reason := "is required"
		if f.Label != "" {
			reason = "is required: " + f.Label
		}
		if f.Secret && len(in.Secrets[f.Name]) == 0 {
			return Invalid("secrets."+f.Name, reason)
		}
		if !f.Secret && in.Config[f.Name] == "" {
			return Invalid("config."+f.Name, reason)
		}
	}
	if c.Test && in.Enabled {
		return e.testChannel(ctx, *in)
	}
	return nil
}

func (f IntegrationField) check(path, v string) error {
	if f.Check == nil || v == "" {
		return nil
	}
	if err := f.Check(v); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return Invalid(path, fe.Reason)
		}
		return Invalid(path, err.Error())
	}
	return nil
}

func checkSetting(kind, k, v string) error {
	switch {
	case !configKey.MatchString(k):
		return Invalid(kind+"."+clipKey(k), "keys are lower-case letters, digits and _, at most 64")
	case len(v) > MaxIntegrationValueBytes:
		return Invalid(kind+"."+k, fmt.Sprintf("is longer than %d bytes", MaxIntegrationValueBytes))
	case !textOK(v):
		return Invalid(kind+"."+k, "holds a NUL byte or invalid UTF-8")
	}
	return nil
}

func clipKey(k string) string {
	if len(k) > 64 {
		k = k[:64]
	}
	return strings.ToValidUTF8(k, "?")
}

// auditedIntegration is what the audit log keeps of an integration: its
// settings and which secrets are set, never their values.
func auditedIntegration(in Integration) map[string]any {
	secrets := slices.Sorted(maps.Keys(in.Secrets))
	return map[string]any{"kind": in.Kind, "name": in.Name, "enabled": in.Enabled, "config": in.Config, "secrets_set": secrets, "templates": in.Templates}
}

// CreateTenant adds a tenant. An empty ID gets a generated one; a taken ID
// is ErrConflict.
func (e *Engine) CreateTenant(ctx context.Context, t Tenant, ch Change) (Tenant, error) {
	const op = "create tenant"
	if err := e.checkActor(ch); err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	if t.ID == "" {
		t.ID = TenantID(NewID())
	}
	if err := checkTenantID(t.ID); err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	name, err := tenantName(t.Name)
	if err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkSettings(t.Settings); err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	now := e.now()
	t = Tenant{ID: t.ID, Name: name, Settings: t.Settings, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateTenant(ctx, &t); err != nil {
		return Tenant{}, fmt.Errorf("%s %q: %w", op, t.ID, err)
	}
	if err := e.updateTx(ctx, t.ID, func(tx storeTx) error {
		return tx.AppendAudit(AuditEntry{TenantID: t.ID, Actor: ch.Actor, Action: "tenant.create", EntityType: "tenant",
			EntityID: string(t.ID), After: mustJSON(map[string]any{"name": t.Name}), At: now})
	}); err != nil {
		return t, fmt.Errorf("%s %q: created, but its audit entry failed: %w", op, t.ID, err)
	}
	return t, nil
}

// RenameTenant changes a tenant's display name.
func (e *Engine) RenameTenant(ctx context.Context, id TenantID, name string, ch Change) (Tenant, error) {
	const op = "rename tenant"
	if err := e.checkActor(ch); err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	n, err := tenantName(name)
	if err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	t, err := e.tenant(ctx, id)
	if err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	if t.Name == n {
		return t, nil
	}
	before := t.Name
	t.Name, t.UpdatedAt = n, e.now()
	if err := e.store.UpdateTenant(ctx, &t); err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := e.updateTx(ctx, id, func(tx storeTx) error {
		return tx.AppendAudit(AuditEntry{TenantID: id, Actor: ch.Actor, Action: "tenant.rename", EntityType: "tenant", EntityID: string(id),
			Before: mustJSON(map[string]any{"name": before}), After: mustJSON(map[string]any{"name": n}), At: t.UpdatedAt})
	}); err != nil {
		return t, fmt.Errorf("%s: renamed, but its audit entry failed: %w", op, err)
	}
	return t, nil
}

var tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func checkTenantID(id TenantID) error {
	if !tenantIDPattern.MatchString(string(id)) {
		return Invalid("tenant.id", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

func tenantName(name string) (string, error) {
	n := strings.TrimSpace(CleanText(name))
	if n == "" || len(n) > MaxIntegrationNameBytes {
		return "", Invalid("tenant.name", fmt.Sprintf("must have 1 to %d characters", MaxIntegrationNameBytes))
	}
	return n, nil
}

func (e *Engine) checkActor(ch Change) error {
	if ch.Actor == "" {
		return Invalid("actor", "is required")
	}
	return nil
}

// now is the engine's clock in UTC at the stores' precision.
func (e *Engine) now() time.Time { return e.clock.Now().UTC().Truncate(time.Microsecond) }
