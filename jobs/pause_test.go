package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/warehouse"
)

// TestPause_NoNewPageStartsUntilResume pauses a stream, then a whole
// account: their runs start but make no call, status shows them paused
// (an account through its River queue too, as River UI shows it), and
// after resume they finish where they were. River UI could pause a queue
// before, and status then said running for ever.
func TestPause_NoNewPageStartsUntilResume(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 300)
	acct.mod = func(a *jobs.Account) { a.Streams = []string{"tags", "contacts"} }
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) { c.PauseRecheck = 100 * time.Millisecond })
	e.start()
	ctx := context.Background()
	state := func(stream string) string {
		st, err := e.p.Status(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Accounts[0].Streams {
			if s.Stream == stream {
				return s.State
			}
		}
		t.Fatalf("no stream %s in status", stream)
		return ""
	}
	if err := e.p.Pause(ctx, "acme", "contacts"); err != nil {
		t.Fatal(err)
	}
	runs, err := e.p.Sync(ctx, jobs.SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	contacts := runByStream(t, runs, "contacts")
	waitFor(t, func() bool {
		r, _ := e.wh.Run(ctx, e.pool, runByStream(t, runs, "tags").ID)
		return r.Status == warehouse.RunSucceeded
	})
	// The contacts page job was taken, saw the pause and was snoozed
	// (River counts its snoozes in its metadata).
	waitFor(t, func() bool {
		res, err := e.p.RiverClient().JobList(ctx, river.NewJobListParams().Kinds(jobs.KindPage).
			Where("args->>'stream' = @stream AND (metadata->>'snoozes')::int >= 2", river.NamedArgs{"stream": "contacts"}))
		return err == nil && len(res.Jobs) > 0
	})
	if r, _ := e.wh.Run(ctx, e.pool, contacts.ID); r.APICalls != 0 || r.Status.Final() {
		t.Errorf("a paused stream's run: %s after %d calls, want running with none", r.Status, r.APICalls)
	}
	if got := state("contacts"); got != jobs.StatePaused {
		t.Errorf("status of the paused stream: %s", got)
	}
	if got := state("tags"); got != jobs.StateSucceeded {
		t.Errorf("status of the other stream: %s", got)
	}
	if err := e.p.Resume(ctx, "acme", "contacts"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { r, _ := e.wh.Run(ctx, e.pool, contacts.ID); return r.Status == warehouse.RunSucceeded })

	// The whole account.
	if err := e.p.Pause(ctx, "acme", ""); err != nil {
		t.Fatal(err)
	}
	if got := state("tags"); got != jobs.StatePaused {
		t.Errorf("status of a stream of the paused account: %s", got)
	}
	q, err := e.p.RiverClient().QueueGet(ctx, "keapsync_acme")
	if err != nil || q.PausedAt == nil {
		t.Errorf("the account's River queue is not paused: %+v, %v", q, err)
	}
	runs, err = e.p.Sync(ctx, jobs.SyncRequest{Full: true, Streams: []string{"tags"}})
	if err != nil {
		t.Fatal(err)
	}
	tags := runByStream(t, runs, "tags")
	time.Sleep(time.Second)
	if r, _ := e.wh.Run(ctx, e.pool, tags.ID); r.APICalls != 0 {
		t.Errorf("a paused account's run made %d calls", r.APICalls)
	}
	if err := e.p.Resume(ctx, "acme", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { r, _ := e.wh.Run(ctx, e.pool, tags.ID); return r.Status == warehouse.RunSucceeded })
	if got := state("tags"); got != jobs.StateSucceeded {
		t.Errorf("status after resume: %s", got)
	}
	e.assertMatchesTruth("acme", "tags", "contacts")
}

// waitFor polls cond for up to 30 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
	}
}

// TestRiverUI_PageJobsCarryTagsAndOutput: River UI could not tell which
// account, stream or run a page job belonged to, nor what it did.
func TestRiverUI_PageJobsCarryTagsAndOutput(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 150)
	acct.mod = func(a *jobs.Account) { a.Streams = []string{"contacts"} }
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	run := runByStream(t, e.sync(jobs.SyncRequest{}, time.Minute), "contacts")
	ctx := context.Background()
	res, err := e.p.RiverClient().JobList(ctx, river.NewJobListParams().States(rivertype.JobStateCompleted).Kinds(jobs.KindPage).First(100))
	if err != nil {
		t.Fatal(err)
	}
	var records int
	for _, j := range res.Jobs {
		if !slices.Contains(j.Tags, "account-acme") {
			t.Errorf("job %d tags %v", j.ID, j.Tags)
		}
		if !slices.Contains(j.Tags, fmt.Sprintf("run-%d", run.ID)) {
			continue
		}
		if !slices.Contains(j.Tags, "stream-contacts") {
			t.Errorf("job %d of the contacts run has tags %v", j.ID, j.Tags)
		}
		var out struct {
			Records, Inserted, Calls int
		}
		if err := json.Unmarshal(j.Output(), &out); err != nil || out.Calls != 1 {
			t.Errorf("job %d output %s (%v)", j.ID, j.Output(), err)
		}
		records += out.Records
	}
	if records != 150 {
		t.Errorf("the contacts run's jobs report %d records, want 150", records)
	}
}
