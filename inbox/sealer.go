package inbox

import (
	"context"
)

// SealContext binds a ciphertext to the row and field it was written for,
// so a sealed value copied to another tenant, integration or field does not
// open.
type SealContext struct {
	Tenant        TenantID
	IntegrationID string
	Field         string
}

// Sealer encrypts secrets before storage and decrypts them when used.
// Keys come from the host, never from the Store.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, sc SealContext) ([]byte, error)
	Open(ctx context.Context, ciphertext []byte, sc SealContext) ([]byte, error)
}
