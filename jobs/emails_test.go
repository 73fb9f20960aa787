package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
)

// TestSync_EmailOpensLandWithinTheRereadWindow: Keap filters emails on
// creation time only. An incremental run reads the new emails and re-reads
// the re-read window (five days here), at the calls that window's pages
// cost, so an open of an email sent inside it lands; an open of an older
// email does not (the documented limit) until a full sync. With no window,
// an incremental run costs one call and sees no open.
func TestSync_EmailOpensLandWithinTheRereadWindow(t *testing.T) {
	t.Parallel()
	const window = 5 * 24 * time.Hour
	acme := unthrottled("acme", 1500)
	acme.mod = func(a *jobs.Account) {
		a.Streams = []string{"emails"}
		a.RereadWindows = map[string]time.Duration{"emails": window}
	}
	beta := unthrottled("beta", 1500)
	beta.mod = func(a *jobs.Account) {
		a.Streams = []string{"emails"}
		a.RereadWindows = map[string]time.Duration{"emails": 0}
	}
	e := setup(t, []testAccount{acme, beta}, nil)
	e.start()
	e.sync(jobs.SyncRequest{}, time.Minute)

	open := func(account string) (recent, old int64, inWindow int) {
		sim := e.sims[account]
		recs, err := sim.Records("emails", nil)
		if err != nil {
			t.Fatal(err)
		}
		since := time.Now().Add(-window)
		for _, r := range recs {
			switch {
			case r.Created.After(since):
				inWindow++
				recent = r.ID
			case r.Created.Before(time.Now().Add(-365*24*time.Hour)) && old == 0:
				old = r.ID
			}
		}
		if recent == 0 || old == 0 || inWindow < 2 {
			t.Fatalf("%s: no email sent within %v and one over a year ago (%d in the window)", account, window, inWindow)
		}
		for _, id := range []int64{recent, old} {
			if err := sim.Update("emails", id); err != nil {
				t.Fatal(err)
			}
		}
		return recent, old, inWindow
	}
	openedIn := func(account string, id int64) bool {
		var raw, opened *string
		err := e.pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT raw::text, opened_time::text FROM %s WHERE account = $1 AND id = $2`,
			pgx.Identifier{e.mig.DataSchema, "emails"}.Sanitize()), account, id).Scan(&raw, &opened)
		if err != nil {
			t.Fatal(err)
		}
		truth, err := e.sims[account].Records("emails", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range truth {
			if r.ID == id {
				return jsonEqual(*raw, string(r.Raw)) && opened != nil
			}
		}
		t.Fatalf("email %d is not in the simulator", id)
		return false
	}

	recent, old, inWindow := open("acme")
	bRecent, _, _ := open("beta")
	before := map[string]int64{"acme": e.sims["acme"].Stats().Accepted, "beta": e.sims["beta"].Stats().Accepted}
	e.sync(jobs.SyncRequest{}, time.Minute)
	if got, want := e.sims["acme"].Stats().Accepted-before["acme"], int64((inWindow+testPageSize-1)/testPageSize); got != want {
		t.Errorf("acme's incremental run made %d calls, want the %d page(s) of the %d emails in its window", got, want, inWindow)
	}
	if got := e.sims["beta"].Stats().Accepted - before["beta"]; got != 1 {
		t.Errorf("beta's incremental run (no window) made %d calls, want 1", got)
	}
	if !openedIn("acme", recent) {
		t.Error("the open of an email sent within the window did not land")
	}
	if openedIn("acme", old) {
		t.Error("the open of an email sent over a year ago landed: the test no longer shows the limit")
	}
	if openedIn("beta", bRecent) {
		t.Error("without a window, an open landed: the test no longer shows what the window buys")
	}

	e.sync(jobs.SyncRequest{Account: "acme", Full: true}, time.Minute)
	if !openedIn("acme", old) {
		t.Error("a full sync did not bring the old email's open")
	}
	e.assertMatchesTruth("acme", "emails")
}
