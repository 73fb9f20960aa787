package migrations_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/migrations"
)

type bundle struct {
	pool *pgxpool.Pool
	cfg  migrations.Config
}

// setup connects to the test database and names two fresh schemas, dropped
// when the test ends.
func setup(t *testing.T) bundle {
	t.Helper()
	url := os.Getenv("KEAPSYNC_TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	cfg := migrations.Config{
		DataSchema:  "t_" + hex.EncodeToString(suffix) + "_data",
		StateSchema: "t_" + hex.EncodeToString(suffix) + "_state",
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, s := range []string{cfg.DataSchema, cfg.StateSchema} {
			if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", s, err)
			}
		}
		pool.Close()
	})
	return bundle{pool: pool, cfg: cfg}
}

// migrationNames returns the names of the embedded migration files.
func migrationNames(t *testing.T) []string {
	t.Helper()
	fsys, err := migrations.FS(migrations.Config{})
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	return names
}

func latestVersion(t *testing.T) int64 {
	t.Helper()
	var latest int64
	for _, name := range migrationNames(t) {
		v, err := strconv.ParseInt(name[:strings.IndexByte(name, '_')], 10, 64)
		if err != nil {
			t.Fatalf("migration %s has no version number: %v", name, err)
		}
		latest = max(latest, v)
	}
	return latest
}

func migrationCount(t *testing.T) int { return len(migrationNames(t)) }

func tableCount(t *testing.T, b bundle, schema string) int {
	t.Helper()
	var n int
	err := b.pool.QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", schema).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUp_FromEmptyCreatesEverySchemaObject(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	res, err := migrations.Up(ctx, b.pool, b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := latestVersion(t)
	if res.Version != want || len(res.Applied) != migrationCount(t) {
		t.Fatalf("Up = %+v, want version %d with %d applied", res, want, want)
	}
	// Tables and views land in the configured schemas, not in the defaults.
	if n := tableCount(t, b, b.cfg.DataSchema); n < 20 {
		t.Errorf("data schema has %d tables and views, want at least 20", n)
	}
	for _, name := range []string{"checkpoints", "sync_runs", "quota_ledger", "goose_db_version"} {
		var exists bool
		err := b.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", b.cfg.StateSchema+"."+name).Scan(&exists)
		if err != nil || !exists {
			t.Errorf("state table %s missing (err %v)", name, err)
		}
	}
	for _, view := range []string{"freshness", "contacts_custom", "custom_fields"} {
		var exists bool
		err := b.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", b.cfg.DataSchema+"."+view).Scan(&exists)
		if err != nil || !exists {
			t.Errorf("view %s missing (err %v)", view, err)
		}
	}
}

func TestUp_TwiceAppliesNothingTheSecondTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	if _, err := migrations.Up(ctx, b.pool, b.cfg); err != nil {
		t.Fatal(err)
	}
	tables := tableCount(t, b, b.cfg.DataSchema)
	res, err := migrations.Up(ctx, b.pool, b.cfg)
	if err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if len(res.Applied) != 0 || res.Version != latestVersion(t) {
		t.Fatalf("second Up = %+v, want nothing applied at version %d", res, latestVersion(t))
	}
	if n := tableCount(t, b, b.cfg.DataSchema); n != tables {
		t.Errorf("second Up changed the table count from %d to %d", tables, n)
	}
}

func TestUp_ConcurrentRunsApplyEachMigrationOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	const runs = 3
	var wg sync.WaitGroup
	results := make([]migrations.Result, runs)
	errs := make([]error, runs)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = migrations.Up(ctx, b.pool, b.cfg)
		}()
	}
	wg.Wait()
	applied := 0
	for i := range runs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		applied += len(results[i].Applied)
		if results[i].Version != latestVersion(t) {
			t.Errorf("run %d ended at version %d, want %d", i, results[i].Version, latestVersion(t))
		}
	}
	if applied != migrationCount(t) {
		t.Errorf("the runs applied %d migrations in total, want each of %d once", applied, migrationCount(t))
	}
	var rows int
	if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM "+b.cfg.StateSchema+".goose_db_version WHERE version_id > 0").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != migrationCount(t) {
		t.Errorf("goose recorded %d versions, want %d", rows, migrationCount(t))
	}
}

func TestUp_RejectsSchemaNamesNeedingQuotes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, name := range []string{"Keap", "a-b", "x; DROP TABLE y", "1abc", strings.Repeat("a", 64)} {
		_, err := migrations.Up(context.Background(), b.pool, migrations.Config{DataSchema: name, StateSchema: b.cfg.StateSchema})
		if !errors.Is(err, migrations.ErrInvalidSchemaName) {
			t.Errorf("DataSchema %q: err = %v, want ErrInvalidSchemaName", name, err)
		}
	}
}

func TestFS_RendersEveryTemplate(t *testing.T) {
	t.Parallel()
	fsys, err := migrations.FS(migrations.Config{DataSchema: "d1", StateSchema: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	names, _ := fs.Glob(fsys, "*.sql")
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		// Only header comments may mention templates, and never as a
		// template that renders.
		for i, line := range strings.Split(string(body), "\n") {
			if strings.Contains(line, "TEMPLATE") && !strings.HasPrefix(strings.TrimSpace(line), "--") {
				t.Errorf("%s:%d keeps a template: %s", name, i+1, line)
			}
		}
		if !strings.Contains(string(body), `"s1"`) && !strings.Contains(string(body), `"d1"`) {
			t.Errorf("%s names neither configured schema", name)
		}
	}
}

func TestRender_Templates(t *testing.T) {
	t.Parallel()
	cfg := migrations.Config{DataSchema: "d1", StateSchema: "s_2"}
	tests := []struct{ in, want string }{
		{"SELECT * FROM /* TEMPLATE: data */contacts", `SELECT * FROM "d1".contacts`},
		{"CREATE SCHEMA /* TEMPLATE_NAME: state */keapsync;", `CREATE SCHEMA "s_2";`},
		{"format('%I', /* TEMPLATE_LITERAL: data */'keap')", `format('%I', 'd1')`},
		{"/* TEMPLATE: state */quota_reserve($1)", `"s_2".quota_reserve($1)`},
		{"-- no template here: /* TEMPLATE: other */x", "-- no template here: /* TEMPLATE: other */x"},
	}
	for _, tt := range tests {
		if got := migrations.Render(tt.in, cfg); got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSource_ServesTheFilesAsWrittenWithTheirTemplates(t *testing.T) {
	t.Parallel()
	rendered, err := migrations.FS(migrations.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fs.Glob(rendered, "*.sql")
	got, _ := fs.Glob(migrations.Source(), "*.sql")
	if strings.Join(got, ",") != strings.Join(want, ",") || len(got) == 0 {
		t.Fatalf("Source lists %v, FS lists %v", got, want)
	}
	for _, name := range got {
		body, err := fs.ReadFile(migrations.Source(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "/* TEMPLATE") {
			t.Errorf("%s has no template: rendered, not as written", name)
		}
	}
}
