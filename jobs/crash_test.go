package jobs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// crashRounds is how many times the crash test kills its worker:
// KEAPSYNC_CRASH_ROUNDS, default 5.
func crashRounds(t *testing.T) int {
	if v := os.Getenv("KEAPSYNC_CRASH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("KEAPSYNC_CRASH_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return 5
}

func TestCrash_WorkerKilledAtRandomMomentsLosesNothing(t *testing.T) {
	t.Parallel()
	const perSecond, perMinute = 25, 900
	acct := testAccount{
		name: "acme",
		sim: keapsim.Options{Contacts: 3000, PerSecond: perSecond, PerMinute: perMinute, PerDay: -1,
			TenantPerMinute: -1, Seed: 11},
		quota: keap.QuotaConfig{PerSecond: perSecond, PerMinute: perMinute, PerDay: -1},
	}
	e := setup(t, []testAccount{acct}, nil)
	sim := e.sims["acme"]
	spec := workerSpec{Workers: 4, JobTimeout: 1500 * time.Millisecond, RescueAfter: 2 * time.Second, QuotaWait: time.Second}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))

	// Two syncs: the first sync of everything, then an incremental one
	// after changes, each under kills.
	rounds := crashRounds(t)
	var kills int
	for phase := range 2 {
		if phase == 1 {
			mutate(t, sim, func(string) bool { return false })
		}
		runs, err := e.p.Sync(context.Background(), jobs.SyncRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for range (rounds + 1) / 2 {
			w := e.spawn(spec)
			time.Sleep(time.Duration(100+rng.IntN(1400)) * time.Millisecond)
			w.kill()
			kills++
		}
		w := e.spawn(spec)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		final, err := e.p.Wait(ctx, runs, 100*time.Millisecond, nil)
		cancel()
		if err != nil {
			t.Fatalf("phase %d: %v\nworker output:\n%s", phase, err, w.out.String())
		}
		for _, r := range final {
			if r.Status != warehouse.RunSucceeded {
				t.Fatalf("phase %d: run %d %s ended %s: %s", phase, r.ID, r.Stream, r.Status, r.LastError)
			}
		}
		w.kill()
		e.assertMatchesTruth("acme")
		e.assertCheckpointsConsistent("acme", final)
	}
	if kills < rounds {
		t.Fatalf("killed the worker %d times, want %d", kills, rounds)
	}
	st := sim.Stats()
	// Spike-arrest 429s can happen when a freshly started process's first
	// requests are delayed on a loaded machine; they are rejections, not
	// overruns. What Keap accepted never exceeds a limit.
	if st.PeakSecond > perSecond || st.PeakMinute > perMinute || st.RejectedMinute != 0 || st.RejectedDay != 0 {
		t.Errorf("quota overrun across %d kills: %+v", kills, st)
	}
	e.assertChildRowsConsistent("acme")
	t.Logf("%d kills; %d requests served, %d rejected; peak %d/s, %d/min", kills, st.Accepted, st.Rejected, st.PeakSecond, st.PeakMinute)
}

// assertCheckpointsConsistent checks each stream's checkpoint against its
// last run: time-filtered streams stand at the run's window end.
func (e *env) assertCheckpointsConsistent(account string, runs []jobs.Run) {
	e.t.Helper()
	ctx := context.Background()
	for _, r := range runs {
		cp, ok, err := e.wh.Checkpoint(ctx, e.pool, account, r.Stream)
		if err != nil || !ok {
			e.t.Errorf("%s: checkpoint %+v, %v, %v", r.Stream, cp, ok, err)
			continue
		}
		s, _ := keap.StreamByName(r.Stream)
		if s.Mode == keap.ModeTimeFilter && !cp.HighWaterTime.Equal(r.WindowUntil) {
			e.t.Errorf("%s: checkpoint at %s, want the run's window end %s", r.Stream, cp.HighWaterTime, r.WindowUntil)
		}
		slices, err := e.wh.Slices(ctx, e.pool, r.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, sl := range slices {
			if !sl.Done {
				e.t.Errorf("%s: run %d succeeded with slice %d unfinished", r.Stream, r.ID, sl.N)
			}
		}
	}
}

// assertChildRowsConsistent checks that child rows belong to live parents
// and their positions run 0..n-1 without gaps or repeats.
func (e *env) assertChildRowsConsistent(account string) {
	e.t.Helper()
	for _, c := range []struct{ child, parent, col string }{
		{"contact_email_addresses", "contacts", "contact_id"},
		{"contact_phone_numbers", "contacts", "contact_id"},
		{"contact_addresses", "contacts", "contact_id"},
		{"contact_tags", "contacts", "contact_id"},
		{"order_items", "orders", "order_id"},
	} {
		child := pgx.Identifier{e.mig.DataSchema, c.child}.Sanitize()
		parent := pgx.Identifier{e.mig.DataSchema, c.parent}.Sanitize()
		var orphans, gaps int
		err := e.pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT
			(SELECT count(*) FROM %[1]s ch WHERE ch.account = $1 AND NOT EXISTS (SELECT 1 FROM %[2]s p WHERE p.account = ch.account AND p.id = ch.%[3]s)),
			(SELECT count(*) FROM (SELECT %[3]s FROM %[1]s WHERE account = $1 GROUP BY %[3]s HAVING max(position) + 1 <> count(*)) g)`,
			child, parent, c.col), account).Scan(&orphans, &gaps)
		if err != nil {
			e.t.Fatal(err)
		}
		if orphans != 0 || gaps != 0 {
			e.t.Errorf("%s: %d rows without a parent, %d parents with gaps in positions", c.child, orphans, gaps)
		}
	}
}
