package chaos_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/internal/chaos"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestOverlaps(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pulls    []chaos.Pull
		kills    map[string]time.Time
		problems int
	}{
		{"one after the other", []chaos.Pull{
			{Instance: "a", Integration: "t/m", Started: at(0), Finished: at(1)},
			{Instance: "b", Integration: "t/m", Started: at(1.5), Finished: at(2)},
		}, nil, 0},
		{"at once on one mailbox", []chaos.Pull{
			{Instance: "a", Integration: "t/m", Started: at(0), Finished: at(2)},
			{Instance: "b", Integration: "t/m", Started: at(1), Finished: at(3)},
		}, nil, 1},
		{"at once on different mailboxes", []chaos.Pull{
			{Instance: "a", Integration: "t/m", Started: at(0), Finished: at(2)},
			{Instance: "b", Integration: "t/n", Started: at(1), Finished: at(3)},
		}, nil, 0},
		{"killed instance's pull ends at its death", []chaos.Pull{
			{Instance: "a", Integration: "t/m", Started: at(0)},
			{Instance: "b", Integration: "t/m", Started: at(5), Finished: at(6)},
		}, map[string]time.Time{"a": at(1)}, 0},
		{"takeover before the killed instance died", []chaos.Pull{
			{Instance: "a", Integration: "t/m", Started: at(0)},
			{Instance: "b", Integration: "t/m", Started: at(0.5), Finished: at(6)},
		}, map[string]time.Time{"a": at(1)}, 1},
		{"unfinished pull of a live instance", []chaos.Pull{
			{Instance: "a", Integration: "t/m", Started: at(0)},
		}, nil, 1},
		{"a long pull covers a later short one", []chaos.Pull{
			{Instance: "a", Integration: "t/m", Started: at(0), Finished: at(10)},
			{Instance: "a", Integration: "t/m", Started: at(1), Finished: at(2)},
			{Instance: "b", Integration: "t/m", Started: at(3), Finished: at(4)},
		}, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Len(t, chaos.Overlaps(tc.pulls, tc.kills), tc.problems)
		})
	}
}

func TestHandovers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		log      []chaos.LeaseChange
		problems int
	}{
		{"take, renew, release, take", []chaos.LeaseChange{
			{Name: "l", Op: "INSERT", Holder: "a", At: at(0), Expires: at(4)},
			{Name: "l", Op: "UPDATE", Holder: "a", At: at(1), Expires: at(5)},
			{Name: "l", Op: "DELETE", Holder: "a", At: at(2), Expires: at(5)},
			{Name: "l", Op: "INSERT", Holder: "b", At: at(2.1), Expires: at(6)},
		}, 0},
		{"takeover after expiry", []chaos.LeaseChange{
			{Name: "l", Op: "INSERT", Holder: "a", At: at(0), Expires: at(4)},
			{Name: "l", Op: "UPDATE", Holder: "b", At: at(4.2), Expires: at(8)},
		}, 0},
		{"takeover before expiry", []chaos.LeaseChange{
			{Name: "l", Op: "INSERT", Holder: "a", At: at(0), Expires: at(4)},
			{Name: "l", Op: "UPDATE", Holder: "b", At: at(3), Expires: at(7)},
		}, 1},
		{"names are independent", []chaos.LeaseChange{
			{Name: "l", Op: "INSERT", Holder: "a", At: at(0), Expires: at(4)},
			{Name: "m", Op: "INSERT", Holder: "b", At: at(1), Expires: at(5)},
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Len(t, chaos.Handovers(tc.log), tc.problems)
		})
	}
}
