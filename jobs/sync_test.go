package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// TestSync_FullSyncOfEveryStreamMatchesTheSimulator syncs a tenant at
// Keap's default quota (5 a second, 120 a minute) and checks every stream
// against the simulator; typed columns, child rows and custom-field views
// are checked by TestSync_TypedColumnsAndChildRowsMatchTheSimulator.
func TestSync_FullSyncOfEveryStreamMatchesTheSimulator(t *testing.T) {
	t.Parallel()
	acct := testAccount{
		name:  "acme",
		sim:   keapsim.Options{Contacts: 1200, Seed: 3},
		quota: keap.QuotaConfig{},
		// The spike arrest is real time: the simulator runs in a process
		// of its own, so a busy test process cannot skew its arrivals.
		fake: true,
	}
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	runs := e.sync(jobs.SyncRequest{}, 2*time.Minute)
	if len(runs) != len(keap.Streams) {
		t.Fatalf("%d runs started for %d streams", len(runs), len(keap.Streams))
	}
	for _, r := range runs {
		s, _ := keap.StreamByName(r.Stream)
		// A first sync is a backfill, but for a one-call list (a model, a lookup).
		if r.Kind != warehouse.RunSync || r.Pages == 0 || r.Backfill == (s.Mode == keap.ModeSingle) {
			t.Errorf("run %+v", r)
		}
	}
	e.assertMatchesTruth("acme")
	if st := e.stats("acme"); st.Rejected != 0 {
		t.Errorf("%d requests rejected: %+v", st.Rejected, st)
	}
}

func TestSync_DailyCapPausesAndResumesAfterTheResetWithoutFetchingAPageTwice(t *testing.T) {
	t.Parallel()
	const perDay = 9
	acct := testAccount{
		name: "acme",
		sim: keapsim.Options{Contacts: 500, PerSecond: 10, PerMinute: -1, PerDay: perDay, TenantPerMinute: -1,
			DayLength: 3 * time.Second, APIKeys: []string{"keapsync-key", "other-key"}},
		// Its spike arrest and day are real time: the simulator runs in a
		// process of its own, so that it timestamps arrivals as they
		// arrive however busy this test process is.
		fake: true,
		// The simulator is on this machine's clock: the day's margin
		// covers the expiry header's millisecond precision and how late a
		// call may leave (100ms).
		quota: keap.QuotaConfig{PerSecond: 10, PerMinute: -1, PerDay: perDay, DayResetMargin: 300 * time.Millisecond},
	}
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) { c.SnoozeJitter = 100 * time.Millisecond })
	// Most of the first day is already spent (by another integration on
	// the tenant), so the cap is hit at once however fast this machine.
	other := &otherIntegration{url: e.url("acme"), key: "other-key"}
	for range perDay - 2 {
		other.call(t)
		time.Sleep(110 * time.Millisecond)
	}
	e.start()

	ctx := context.Background()
	runs, err := e.p.Sync(ctx, jobs.SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var pausedSeen bool
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	final, err := e.p.Wait(waitCtx, runs, 50*time.Millisecond, func(rs []jobs.Run) {
		for _, r := range rs {
			if r.Status == warehouse.RunPausedQuota && !r.ResumeAt.IsZero() {
				pausedSeen = true
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var pages int64
	for _, r := range final {
		if r.Status != warehouse.RunSucceeded {
			t.Errorf("run %d %s ended %s: %s", r.ID, r.Stream, r.Status, r.LastError)
		}
		pages += r.Pages
	}
	if !pausedSeen {
		t.Error("no run was seen paused_quota with a resume time")
	}
	st := e.stats("acme")
	if st.Rejected != 0 {
		t.Errorf("simulator rejected %d requests (%+v)", st.Rejected, st)
	}
	sent, _ := other.counts()
	if ours := st.Accepted - int64(sent); ours != pages {
		t.Errorf("the simulator served keapsync %d requests for %d pages: a page was fetched twice or a call wasted", ours, pages)
	}
	if pages <= perDay {
		t.Fatalf("the sync took %d pages, fewer than one day's quota (%d): the cap was never hit", pages, perDay)
	}
	e.assertMatchesTruth("acme")
}

// mutate creates a record in every stream, updates three records of each
// twice in quick succession (same second), and deletes two records of each
// stream in deletable.
func mutate(t *testing.T, sim *keapsim.Server, deletable func(string) bool) (changes int) {
	t.Helper()
	for _, stream := range sim.Streams() {
		recs, err := sim.Records(stream, []string{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sim.Create(stream); err != nil {
			t.Fatal(err)
		}
		changes++
		for i := 0; i < 3 && len(recs)/2+i < len(recs); i++ {
			target := recs[len(recs)/2+i].ID
			if st, _ := keap.StreamByName(stream); st.RereadWindow > 0 {
				// Its records change only while recent (an email's opens):
				// change the newest, which the re-read window sees.
				target = recs[len(recs)-1-i].ID
			}
			for range 2 {
				if err := sim.Update(stream, target); err != nil && !errors.Is(err, keapsim.ErrAppendOnly) {
					t.Fatal(err)
				}
			}
			changes++
		}
		if deletable(stream) {
			for i := 0; i < 2 && i < len(recs); i++ {
				if err := sim.Delete(stream, recs[i*7].ID); err != nil && !errors.Is(err, keapsim.ErrAppendOnly) {
					t.Fatal(err)
				}
			}
		}
	}
	return changes
}

func reconcilableStream(name string) bool {
	s, ok := keap.StreamByName(name)
	return ok && jobs.Reconcilable(s)
}

func TestSync_IncrementalReadsOnlyChangesAndReconciliationFindsDeletes(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 1500)}, nil)
	e.start()
	sim := e.sims["acme"]
	e.sync(jobs.SyncRequest{}, 2*time.Minute)

	mutate(t, sim, reconcilableStream)
	before := sim.Stats().Accepted
	runs := e.sync(jobs.SyncRequest{}, 2*time.Minute)
	calls := sim.Stats().Accepted - before
	// A handful of changes per stream fit in one page each: one call per
	// run, whatever the size of the account.
	if calls != int64(len(runs)) {
		t.Errorf("the incremental sync made %d calls for %d runs, want one each", calls, len(runs))
	}
	for _, r := range runs {
		if r.Backfill {
			t.Errorf("run %s is a backfill after a complete first sync", r.Stream)
		}
	}
	// Every stream matches except the deletes, which only a
	// reconciliation finds.
	var kept []string
	for _, s := range keap.Streams {
		if !reconcilableStream(s.Name) {
			kept = append(kept, s.Name)
		}
	}
	e.assertMatchesTruth("acme", kept...)

	rec := e.sync(jobs.SyncRequest{Reconcile: true}, 2*time.Minute)
	var deleted int64
	for _, r := range rec {
		if r.Kind != warehouse.RunReconcile || !reconcilableStream(r.Stream) {
			t.Errorf("reconcile request started %+v", r)
		}
		deleted += r.RowsDeleted
	}
	if want := 2 * int64(len(rec)); deleted != want {
		t.Errorf("reconciliation soft-deleted %d rows, want %d", deleted, want)
	}
	e.assertMatchesTruth("acme")

	// A row wrongly marked deleted (it "came back") is undeleted by the
	// next reconciliation.
	ctx := context.Background()
	contacts, _ := sim.Records("contacts", []string{})
	back := contacts[len(contacts)-1].ID
	tag, err := e.pool.Exec(ctx, fmt.Sprintf(`UPDATE %s SET _deleted_at = now() WHERE account = 'acme' AND id = $1`,
		pgx.Identifier{e.mig.DataSchema, "contacts"}.Sanitize()), back)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("marking contact %d deleted: %v", back, err)
	}
	e.sync(jobs.SyncRequest{Reconcile: true, Streams: []string{"contacts"}}, time.Minute)
	e.assertMatchesTruth("acme")
}

func TestSync_ChangesDuringASyncAreCaughtByTheNext(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 2000)}, func(c *jobs.Config) { c.Workers = 2 })
	e.start()
	sim := e.sims["acme"]

	// Update and create records while the first sync reads, including
	// records it has already passed and several updates in one second.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		rng := rand.New(rand.NewPCG(7, 7))
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, stream := range []string{"contacts", "notes", "orders", "tags", "opportunities"} {
				recs, _ := sim.Records(stream, []string{})
				if len(recs) > 0 {
					_ = sim.Update(stream, recs[rng.IntN(len(recs))].ID)
				}
				_, _ = sim.Create(stream)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	e.sync(jobs.SyncRequest{}, 2*time.Minute)
	close(stop)
	<-done
	e.sync(jobs.SyncRequest{}, 2*time.Minute)
	e.assertMatchesTruth("acme")
}

func TestSchedule_PeriodicSyncStartsRunsAndJoinsThoseStillActive(t *testing.T) {
	t.Parallel()
	acct := testAccount{
		name: "acme",
		// Slow enough that a run is still going when the schedule fires
		// again.
		sim:   keapsim.Options{Contacts: 600, PerSecond: 2, PerMinute: -1, PerDay: -1, TenantPerMinute: -1},
		quota: keap.QuotaConfig{PerSecond: 2, PerMinute: -1, PerDay: -1},
		mod: func(a *jobs.Account) {
			a.Schedule = "@every 1s"
			a.Streams = []string{"contacts", "tags"}
		},
	}
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) { c.Schedules = true })
	e.start()
	ctx := context.Background()
	// Wait for a scheduled run of each stream to succeed, while the
	// schedule keeps firing.
	deadline := time.Now().Add(90 * time.Second)
	for {
		done := 0
		for _, stream := range []string{"contacts", "tags"} {
			if r, ok, err := e.wh.LastSuccess(ctx, e.pool, "acme", stream, warehouse.RunSync); err != nil {
				t.Fatal(err)
			} else if ok && r.Trigger == warehouse.TriggerSchedule {
				done++
			}
		}
		if done == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no scheduled run succeeded in time")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The schedule fired several times while the contacts run was going:
	// each firing joined it instead of starting another.
	var runs, overlapping int
	err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*),
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM %[1]s o WHERE o.stream = r.stream AND o.id <> r.id
			AND o.started_at < coalesce(r.finished_at, 'infinity') AND r.started_at < coalesce(o.finished_at, 'infinity')))
		FROM %[1]s r WHERE stream = 'contacts'`, pgx.Identifier{e.mig.StateSchema, "sync_runs"}.Sanitize())).Scan(&runs, &overlapping)
	if err != nil {
		t.Fatal(err)
	}
	var firings int
	if err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE kind = $1`,
		pgx.Identifier{e.mig.RiverSchema, "river_job"}.Sanitize()), jobs.KindAccountSync).Scan(&firings); err != nil {
		t.Fatal(err)
	}
	if overlapping != 0 {
		t.Errorf("%d contacts runs overlapped another", overlapping)
	}
	if firings <= runs {
		t.Errorf("%d scheduled firings for %d runs: the test did not fire during a run", firings, runs)
	}
	t.Logf("%d firings, %d contacts runs", firings, runs)
}

// TestSync_AStreamWithCustomFieldsBringsTheirDefinitions configures an
// account with streams: [contacts], as an operator who wants only contacts
// writes it: the definitions stream used to be left out, and
// contacts_custom had no columns.
func TestSync_AStreamWithCustomFieldsBringsTheirDefinitions(t *testing.T) {
	t.Parallel()
	acct := unthrottled("acme", 50)
	acct.mod = func(a *jobs.Account) { a.Streams = []string{"contacts"} }
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	runs := e.sync(jobs.SyncRequest{}, time.Minute)
	var names []string
	for _, r := range runs {
		names = append(names, r.Stream)
	}
	if len(runs) != 2 || !contains(names, "contacts") || !contains(names, "contact_custom_fields") {
		t.Fatalf("runs of %v, want contacts and its definitions", names)
	}
	var defined, columns int
	err := e.pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*), count(c.column_name) FROM %s f
		LEFT JOIN information_schema.columns c ON c.table_schema = $1 AND c.table_name = 'contacts_custom' AND c.column_name = f.column_name
		WHERE f.account = 'acme' AND f.entity = 'contacts'`, pgx.Identifier{e.mig.DataSchema, "custom_fields"}.Sanitize()),
		e.mig.DataSchema).Scan(&defined, &columns)
	if err != nil || defined == 0 || columns != defined {
		t.Errorf("contacts_custom has %d of %d custom-field columns (%v)", columns, defined, err)
	}
	// Asking for the stream alone brings them too.
	runs = e.sync(jobs.SyncRequest{Streams: []string{"contacts"}}, time.Minute)
	if len(runs) != 2 {
		t.Errorf("%d runs for --stream contacts, want contacts and its definitions", len(runs))
	}
}

// TestReconcile_OneEmptyListingEmptiesNoTable: the guard used to let one
// reading delete max(100, half) rows, so one empty listing emptied any
// table of up to 100 rows, custom-field definitions included (their view
// was rebuilt with no columns). Now one reading that would delete more
// than half a table changes nothing and fails its run; a second run that
// reads the same applies it.
func TestReconcile_OneEmptyListingEmptiesNoTable(t *testing.T) {
	t.Parallel()
	var emptyModel atomic.Bool
	acct := unthrottled("acme", 40)
	acct.mod = func(a *jobs.Account) {
		// Keap answering the contacts' model with no field at all.
		hostileGateway(t, a, func(path, _ string, body []byte) []byte {
			if emptyModel.Load() && strings.HasSuffix(path, "/v2/contacts/model") {
				return []byte(`{"custom_fields":[]}`)
			}
			return body
		})
	}
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	sim := e.sims["acme"]
	e.sync(jobs.SyncRequest{Streams: []string{"companies", "contacts"}}, time.Minute)
	ctx := context.Background()
	live := func(stream string) int64 {
		n, err := e.wh.LiveRows(ctx, e.pool, stream, "acme")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before, defs := live("companies"), live("contact_custom_fields")
	if before == 0 || before > 100 || defs == 0 {
		t.Fatalf("%d companies, %d contact custom fields: the test wants a small table and some fields", before, defs)
	}
	recs, err := sim.Records("companies", []string{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := sim.Delete("companies", r.ID); err != nil {
			t.Fatal(err)
		}
	}
	emptyModel.Store(true)

	// The first reading of an empty listing is withheld, in both.
	for _, req := range []jobs.SyncRequest{
		{Reconcile: true, Streams: []string{"companies"}},
		{Streams: []string{"contact_custom_fields"}},
	} {
		runs := e.syncNoCheck(req, time.Minute)
		if len(runs) != 1 || runs[0].Status != warehouse.RunFailed || !strings.Contains(runs[0].LastError, "withheld") {
			t.Fatalf("%+v: runs %+v, want one failed, its deletes withheld", req, runs)
		}
	}
	if got := live("companies"); got != before {
		t.Errorf("one empty listing left %d of %d companies", got, before)
	}
	if got := live("contact_custom_fields"); got != defs {
		t.Errorf("one empty model left %d of %d definitions", got, defs)
	}

	// A second reading confirms it.
	e.sync(jobs.SyncRequest{Reconcile: true, Streams: []string{"companies"}}, time.Minute)
	e.sync(jobs.SyncRequest{Streams: []string{"contact_custom_fields"}}, time.Minute)
	if got := live("companies"); got != 0 {
		t.Errorf("%d companies live after two empty listings", got)
	}
	if got := live("contact_custom_fields"); got != 0 {
		t.Errorf("%d definitions live after two empty models", got)
	}

	// An operator's approval applies a mass delete at once.
	contacts, _ := sim.Records("contacts", []string{})
	for _, r := range contacts[1:] {
		if err := sim.Delete("contacts", r.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.sync(jobs.SyncRequest{Reconcile: true, Streams: []string{"contacts"}, AllowMassDelete: true}, time.Minute)
	if got := live("contacts"); got != 1 {
		t.Errorf("%d contacts live after an approved reconciliation, want 1", got)
	}
	// The same for a stream read whole every sync, whose deletes a plain
	// sync applies: its approval comes with the sync, and applies on the
	// first reading.
	e.sync(jobs.SyncRequest{Streams: []string{"users"}}, time.Minute)
	if live("users") == 0 {
		t.Fatal("no user synced")
	}
	users, _ := sim.Records("users", []string{})
	for _, r := range users {
		if err := sim.Delete("users", r.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.sync(jobs.SyncRequest{Streams: []string{"users"}, AllowMassDelete: true}, time.Minute) // the first reading
	if got := live("users"); got != 0 {
		t.Errorf("%d users live after an approved sync, want 0", got)
	}
	e.assertMatchesTruth("acme", "companies", "contacts", "users")
}

// TestSync_ARangeIsReadAgainWithoutMovingTheCheckpoint: a re-read of a
// time range (sync --since T --until T) fetches what changed in it again,
// and nothing else, and leaves the checkpoint where it was.
func TestSync_ARangeIsReadAgainWithoutMovingTheCheckpoint(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 300)}, nil)
	e.start()
	sim := e.sims["acme"]
	e.sync(jobs.SyncRequest{Streams: []string{"contacts"}}, time.Minute)
	ctx := context.Background()
	before, _, err := e.wh.Checkpoint(ctx, e.pool, "acme", "contacts")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := sim.Records("contacts", []string{})
	if err != nil {
		t.Fatal(err)
	}
	// Two contacts updated far apart; both rows stale in the warehouse
	// (a copy that differs from Keap's: a re-read replaces it).
	var in, out keapsim.TruthRecord
	for _, r := range recs {
		if in.ID == 0 {
			in = r
		} else if d := r.Updated.Sub(in.Updated); d > 48*time.Hour || d < -48*time.Hour {
			out = r
			break
		}
	}
	if out.ID == 0 {
		t.Fatal("no two contacts updated two days apart")
	}
	contacts := pgx.Identifier{e.mig.DataSchema, "contacts"}.Sanitize()
	if _, err := e.pool.Exec(ctx, `UPDATE `+contacts+` SET raw = '{}', _hash = '\x00' WHERE account = 'acme' AND id = ANY($1)`, []int64{in.ID, out.ID}); err != nil {
		t.Fatal(err)
	}
	runs := e.sync(jobs.SyncRequest{Streams: []string{"contacts"}, Since: in.Updated.Add(-time.Minute), Until: in.Updated.Add(time.Minute)}, time.Minute)
	r := runByStream(t, runs, "contacts")
	if !r.Reread || r.Pages != 1 {
		t.Errorf("the re-read: %+v, want one page of a re-read", r)
	}
	raw := func(id int64) string {
		var s string
		if err := e.pool.QueryRow(ctx, `SELECT raw::text FROM `+contacts+` WHERE account = 'acme' AND id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if raw(in.ID) == "{}" {
		t.Errorf("contact %d, updated in the range, was not read again", in.ID)
	}
	if raw(out.ID) != "{}" {
		t.Errorf("contact %d, updated outside the range, was read", out.ID)
	}
	after, _, err := e.wh.Checkpoint(ctx, e.pool, "acme", "contacts")
	if err != nil || !after.HighWaterTime.Equal(before.HighWaterTime) {
		t.Errorf("the checkpoint moved: %v -> %v (%v)", before.HighWaterTime, after.HighWaterTime, err)
	}
}
