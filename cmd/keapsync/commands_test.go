package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap/keapsim"
)

// TestCommands_AnOperatorsDay runs every database command in the order an
// operator meets them, against real Postgres and the simulator.
func TestCommands_AnOperatorsDay(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 300})

	// Before migrate, commands say what to do.
	r := e.mustRun(exitFailure, "status")
	if !strings.Contains(r.stderr, "the database is not migrated to this version of keapsync: run keapsync migrate") {
		t.Errorf("status before migrate: %v", r)
	}

	r = e.mustRun(exitOK, "migrate")
	if !strings.Contains(r.stdout, "Migrated schemas") {
		t.Errorf("migrate: %v", r)
	}
	r = e.mustRun(exitOK, "migrate")
	if !strings.Contains(r.stdout, "Already up to date") {
		t.Errorf("migrate again: %v", r)
	}

	// A fresh account: every stream never synced.
	r = e.mustRun(exitOK, "status")
	if !strings.Contains(r.stdout, "Account acme: quota today") || !strings.Contains(r.stdout, "contacts") ||
		!strings.Contains(r.stdout, " never ") {
		t.Errorf("status of a fresh account:\n%v", r)
	}

	// plan counts, fetching no data.
	r = e.mustRun(exitOK, "plan", "--json")
	var plans []jobs.Plan
	if err := json.Unmarshal([]byte(r.stdout), &plans); err != nil || len(plans) != 1 {
		t.Fatalf("plan --json: %v\n%v", err, r)
	}
	contacts := findPlan(t, plans[0], "contacts")
	if contacts.Records != 300 || contacts.FirstSync != 1 {
		t.Errorf("plan of contacts: %+v", contacts)
	}
	r = e.mustRun(exitOK, "plan")
	for _, want := range []string{"Account acme (estimated with", "STREAM", "contacts", "total", "Daily budget: 1,000,000 calls", "First sync:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}

	// sync --wait works the jobs here and follows them to the end.
	r = e.mustRun(exitOK, "sync", "--wait", "--poll", "100ms")
	for _, want := range []string{"run(s) started, 0 joined", "acme/contacts", "succeeded", "done in"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sync --wait lacks %q:\n%v", want, r)
		}
	}
	r = e.mustRun(exitOK, "status", "--json")
	var st jobs.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	for _, ss := range st.Accounts[0].Streams {
		if ss.State != jobs.StateSucceeded || ss.LastSuccessAt == nil {
			t.Errorf("after sync --wait, %s is %s", ss.Stream, ss.State)
		}
		if ss.Stream == "contacts" && ss.Rows != 300 {
			t.Errorf("contacts rows %d, want 300", ss.Rows)
		}
	}
	if st.Jobs["completed"] == 0 {
		t.Errorf("no completed job counted: %v", st.Jobs)
	}
	r = e.mustRun(exitOK, "status", "--account", "acme")
	if !strings.Contains(r.stdout, "succeeded") || !strings.Contains(r.stdout, "300") || !strings.Contains(r.stdout, "completed") {
		t.Errorf("status after the sync:\n%s", r.stdout)
	}

	// jobs list, human and JSON, with filters.
	r = e.mustRun(exitOK, "jobs", "list", "--state", "completed", "--limit", "5", "--json")
	var list []jobs.Job
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 5 {
		t.Fatalf("jobs list --json: %v (%d jobs)\n%s", err, len(list), r.stdout)
	}
	for _, j := range list {
		if j.State != "completed" || j.Account != "acme" {
			t.Errorf("listed %+v", j)
		}
	}
	r = e.mustRun(exitOK, "jobs", "list", "--account", "acme")
	if !strings.Contains(r.stdout, "ID") || !strings.Contains(r.stdout, "page") || !strings.Contains(r.stdout, "completed") {
		t.Errorf("jobs list:\n%s", r.stdout)
	}
	r = e.mustRun(exitOK, "jobs", "list", "--state", "discarded")
	if strings.TrimSpace(r.stdout) != "No jobs." {
		t.Errorf("jobs list of no job: %q", r.stdout)
	}

	// sync without --wait enqueues for the workers; asking again joins.
	// Each stream brings its custom-field definitions along.
	r = e.mustRun(exitOK, "sync", "--stream", "contacts,companies")
	if !strings.Contains(r.stdout, "4 run(s) started, 0 joined") || !strings.Contains(r.stdout, "enqueued for the work processes") {
		t.Errorf("sync:\n%s", r.stdout)
	}
	r = e.mustRun(exitOK, "sync", "--stream", "contacts", "--json")
	var runs []struct {
		Stream     string     `json:"stream"`
		Joined     bool       `json:"joined"`
		Status     string     `json:"status"`
		FinishedAt *time.Time `json:"finished_at"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 2 || !runs[0].Joined || !runs[1].Joined ||
		runs[0].Stream != "contact_custom_fields" || runs[1].Stream != "contacts" || runs[1].Status != "running" || runs[1].FinishedAt != nil ||
		!strings.Contains(r.stdout, `"finished_at": null`) {
		t.Errorf("sync --json of an active stream: %v %+v\n%s", err, runs, r.stdout)
	}

	// cancel ends the run; retry resumes it.
	r = e.mustRun(exitOK, "jobs", "list", "--state", "available", "--json")
	list = nil
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) == 0 {
		t.Fatalf("no available job after sync: %v\n%s", err, r.stdout)
	}
	id := fmt.Sprint(list[0].ID)
	r = e.mustRun(exitOK, "jobs", "cancel", id)
	if !strings.Contains(r.stdout, "Cancelled job "+id) || !strings.Contains(r.stdout, "now cancelled") {
		t.Errorf("jobs cancel:\n%v", r)
	}
	r = e.mustRun(exitOK, "jobs", "retry", id)
	if !strings.Contains(r.stdout, "Retried job "+id) {
		t.Errorf("jobs retry:\n%v", r)
	}
	r = e.mustRun(exitOK, "jobs", "retry", "--all-discarded")
	if !strings.Contains(r.stdout, "No discarded job to retry.") {
		t.Errorf("jobs retry --all-discarded:\n%v", r)
	}
	r = e.mustRun(exitFailure, "jobs", "retry", "999999999")
	if !strings.Contains(r.stderr, "job 999999999") || !strings.Contains(r.stderr, "not found") {
		t.Errorf("retry of an unknown job:\n%v", r)
	}

	// A full resync through its pages, and the delete reconciliation.
	r = e.mustRun(exitOK, "sync", "--wait", "--poll", "100ms", "--reconcile", "--stream", "contacts")
	if !strings.Contains(r.stdout, "acme/contacts (reconcile)") {
		t.Errorf("sync --reconcile:\n%s", r.stdout)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		assertNoSecret(t, "command output", out)
	}
}

func findPlan(t *testing.T, p jobs.Plan, stream string) jobs.StreamPlan {
	t.Helper()
	for _, s := range p.Streams {
		if s.Stream == stream {
			return s
		}
	}
	t.Fatalf("no plan for %s in %+v", stream, p)
	return jobs.StreamPlan{}
}

func TestCommands_UsageErrorsExit2BeforeAnySideEffect(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1: a command that tried to connect would
	// fail with exit 1, not 2.
	path := writeFile(t, t.TempDir(), "k.yaml", validConfig)
	env := baseEnv()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"status", "--frob"}, "unknown flag: --frob"},
		{[]string{"status", "extra"}, `unknown command "extra"`},
		{[]string{"--log-format", "xml", "status"}, `--log-format "xml": want text or json`},
		{[]string{"--log-level", "loud", "status"}, `--log-level "loud": want debug`},
		{[]string{"status", "--account", "nope"}, `--account "nope" is not configured`},
		{[]string{"plan", "--account", "nope"}, `--account "nope" is not configured`},
		{[]string{"sync", "--stream", "widgets"}, `--stream "widgets" is not a stream`},
		{[]string{"sync", "--stream", "orders"}, `--stream "orders" is not synced for account acme`},
		{[]string{"sync", "--full", "--reconcile"}, "--full and --reconcile do not go together"},
		{[]string{"jobs", "list", "--state", "stuck"}, `--state "stuck": want one of`},
		{[]string{"jobs", "list", "--limit", "0"}, "--limit 0: want 1 to 10000"},
		{[]string{"jobs", "retry"}, "give the ids of the jobs to retry"},
		{[]string{"jobs", "retry", "12", "--all-discarded"}, "not both"},
		{[]string{"jobs", "retry", "twelve"}, `"twelve" is not a job id`},
		{[]string{"jobs", "cancel"}, "give the ids of the jobs to cancel"},
		{[]string{"jobs", "cancel", "-3"}, "unknown shorthand flag"},
		{[]string{"jobs", "cancel", "0"}, `"0" is not a job id`},
	} {
		r := runCLI(context.Background(), env, append([]string{"-c", path}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("keapsync %s: want exit 2 and %q, got %v", strings.Join(tc.args, " "), tc.want, r)
		}
		if strings.Contains(r.stderr, "database") {
			t.Errorf("keapsync %s reached for the database:\n%s", strings.Join(tc.args, " "), r.stderr)
		}
	}
}

func TestCommands_ADatabaseThatDoesNotAnswerIsARuntimeFailure(t *testing.T) {
	t.Parallel()
	path := writeFile(t, t.TempDir(), "k.yaml", validConfig)
	for _, args := range [][]string{{"migrate"}, {"status"}, {"sync"}, {"work"}} {
		r := runCLI(context.Background(), baseEnv(), append([]string{"-c", path}, args...)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "is PostgreSQL running, and does database_url name it?") {
			t.Errorf("keapsync %s: %v", args[0], r)
		}
	}
}

func TestCommands_HelpAndVersion(t *testing.T) {
	t.Parallel()
	r := runCLI(context.Background(), nil, "--help")
	for _, cmd := range []string{"migrate", "work", "sync", "status", "jobs", "plan", "config", "demo", "version"} {
		if r.code != 0 || !strings.Contains(r.stdout, "  "+cmd+" ") {
			t.Errorf("--help lacks %s: %v", cmd, r)
		}
	}
	r = runCLI(context.Background(), nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "keapsync ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("version: %v", r)
	}
}

func TestSync_WaitExits1WhenARunFails(t *testing.T) {
	t.Parallel()
	// The simulator knows another key: every call is a 401. (The contacts
	// bring their custom-field definitions along: two runs.)
	e := newTestEnv(t, envOptions{contacts: 50, simKey: "another-key-entirely"})
	e.mustRun(exitOK, "migrate")
	r := e.mustRun(exitFailure, "sync", "--wait", "--poll", "100ms", "--stream", "contacts")
	if !strings.Contains(r.stderr, "2 of 2 runs did not succeed") || !strings.Contains(r.stderr, "acme/contacts failed") {
		t.Errorf("sync --wait of a failing run:\n%v", r)
	}
	assertNoSecret(t, "sync output", r.stdout+r.stderr)
}

// TestQuotaReset_ForgetsWhatKeapReported: a hostile reading that spent the
// day and capped it at one call is forgotten by quota reset; the slots of
// the calls made stay.
func TestQuotaReset_ForgetsWhatKeapReported(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 10})
	e.mustRun(exitOK, "migrate")
	ctx := context.Background()
	ledger := fmt.Sprintf("%q.quota_ledger", e.state)
	if _, err := e.pool.Exec(ctx, `INSERT INTO `+ledger+` (account, day_count, day_reset_at, day_limit, window_limit, spike_interval, last_at)
		VALUES ('acme', 15000, now() + interval '20 hours', 1, 1, interval '1 minute', now())`); err != nil {
		t.Fatal(err)
	}
	r := e.mustRun(exitOK, "quota", "reset", "--account", "acme")
	if !strings.Contains(r.stdout, "forgot what Keap reported for account acme") {
		t.Errorf("quota reset: %v", r)
	}
	var count int64
	var reset, limit, window, spike, last any
	if err := e.pool.QueryRow(ctx, `SELECT day_count, day_reset_at, day_limit, window_limit, spike_interval, last_at FROM `+ledger+` WHERE account = 'acme'`).
		Scan(&count, &reset, &limit, &window, &spike, &last); err != nil {
		t.Fatal(err)
	}
	if count != 0 || reset != nil || limit != nil || window != nil || spike != nil || last == nil {
		t.Fatalf("after quota reset: count %d, reset %v, limits %v %v %v, last slot %v", count, reset, limit, window, spike, last)
	}
	// The sync that follows is not held to the forgotten limits.
	e.mustRun(exitOK, "sync", "--wait", "--stream", "contacts", "--poll", "100ms")
	if r := e.mustRun(exitUsage, "quota", "reset", "--account", "nope"); !strings.Contains(r.stderr, `"nope" is not configured`) {
		t.Errorf("quota reset of an unknown account: %v", r)
	}
}

// TestWork_AnOlderBinaryRefusesANewerSchema stamps the database with a
// schema version past this build's: work, sync and migrate used to run
// against it silently (migrated meant "at least this version") and fail
// every quota reservation once a function signature changed.
func TestWork_AnOlderBinaryRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 10})
	e.mustRun(exitOK, "migrate")
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (version_id, is_applied) VALUES (9999, true)`,
		pgx.Identifier{e.state, "goose_db_version"}.Sanitize())); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"work"}, {"sync", "--wait", "--stream", "tags"}, {"migrate"}, {"status"}} {
		r := e.run(args...)
		if r.code == exitOK || !strings.Contains(r.stderr, "migrated by a newer keapsync") || !strings.Contains(r.stderr, "version 9999") {
			t.Errorf("keapsync %s against a newer schema: %v", strings.Join(args, " "), r)
		}
	}
}

// TestSyncWait_KeepsTheSchedulesWhileItLeads runs sync --wait alone, with
// no work process: it is then River's leader, which alone enqueues the
// schedules. It used to carry none, so schedules stopped whenever a sync
// --wait won the election.
func TestSyncWait_KeepsTheSchedulesWhileItLeads(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 10, account: "schedule: \"@every 1s\"\nreconcile_deletes: \"off\"\n"})
	e.mustRun(exitOK, "migrate")
	// The run it waits for takes a while: one slow call.
	if err := e.sim.AddFault(keapsim.Fault{Kind: keapsim.FaultSlow, PathPrefix: "/v2/users", Probability: 1, Delay: 8 * time.Second}); err != nil {
		t.Fatal(err)
	}
	e.mustRun(exitOK, "sync", "--wait", "--no-eta", "--poll", "100ms", "--stream", "users")
	var scheduled int
	if err := e.pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) FROM %s WHERE trigger = 'schedule'`,
		pgx.Identifier{e.state, "sync_runs"}.Sanitize())).Scan(&scheduled); err != nil {
		t.Fatal(err)
	}
	if scheduled == 0 {
		t.Error("no scheduled run started while sync --wait was the only process (and so the leader)")
	}
}

// TestCheckpointReset_MovesTheMarkBackOrForgetsIt: ResetCheckpoint existed
// but nothing called it, so a wrong high-water mark had no fix short of SQL.
func TestCheckpointReset_MovesTheMarkBackOrForgetsIt(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 10})
	e.mustRun(exitOK, "migrate")
	e.mustRun(exitOK, "sync", "--wait", "--no-eta", "--poll", "100ms", "--stream", "tags")
	ctx := context.Background()
	mark := func() (time.Time, bool) {
		var at time.Time
		err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT high_water_time FROM %s WHERE account = 'acme' AND stream = 'tags'`,
			pgx.Identifier{e.state, "checkpoints"}.Sanitize())).Scan(&at)
		if errors.Is(err, pgx.ErrNoRows) {
			return time.Time{}, false
		}
		if err != nil {
			t.Fatal(err)
		}
		return at.UTC(), true
	}
	if at, ok := mark(); !ok || at.Before(time.Now().Add(-time.Hour)) {
		t.Fatalf("after a sync the mark is %v (%v)", at, ok)
	}
	r := e.mustRun(exitOK, "checkpoint", "reset", "--account", "acme", "--stream", "tags", "--to", "2020-01-01")
	if at, _ := mark(); !at.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) || !strings.Contains(r.stdout, "set to 2020-01-01T00:00:00Z") {
		t.Errorf("reset --to 2020-01-01: mark %v, output %q", at, r.stdout)
	}
	r = e.mustRun(exitOK, "checkpoint", "reset", "--account", "acme", "--stream", "tags")
	if _, ok := mark(); ok || !strings.Contains(r.stdout, "forgotten") {
		t.Errorf("reset without --to left the checkpoint, output %q", r.stdout)
	}
	for _, args := range [][]string{
		{"--account", "acme"},
		{"--account", "acme", "--stream", "nonsense"},
		{"--account", "nobody", "--stream", "tags"},
		{"--account", "acme", "--stream", "tags", "--to", "yesterday"},
		{"--account", "acme", "--stream", "tags", "--to", "2999-01-01"},
	} {
		if r := e.run(append([]string{"checkpoint", "reset"}, args...)...); r.code != exitUsage {
			t.Errorf("checkpoint reset %v: %v, want exit %d", args, r, exitUsage)
		}
	}
	// A running sync would write its own mark over the reset: refused.
	e.mustRun(exitOK, "sync", "--stream", "tags") // enqueued; no process works it
	r = e.mustRun(exitFailure, "checkpoint", "reset", "--account", "acme", "--stream", "tags", "--to", "2020-01-01")
	if !strings.Contains(r.stderr, "a sync of this stream is running") {
		t.Errorf("reset during a run: %v", r)
	}
}

// TestPauseResume_TheCommandsHoldAndReleaseAStream drives keapsync pause
// and resume and reads the result back from status.
func TestPauseResume_TheCommandsHoldAndReleaseAStream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 10})
	e.mustRun(exitOK, "migrate")
	state := func(stream string) string {
		r := e.mustRun(exitOK, "status", "--json")
		var st jobs.Status
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Accounts[0].Streams {
			if s.Stream == stream {
				return s.State
			}
		}
		return ""
	}
	r := e.mustRun(exitOK, "pause", "--account", "acme", "--stream", "contacts")
	if !strings.Contains(r.stdout, "Paused acme/contacts") || state("contacts") != jobs.StatePaused || state("tags") == jobs.StatePaused {
		t.Errorf("pause of a stream: %q; contacts %s, tags %s", r.stdout, state("contacts"), state("tags"))
	}
	e.mustRun(exitOK, "pause")
	if state("tags") != jobs.StatePaused {
		t.Errorf("pause of every account left tags %s", state("tags"))
	}
	r = e.mustRun(exitOK, "resume", "--account", "acme")
	if !strings.Contains(r.stdout, "Resumed account acme") || state("contacts") == jobs.StatePaused || state("tags") == jobs.StatePaused {
		t.Errorf("resume of the account: %q; contacts %s, tags %s", r.stdout, state("contacts"), state("tags"))
	}
	for _, args := range [][]string{{"pause", "--stream", "contacts"}, {"pause", "--account", "acme", "--stream", "nonsense"}, {"resume", "--account", "nobody"}} {
		if r := e.run(args...); r.code != exitUsage {
			t.Errorf("keapsync %v: %v, want exit %d", args, r, exitUsage)
		}
	}
}

// TestMigrate_PrintSQLIsWhatADBAApplies applies migrate --print-sql by
// hand to empty schemas: keapsync then finds them migrated and syncs, and
// printing again has no migration left.
func TestMigrate_PrintSQLIsWhatADBAApplies(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 10})
	r := e.mustRun(exitOK, "migrate", "--print-sql")
	if n := strings.Count(r.stdout, "\nBEGIN;\n"); n < 10 {
		t.Fatalf("the script has %d migrations:\n%.2000s", n, r.stdout)
	}
	ctx := context.Background()
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Conn().PgConn().Exec(ctx, r.stdout).ReadAll(); err != nil {
		t.Fatalf("applying the script: %v", err)
	}
	if r := e.mustRun(exitOK, "migrate"); !strings.Contains(r.stdout, "Already up to date") {
		t.Errorf("migrate after the script: %q", r.stdout)
	}
	// The same tables, columns, types and functions as migrate makes.
	byMigrate := newTestEnv(t, envOptions{contacts: 10})
	byMigrate.mustRun(exitOK, "migrate")
	shape := func(env *testEnv) string {
		var out []string
		for _, schema := range []string{env.data, env.state, env.river} {
			rows, err := e.pool.Query(ctx, `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
				FROM information_schema.columns WHERE table_schema = $1
				UNION ALL SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
				FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1
				UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`, schema)
			if err != nil {
				t.Fatal(err)
			}
			cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, strings.Join(cols, "\n"))
		}
		return strings.NewReplacer(env.data, "DATA", env.state, "STATE", env.river, "RIVER").Replace(strings.Join(out, "\n---\n"))
	}
	if got, want := shape(e), shape(byMigrate); got != want {
		t.Errorf("the script's schemas differ from migrate's:\nscript:\n%s\nmigrate:\n%s", got, want)
	}
	e.mustRun(exitOK, "sync", "--wait", "--no-eta", "--poll", "100ms", "--stream", "tags")
	if r := e.mustRun(exitOK, "migrate", "--print-sql"); strings.Contains(r.stdout, "BEGIN;") {
		t.Errorf("a migrated database still has migrations to print:\n%s", r.stdout)
	}
}
