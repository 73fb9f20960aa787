package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/internal/syncbuf"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
)

// chaosRounds is how many rounds the chaos test runs: KEAPSYNC_CHAOS_ROUNDS,
// else 100 with KEAPSYNC_CHAOS=1 (the full suite), else 2.
func chaosRounds(t *testing.T) int {
	if v := os.Getenv("KEAPSYNC_CHAOS_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("KEAPSYNC_CHAOS_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	if os.Getenv("KEAPSYNC_CHAOS") == "1" {
		return 100
	}
	return 2
}

// workProcess is a `keapsync work` process.
type workProcess struct {
	cmd *exec.Cmd
	out *syncbuf.Buffer
}

func (e *testEnv) spawnWork(t *testing.T, bin string) *workProcess {
	t.Helper()
	w := &workProcess{out: &syncbuf.Buffer{}}
	w.cmd = exec.Command(bin, "-c", e.config, "work")
	for k, v := range e.env {
		w.cmd.Env = append(w.cmd.Env, k+"="+v)
	}
	w.cmd.Env = append(w.cmd.Env, "PATH="+os.Getenv("PATH"), "HOME="+os.Getenv("HOME"))
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.kill)
	return w
}

func (w *workProcess) kill() {
	if w.cmd.ProcessState == nil {
		_ = w.cmd.Process.Kill()
		_ = w.cmd.Wait()
	}
}

// TestChaos_WorkProcessesKilledAtRandomEachRoundLoseNothing runs three
// `keapsync work` processes on one database and one account and, round
// after round, changes the tenant, starts a sync and SIGKILLs processes at
// random moments, restarting each. After every round the warehouse equals
// the simulator's truth, with no duplicate rows and consistent checkpoints,
// the calls made stay within what the kills explain, and the simulator never
// counted more than a limit allows. Two rounds in the normal test run; 100
// with KEAPSYNC_CHAOS=1, or KEAPSYNC_CHAOS_ROUNDS.
func TestChaos_WorkProcessesKilledAtRandomEachRoundLoseNothing(t *testing.T) {
	t.Parallel()
	const perSecond, perMinute = 20, 900
	e := newTestEnv(t, envOptions{
		contacts: 1500,
		sim: &keapsim.Options{PerSecond: perSecond, PerMinute: perMinute, PerDay: -1, TenantPerMinute: -1,
			Seed: time.Now().UnixNano()},
		quota:   fmt.Sprintf("{per_second: %d, per_minute: %d, per_day: 1000000}", perSecond, perMinute),
		account: "schedule: \"off\"\nreconcile_deletes: \"off\"\n",
		extra:   "",
	})
	cfg := strings.Replace(readFile(t, e.config), "worker: {concurrency: 4, shutdown_timeout: 10s}",
		"worker: {concurrency: 4, shutdown_timeout: 10s, job_timeout: 3s, rescue_after: 5s, page_size: 50}", 1)
	cfg = strings.Replace(cfg, `http: {listen: "127.0.0.1:0"}`, `http: {listen: "off"}`, 1)
	e.config = writeFile(t, e.dir, "keapsync.yaml", cfg)
	bin := keapsyncBinary(t)
	e.mustRun(exitOK, "migrate")

	rounds := chaosRounds(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	procs := []*workProcess{e.spawnWork(t, bin), e.spawnWork(t, bin), e.spawnWork(t, bin)}
	var kills int
	var pages int64
	checked := 0
	for round := range rounds {
		if round > 0 {
			churn(t, e.sim, rng, 60)
		}
		r := e.mustRun(exitOK, "sync", "--json")
		var started []struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &started); err != nil {
			t.Fatalf("sync --json: %v\n%s", err, r.stdout)
		}
		// Kill one or two processes at random moments of the round, and
		// restart them.
		for range 1 + rng.IntN(2) {
			time.Sleep(time.Duration(50+rng.IntN(1500)) * time.Millisecond)
			i := rng.IntN(len(procs))
			procs[i].kill()
			kills++
			procs[i] = e.spawnWork(t, bin)
		}
		ids := make([]int64, len(started))
		for i, s := range started {
			ids[i] = s.ID
		}
		runs := waitRuns(t, e, ids, 4*time.Minute, procs)
		for _, run := range runs {
			pages += run.pages
		}
		checked += assertWarehouseIsTruth(t, e)
		if t.Failed() {
			t.Fatalf("round %d of %d failed", round+1, rounds)
		}
	}
	st := e.sim.Stats()
	if st.PeakSecond > perSecond || st.PeakMinute > perMinute || st.RejectedMinute != 0 || st.RejectedDay != 0 {
		t.Errorf("a limit was overrun: %+v", st)
	}
	// A killed process wastes at most the pages it had in flight.
	if limit := pages + int64(4*kills); st.Accepted > limit {
		t.Errorf("%d calls for %d pages and %d kills (at most %d explained)", st.Accepted, pages, kills, limit)
	}
	t.Logf("%d rounds, %d kills, %d records checked, %d pages, %d calls (%d rejected), losses: 0",
		rounds, kills, checked, pages, st.Accepted, st.Rejected)
}

// churn makes n random changes to the tenant that keapsync's incremental
// syncs see: creates and updates (deletes are for reconciliation).
func churn(t *testing.T, sim *keapsim.Server, rng *rand.Rand, n int) {
	t.Helper()
	streams := []string{"contacts", "companies", "orders", "notes", "tasks", "tags", "opportunities", "payments"}
	for range n {
		s := streams[rng.IntN(len(streams))]
		if rng.IntN(4) == 0 {
			if _, err := sim.Create(s); err != nil {
				t.Fatal(err)
			}
			continue
		}
		recs, err := sim.Records(s, []string{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			if err := sim.Update(s, recs[rng.IntN(len(recs))].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

type finishedRun struct {
	stream, status, lastError string
	pages                     int64
}

// waitRuns waits until the runs ids are final and fails the test unless
// each succeeded.
func waitRuns(t *testing.T, e *testEnv, ids []int64, timeout time.Duration, procs []*workProcess) []finishedRun {
	t.Helper()
	deadline := time.Now().Add(timeout)
	runs := pgx.Identifier{e.state, "sync_runs"}.Sanitize()
	for {
		rows, err := e.pool.Query(context.Background(), fmt.Sprintf(`SELECT stream, status, coalesce(last_error, ''), pages,
			finished_at IS NOT NULL FROM %s WHERE id = ANY($1)`, runs), ids)
		if err != nil {
			t.Fatal(err)
		}
		var out []finishedRun
		final := 0
		var r finishedRun
		var done bool
		if _, err := pgx.ForEachRow(rows, []any{&r.stream, &r.status, &r.lastError, &r.pages, &done}, func() error {
			out = append(out, r)
			if done {
				final++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if final == len(ids) {
			for _, r := range out {
				if r.status != "succeeded" {
					t.Errorf("run of %s ended %s: %s", r.stream, r.status, r.lastError)
				}
			}
			return out
		}
		if time.Now().After(deadline) {
			for i, p := range procs {
				t.Logf("work process %d:\n%s", i, p.out.String())
			}
			t.Fatalf("runs not final after %s: %+v", timeout, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertWarehouseIsTruth compares every stream of account acme with the
// simulator's live records (same ids, same raw records), checks that no
// row is duplicated and every child row has its parent, and returns the
// records checked.
func assertWarehouseIsTruth(t *testing.T, e *testEnv) int {
	t.Helper()
	ctx := context.Background()
	checked := 0
	for _, s := range keap.Streams {
		if s.CustomFieldsOf != "" {
			continue
		}
		fields := s.Fields
		if s.Version == keap.V1 {
			fields = s.OptionalProperties
		}
		if fields == nil {
			fields = []string{}
		}
		truth, err := e.sim.Records(s.Name, fields)
		if err != nil {
			t.Fatal(err)
		}
		tbl := pgx.Identifier{e.data, s.Name}.Sanitize()
		var stored, distinct int
		if err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(DISTINCT id) FROM %s WHERE account = 'acme'`, tbl)).
			Scan(&stored, &distinct); err != nil {
			t.Fatal(err)
		}
		if stored != distinct || stored != len(truth) {
			t.Errorf("%s: %d rows (%d distinct ids), %d records in Keap", s.Name, stored, distinct, len(truth))
			continue
		}
		for _, tr := range truth {
			var same bool
			err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT raw = $2::jsonb FROM %s WHERE account = 'acme' AND id = $1`, tbl),
				tr.ID, string(tr.Raw)).Scan(&same)
			if err != nil || !same {
				t.Errorf("%s %d: stored record differs from Keap's (%v)", s.Name, tr.ID, err)
				break
			}
			checked++
		}
	}
	for _, c := range [][2]string{{"contact_email_addresses", "contact_id"}, {"contact_tags", "contact_id"}, {"order_items", "order_id"}} {
		var orphans int
		if err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s c WHERE NOT EXISTS
			(SELECT 1 FROM %s p WHERE p.account = c.account AND p.id = c.%s)`,
			pgx.Identifier{e.data, c[0]}.Sanitize(), pgx.Identifier{e.data, strings.TrimSuffix(c[1], "_id") + "s"}.Sanitize(),
			pgx.Identifier{c[1]}.Sanitize())).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Errorf("%s: %d rows without their parent", c[0], orphans)
		}
	}
	return checked
}
