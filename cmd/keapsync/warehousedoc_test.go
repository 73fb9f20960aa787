package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

const (
	generatedBegin = "<!-- BEGIN generated: warehouse reference (go test ./cmd/keapsync -run TestREADME_WarehouseReference -update-readme) -->"
	generatedEnd   = "<!-- END generated: warehouse reference -->"
)

// TestREADME_WarehouseReferenceMatchesTheMigrations checks the README's
// table reference against the comments of freshly migrated schemas (the
// migrations are the one source of table shapes); -update-readme rewrites it.
func TestREADME_WarehouseReferenceMatchesTheMigrations(t *testing.T) {
	t.Parallel()
	pool, data, state := migratedSchemas(t)
	ctx := context.Background()
	want, err := warehouseReference(ctx, pool, data, state)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(repoRoot, "README.md")
	readme := readRepoFile(t, "README.md")
	begin, end := strings.Index(readme, generatedBegin), strings.Index(readme, generatedEnd)
	if begin < 0 || end < begin {
		t.Fatalf("the README has no generated warehouse reference between %q and %q", generatedBegin, generatedEnd)
	}
	got := readme[begin+len(generatedBegin) : end]
	if got == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(path, []byte(readme[:begin+len(generatedBegin)]+want+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the README's warehouse reference is stale: run go test ./cmd/keapsync -run TestREADME_WarehouseReference -update-readme")
}

// migratedSchemas returns a pool on freshly migrated schemas of the
// test's own, and their data and state schema names: the one source of
// the generated documents' table shapes.
func migratedSchemas(t *testing.T) (pool *pgxpool.Pool, data, state string) {
	t.Helper()
	pool = warehousetest.NewPool(t, 4)
	data, state, river := warehousetest.Schemas(t, pool)
	if _, err := jobs.Migrate(context.Background(), pool, jobs.MigrateConfig{DataSchema: data, StateSchema: state, RiverSchema: river}); err != nil {
		t.Fatal(err)
	}
	return pool, data, state
}

// commonColumns are documented once, not under every table.
var commonColumns = []string{"account", "id", "position", "raw", "_problems", "_hash", "_synced_at", "_sync_run_id", "_deleted_at"}

// warehouseReference renders the tables and views of the data schema,
// and the state tables, with their columns, types and comments.
func warehouseReference(ctx context.Context, pool *pgxpool.Pool, data, state string) (string, error) {
	type column struct{ name, typ, comment string }
	type relation struct {
		name, kind, comment string
		columns             []column
	}
	load := func(schema string) ([]relation, error) {
		rows, err := pool.Query(ctx, `SELECT c.relname, c.relkind::text, coalesce(obj_description(c.oid, 'pg_class'), ''),
				a.attname, format_type(a.atttypid, a.atttypmod), coalesce(col_description(c.oid, a.attnum), '')
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			WHERE n.nspname = $1 AND c.relkind IN ('r', 'v') AND c.relname <> 'goose_db_version'
			ORDER BY c.relkind, CASE WHEN c.relkind = 'r' THEN c.oid::bigint END, c.relname, a.attnum`, schema)
		if err != nil {
			return nil, err
		}
		var rels []relation
		var rel, kind, comment, col, typ, colComment string
		_, err = pgx.ForEachRow(rows, []any{&rel, &kind, &comment, &col, &typ, &colComment}, func() error {
			if len(rels) == 0 || rels[len(rels)-1].name != rel {
				rels = append(rels, relation{name: rel, kind: kind, comment: comment})
			}
			r := &rels[len(rels)-1]
			r.columns = append(r.columns, column{col, typ, colComment})
			return nil
		})
		return rels, err
	}
	dataRels, err := load(data)
	if err != nil {
		return "", err
	}
	stateRels, err := load(state)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	common := map[string]string{}
	for _, r := range dataRels {
		for _, c := range r.columns {
			if slices.Contains(commonColumns, c.name) && common[c.name] == "" && c.comment != "" {
				common[c.name] = c.comment
			}
		}
	}
	b.WriteString("\n\nColumns most tables share (documented once here):\n\n| column | meaning |\n|---|---|\n")
	for _, name := range commonColumns {
		fmt.Fprintf(&b, "| `%s` | %s |\n", name, cell(common[name]))
	}
	write := func(schema string, rels []relation, skipCommon bool) {
		for _, r := range rels {
			what := "table"
			if r.kind == "v" {
				what = "view"
			}
			fmt.Fprintf(&b, "\n#### %s.%s (%s)\n\n%s\n", schema, r.name, what, cell(r.comment))
			if strings.HasSuffix(r.name, "_custom") && r.kind == "v" {
				b.WriteString("\nColumns: `account`, `id`, `_deleted_at`, then one typed column per custom field, named after the field (see Custom fields above).\n")
				continue
			}
			b.WriteString("\n| column | type | meaning |\n|---|---|---|\n")
			for _, c := range r.columns {
				if skipCommon && slices.Contains(commonColumns, c.name) && c.comment == common[c.name] {
					continue
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.name, c.typ, cell(c.comment))
			}
		}
	}
	b.WriteString("\n### Schema keap: the analysts' tables and views\n")
	write("keap", dataRels, true)
	b.WriteString("\n### Schema keapsync: keapsync's own state\n\nRead it freely; change it only through keapsync.\n")
	write("keapsync", stateRels, false)
	b.WriteString("\n")
	return b.String(), nil
}
