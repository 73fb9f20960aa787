package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/internal/syncbuf"
	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/keap/keaptest"
	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// env is a pipeline on freshly migrated schemas, syncing simulated
// accounts over real HTTP.
type env struct {
	t    testing.TB
	pool *pgxpool.Pool
	mig  jobs.MigrateConfig
	sims map[string]*keapsim.Server
	// fakes are the accounts whose simulator runs in a process of its own
	// (testAccount.fake).
	fakes map[string]*keaptest.Fake
	// workerBin is the worker processes' binary (workerBinary).
	workerBin string
	cfg       jobs.Config
	p         *jobs.Pipeline
	logs      *syncbuf.Buffer
	wh        *warehouse.Warehouse
}

// testPageSize is the records per page the tests read.
const testPageSize = 100

// testAccount describes one simulated account of an env.
type testAccount struct {
	name string
	sim  keapsim.Options
	// fake runs the simulator in a process of its own, at a higher
	// priority than the test and its workers (keaptest.StartFake): for
	// tests that measure pacing, whose arrivals must be timestamped by a
	// simulator the machine does not starve.
	fake  bool
	quota keap.QuotaConfig
	mod   func(*jobs.Account)
}

// unthrottled makes both the simulator and the client ignore quotas, for
// tests about data rather than pacing.
func unthrottled(name string, contacts int) testAccount {
	return testAccount{
		name:  name,
		sim:   keapsim.Options{Contacts: contacts, PerSecond: -1, PerMinute: -1, PerDay: -1, TenantPerMinute: -1},
		quota: keap.QuotaConfig{PerSecond: -1, PerMinute: -1, PerDay: -1},
	}
}

func setup(t testing.TB, accounts []testAccount, mod func(*jobs.Config)) *env {
	t.Helper()
	// Four workers per account, River's listener and a spare: the tests
	// share the database's 100 connections. Benchmarks run alone and get
	// more, for their wider pools of workers.
	conns := int32(min(4*len(accounts)+4, 20))
	if _, bench := t.(*testing.B); bench {
		conns = 20
	}
	pool := warehousetest.NewPool(t, conns)
	data, state, river := warehousetest.Schemas(t, pool)
	e := &env{t: t, pool: pool, sims: map[string]*keapsim.Server{}, fakes: map[string]*keaptest.Fake{}, logs: &syncbuf.Buffer{},
		mig: jobs.MigrateConfig{DataSchema: data, StateSchema: state, RiverSchema: river}}
	if _, err := jobs.Migrate(context.Background(), pool, e.mig); err != nil {
		t.Fatal(err)
	}
	e.cfg = jobs.Config{
		Pool: pool, DataSchema: data, StateSchema: state, RiverSchema: river,
		Workers:      4,
		PollInterval: 100 * time.Millisecond,
		// Small pages: many pages from small tenants, cheap under -race.
		PageSize: testPageSize,
		Logger:   slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Retry:    jobs.RetryConfig{BaseDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond},
	}
	for _, ta := range accounts {
		var url, key string
		if ta.fake {
			f := keaptest.StartFake(t, ta.sim)
			e.fakes[ta.name] = f
			url, key = f.URL(), f.APIKey()
		} else {
			sim := keapsim.New(t, ta.sim)
			e.sims[ta.name] = sim
			url, key = sim.URL(), sim.APIKey()
		}
		acct := jobs.Account{Name: ta.name, Keap: keap.Config{
			BaseURL: url, Credential: keap.NewAPIKey(key), Quota: ta.quota,
			Retry: keap.RetryConfig{BaseDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond},
		}}
		if ta.mod != nil {
			ta.mod(&acct)
		}
		e.cfg.Accounts = append(e.cfg.Accounts, acct)
	}
	if mod != nil {
		mod(&e.cfg)
	}
	p, err := jobs.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p = p
	e.wh = p.WarehouseOf()
	t.Cleanup(func() {
		if (t.Failed() || os.Getenv("KEAPSYNC_TEST_LOGS") == "all") && os.Getenv("KEAPSYNC_TEST_LOGS") != "" {
			t.Logf("pipeline logs:\n%s", e.logs.String())
		}
	})
	return e
}

// start works jobs until the test ends.
func (e *env) start() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.p.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer stopCancel()
		if err := e.p.Stop(stopCtx); err != nil {
			e.t.Errorf("stop: %v", err)
		}
		cancel()
	})
}

// sync starts runs and waits until they end, failing the test unless every
// run succeeded.
func (e *env) sync(req jobs.SyncRequest, timeout time.Duration) []jobs.Run {
	e.t.Helper()
	runs := e.syncNoCheck(req, timeout)
	for _, r := range runs {
		if r.Status != warehouse.RunSucceeded {
			e.t.Fatalf("run %d (%s %s) ended %s: %s", r.ID, r.Account, r.Stream, r.Status, r.LastError)
		}
	}
	return runs
}

func (e *env) syncNoCheck(req jobs.SyncRequest, timeout time.Duration) []jobs.Run {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	runs, err := e.p.Sync(ctx, req)
	if err != nil {
		e.t.Fatal(err)
	}
	final, err := e.p.Wait(ctx, runs, 100*time.Millisecond, nil)
	if err != nil {
		e.t.Fatalf("waiting for runs: %v; runs: %+v", err, final)
	}
	return final
}

// assertMatchesTruth checks that every stream of account in the warehouse
// equals the simulator's live records: the same ids live (the rest soft
// deleted), each with the same raw record, and the live rows' count agrees.
func (e *env) assertMatchesTruth(account string, streams ...string) {
	e.t.Helper()
	ctx := context.Background()
	for _, s := range keap.Streams {
		if s.CustomFieldsOf != "" || (len(streams) > 0 && !contains(streams, s.Name)) { // models: no truth table
			continue
		}
		truth, err := e.records(account, s.Name, streamFields(s))
		if err != nil {
			e.t.Fatalf("truth of %s: %v", s.Name, err)
		}
		want := make(map[int64]json.RawMessage, len(truth))
		for _, r := range truth {
			want[r.ID] = r.Raw
		}
		rows, err := e.pool.Query(ctx, fmt.Sprintf(`SELECT id, raw::text FROM %s WHERE account = $1 AND _deleted_at IS NULL`,
			pgx.Identifier{e.mig.DataSchema, s.Name}.Sanitize()), account)
		if err != nil {
			e.t.Fatal(err)
		}
		got := map[int64]string{}
		var (
			id  int64
			raw string
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &raw}, func() error { got[id] = raw; return nil })
		if err != nil {
			e.t.Fatal(err)
		}
		var missing, extra, differ []int64
		for id, w := range want {
			g, ok := got[id]
			switch {
			case !ok:
				missing = append(missing, id)
			case !jsonEqual(g, string(w)):
				differ = append(differ, id)
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				extra = append(extra, id)
			}
		}
		if len(missing)+len(extra)+len(differ) > 0 {
			e.t.Errorf("%s/%s: %d live in Keap, %d in the warehouse; missing %v, extra %v, different %v",
				account, s.Name, len(want), len(got), head(missing), head(extra), head(differ))
		}
		// The count status reads, kept by triggers, is the live rows'.
		if n, err := e.wh.LiveRows(ctx, e.pool, s.Name, account); err != nil || n != int64(len(got)) {
			e.t.Errorf("%s/%s: live row count %d (%v), %d rows live", account, s.Name, n, err, len(got))
		}
	}
}

// records is the simulator's truth of an account's stream, in-process or
// in its own process.
func (e *env) records(account, stream string, fields []string) ([]keapsim.TruthRecord, error) {
	if f := e.fakes[account]; f != nil {
		return f.Records(stream, fields)
	}
	return e.sims[account].Records(stream, fields)
}

// stats is the accounting of an account's simulator.
func (e *env) stats(account string) keapsim.Stats {
	e.t.Helper()
	if f := e.fakes[account]; f != nil {
		st, err := f.Stats()
		if err != nil {
			e.t.Fatalf("stats of %s: %v\n%s", account, err, f.Output())
		}
		return st
	}
	return e.sims[account].Stats()
}

// arrivals is when each request an account's simulator accepted arrived.
func (e *env) arrivals(account string) []time.Time {
	e.t.Helper()
	if f := e.fakes[account]; f != nil {
		ts, err := f.Arrivals()
		if err != nil {
			e.t.Fatalf("arrivals of %s: %v", account, err)
		}
		return ts
	}
	return e.sims[account].Arrivals()
}

// url is the base URL of an account's simulator.
func (e *env) url(account string) string {
	if f := e.fakes[account]; f != nil {
		return f.URL()
	}
	return e.sims[account].URL()
}

// apiKey is the key an account's simulator accepts.
func (e *env) apiKey(account string) string {
	if f := e.fakes[account]; f != nil {
		return f.APIKey()
	}
	return e.sims[account].APIKey()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func head(ids []int64) []int64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > 10 {
		return ids[:10]
	}
	return ids
}

func jsonEqual(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// streamFields is what keapsync asks of a stream, as the simulator's
// Records takes it: the catalogue's fields, or the defaults. (The
// internal tests' simFields is the same; this package cannot reach it.)
func streamFields(s keap.Stream) []string {
	switch {
	case s.Version == keap.V1 && len(s.OptionalProperties) > 0:
		return s.OptionalProperties
	case len(s.Fields) > 0:
		return s.Fields
	}
	return []string{}
}
