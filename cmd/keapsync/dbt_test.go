package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/migrations"
)

var updateDBT = flag.Bool("update-dbt", false, "rewrite docs/dbt/sources.yml from the migrations")

// dbtSourcesPath is the dbt sources file, generated from the migrations.
const dbtSourcesPath = "docs/dbt/sources.yml"

// The dbt sources file, as dbt reads it (version 2 properties).
type (
	dbtFile struct {
		Version int         `yaml:"version"`
		Sources []dbtSource `yaml:"sources"`
	}
	dbtSource struct {
		Name          string       `yaml:"name"`
		Description   string       `yaml:"description"`
		Schema        string       `yaml:"schema"`
		LoadedAtField string       `yaml:"loaded_at_field"`
		Freshness     dbtFreshness `yaml:"freshness"`
		Tables        []dbtTable   `yaml:"tables"`
	}
	dbtFreshness struct {
		WarnAfter  dbtPeriod `yaml:"warn_after"`
		ErrorAfter dbtPeriod `yaml:"error_after"`
	}
	dbtPeriod struct {
		Count  int    `yaml:"count"`
		Period string `yaml:"period"`
	}
	dbtTable struct {
		Name        string        `yaml:"name"`
		Description string        `yaml:"description"`
		Freshness   *dbtFreshness `yaml:"freshness"` // nil (null) for views: no _synced_at
		Tests       []any         `yaml:"data_tests,omitempty"`
		Columns     []dbtColumn   `yaml:"columns"`
	}
	dbtColumn struct {
		Name        string   `yaml:"name"`
		Description string   `yaml:"description,omitempty"`
		Tests       []string `yaml:"data_tests,omitempty"`
	}
)

// TestDBT_SourcesMatchTheMigrations checks docs/dbt/sources.yml against
// freshly migrated schemas: every table and view of the analysts' schema
// with its comments, a uniqueness test on each table's primary key and
// not_null on its columns, and freshness on _synced_at (nightly syncs:
// warn after 36 hours, error after 72). -update-dbt rewrites it.
func TestDBT_SourcesMatchTheMigrations(t *testing.T) {
	t.Parallel()
	pool, data, _ := migratedSchemas(t)
	ctx := context.Background()
	type col struct{ table, kind, tableComment, name, comment string }
	rows, err := pool.Query(ctx, `SELECT c.relname, c.relkind::text, coalesce(obj_description(c.oid, 'pg_class'), ''),
			a.attname, coalesce(col_description(c.oid, a.attnum), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'v')
		ORDER BY c.relkind, c.relname, a.attnum`, data)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
		var c col
		err := r.Scan(&c.table, &c.kind, &c.tableComment, &c.name, &c.comment)
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	rows, err = pool.Query(ctx, `SELECT c.relname, a.attname FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ON true
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
		WHERE n.nspname = $1 AND i.indisprimary ORDER BY c.relname, k.ord`, data)
	if err != nil {
		t.Fatal(err)
	}
	var table, column string
	if _, err := pgx.ForEachRow(rows, []any{&table, &column}, func() error { keys[table] = append(keys[table], column); return nil }); err != nil {
		t.Fatal(err)
	}

	fresh := dbtFreshness{WarnAfter: dbtPeriod{36, "hour"}, ErrorAfter: dbtPeriod{72, "hour"}}
	src := dbtSource{Name: "keap", Schema: migrations.DefaultDataSchema, LoadedAtField: "_synced_at", Freshness: fresh,
		Description: "Keap CRM, copied by keapsync (one row per record per account; soft-deleted rows have _deleted_at set)."}
	for _, c := range cols {
		if n := len(src.Tables); n == 0 || src.Tables[n-1].Name != c.table {
			tb := dbtTable{Name: c.table, Description: c.tableComment}
			if pk := keys[c.table]; len(pk) > 0 {
				tb.Tests = []any{map[string]any{"dbt_utils.unique_combination_of_columns": map[string]any{"combination_of_columns": pk}}}
			}
			src.Tables = append(src.Tables, tb)
		}
		tb := &src.Tables[len(src.Tables)-1]
		if c.name == "_synced_at" {
			tb.Freshness = &fresh
		}
		dc := dbtColumn{Name: c.name, Description: c.comment}
		for _, k := range keys[c.table] {
			if k == c.name {
				dc.Tests = []string{"not_null"}
			}
		}
		tb.Columns = append(tb.Columns, dc)
	}
	out, err := yaml.Marshal(dbtFile{Version: 2, Sources: []dbtSource{src}})
	if err != nil {
		t.Fatal(err)
	}
	want := "# Generated from keapsync's migrations: go test ./cmd/keapsync -run TestDBT_Sources -update-dbt\n" +
		"# The uniqueness tests need the dbt_utils package; the schema is keapsync's default data_schema.\n" + string(out)
	path := filepath.Join(repoRoot, dbtSourcesPath)
	got, _ := os.ReadFile(path)
	if string(got) == want {
		return
	}
	if *updateDBT {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is stale: run go test ./cmd/keapsync -run TestDBT_Sources -update-dbt", dbtSourcesPath)
}
