package jobs

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestParseSchedule_IsUTCWhateverTheHostsZone runs itself again in a
// process whose local zone is New York: the default nightly 02:00 used to
// follow the host's zone, and on the US spring-forward day (2027-03-14)
// 02:00 does not exist there, so cron skipped that night's sync.
func TestParseSchedule_IsUTCWhateverTheHostsZone(t *testing.T) {
	if os.Getenv("KEAPSYNC_SCHEDULE_CHILD") == "" {
		t.Parallel()
		cmd := exec.Command(os.Args[0], "-test.run=^TestParseSchedule_IsUTCWhateverTheHostsZone$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "KEAPSYNC_SCHEDULE_CHILD=1", "TZ=America/New_York")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("in a New York process: %v\n%s", err, out)
		}
		return
	}
	if _, off := time.Date(2027, 1, 1, 0, 0, 0, 0, time.Local).Zone(); off != -5*3600 {
		t.Fatalf("the child's local zone is not New York (offset %d): is tzdata installed?", off)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ expr, from, want string }{
		{"0 2 * * *", "2027-03-13T12:00:00Z", "2027-03-14T02:00:00Z"}, // the spring-forward night runs
		{"0 2 * * *", "2027-03-14T02:00:00Z", "2027-03-15T02:00:00Z"},
		{"@daily", "2027-03-13T12:00:00Z", "2027-03-14T00:00:00Z"},
		{"CRON_TZ=America/New_York 0 2 * * *", "2027-03-14T12:00:00Z", "2027-03-15T06:00:00Z"}, // an explicit zone is kept
		{"TZ=Europe/Paris 0 2 * * *", "2027-01-01T12:00:00Z", "2027-01-02T01:00:00Z"},
	} {
		s, err := ParseSchedule(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got := s.Next(at(tc.from)); !got.Equal(at(tc.want)) {
			t.Errorf("%s after %s: %s, want %s", tc.expr, tc.from, got.UTC().Format(time.RFC3339), tc.want)
		}
	}
}
