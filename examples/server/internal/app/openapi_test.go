package app_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestOpenAPIMatchesRoutes keeps openapi.yaml honest: every route the
// server mounts is documented with its method, and every documented
// operation exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a, _ := newServer(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "openapi.yaml"))
	require.NoError(t, err)
	var doc struct {
		OpenAPI string                          `yaml:"openapi"`
		Paths   map[string]map[string]yaml.Node `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."))

	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	routes := a.API.Routes()
	slices.Sort(documented)
	slices.Sort(routes)
	for _, r := range routes {
		if r == "GET /inbox/webhooks/sms" {
			continue // the same handler as POST, documented there
		}
		require.Contains(t, documented, r, "route not documented in openapi.yaml")
	}
	for _, d := range documented {
		require.Contains(t, routes, d, "openapi.yaml documents a route the server does not have")
	}
}
