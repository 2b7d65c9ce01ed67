package intaketest

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// VectorSuite runs the vectors of some kinds through a package's
// verification, each in a subtest with fresh replay state S.
type VectorSuite[S any] struct {
	// Kinds are the vector kinds the package verifies.
	Kinds []string
	// MinRan is the number of vectors that must be exceeded, so a corpus
	// emptied by mistake fails.
	MinRan int
	// NewState returns fresh replay state for one subtest.
	NewState func() S
	// Verify runs the verification a receiver performs on v, remembering
	// its replay key in state on success.
	Verify func(t *testing.T, f VectorFile, v Vector, state S) error
	// CheckRefusal asserts that err, the refusal of v, has an acceptable
	// code for v.ExpectError.
	CheckRefusal func(t *testing.T, v Vector, err error)
	// Groups also runs every vector group (of any kind) in one state, each
	// member expected valid.
	Groups bool
}

// Run checks every vector of the suite's kinds: valid ones are accepted,
// the others refused with an acceptable code and an error free of the
// secret; a replay is checked after its original was accepted.
func (s VectorSuite[S]) Run(t *testing.T, f VectorFile) {
	byName := f.ByName()
	groups := map[string][]Vector{}
	for _, v := range f.Vectors {
		if v.Group != "" {
			groups[v.Group] = append(groups[v.Group], v)
		}
	}
	ran := 0
	for _, v := range f.Vectors {
		if !slices.Contains(s.Kinds, v.Kind) {
			continue
		}
		ran++
		t.Run(v.Name, func(t *testing.T) {
			if v.BodyGenerator != nil {
				require.Len(t, v.Body(), v.BodyLength)
			}
			state := s.NewState()
			if v.ReplayOf != "" {
				orig, ok := byName[v.ReplayOf]
				require.True(t, ok, "replay_of names a vector")
				require.NoError(t, s.Verify(t, f, orig, state), "the original request is accepted")
			}
			err := s.Verify(t, f, v, state)
			if v.Valid {
				require.NoError(t, err, "expected valid")
				return
			}
			require.Error(t, err, "expected %s", v.ExpectError)
			s.CheckRefusal(t, v, err)
			require.NotContains(t, err.Error(), v.Secret, "errors never echo the secret")
		})
	}
	require.Greater(t, ran, s.MinRan)
	if !s.Groups {
		return
	}
	for name, members := range groups {
		t.Run("group/"+name, func(t *testing.T) {
			state := s.NewState()
			for _, v := range members {
				require.NoError(t, s.Verify(t, f, v, state), v.Name)
			}
		})
	}
}
