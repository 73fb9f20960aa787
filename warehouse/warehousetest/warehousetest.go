// Package warehousetest gives tests a real Postgres to work in: a pool on the
// test database and freshly migrated schemas of their own, dropped when the
// test ends.
package warehousetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/migrations"
	"github.com/keapsync/keapsync/warehouse"
)

// DefaultDatabaseURL is the test database unless KEAPSYNC_TEST_DATABASE_URL
// names another.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// DatabaseURL returns the test database's URL.
func DatabaseURL() string {
	if url := os.Getenv("KEAPSYNC_TEST_DATABASE_URL"); url != "" {
		return url
	}
	return DefaultDatabaseURL
}

// NewPool returns a pool of at most maxConns connections on the test
// database, closed when the test ends. Connections idle for a second are
// closed: the tests running at once share the server's 100.
func NewPool(tb testing.TB, maxConns int32) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(DatabaseURL())
	if err != nil {
		tb.Fatalf("warehousetest: parse database URL: %v", err)
	}
	cfg.MaxConns = maxConns
	cfg.MaxConnIdleTime, cfg.HealthCheckPeriod = time.Second, 500*time.Millisecond
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("warehousetest: connect: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// Schemas returns random names for a data, a state and a River schema, and
// drops those schemas (if created) when the test ends.
func Schemas(tb testing.TB, pool *pgxpool.Pool) (data, state, river string) {
	tb.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	prefix := "t_" + hex.EncodeToString(b)
	data, state, river = prefix+"_keap", prefix+"_keapsync", prefix+"_river"
	tb.Cleanup(func() {
		for _, s := range []string{data, state, river} {
			_, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{s}.Sanitize()+" CASCADE")
			if err != nil {
				tb.Errorf("warehousetest: drop schema %s: %v", s, err)
			}
		}
	})
	return data, state, river
}

// Bundle is a migrated warehouse in schemas of its own.
type Bundle struct {
	Pool      *pgxpool.Pool
	Warehouse *warehouse.Warehouse
	Config    warehouse.Config
}

// New migrates fresh schemas on a pool of maxConns connections and returns
// a Warehouse on them.
func New(tb testing.TB, maxConns int32) Bundle {
	tb.Helper()
	return NewOn(tb, NewPool(tb, maxConns))
}

// NewOn migrates fresh schemas through pool, which tb's tests may share:
// many small warehouses without a connection each.
func NewOn(tb testing.TB, pool *pgxpool.Pool) Bundle {
	tb.Helper()
	data, state, _ := Schemas(tb, pool)
	if _, err := migrations.Up(context.Background(), pool, migrations.Config{DataSchema: data, StateSchema: state}); err != nil {
		tb.Fatalf("warehousetest: migrate: %v", err)
	}
	cfg := warehouse.Config{DataSchema: data, StateSchema: state}
	w, err := warehouse.New(cfg)
	if err != nil {
		tb.Fatalf("warehousetest: %v", err)
	}
	return Bundle{Pool: pool, Warehouse: w, Config: cfg}
}

// DumpSchemas returns every row of every table in schemas (River's job
// table with its args, errors and metadata, if its schema is among them) as
// text, for tests that search the whole database for what must not be
// there. It fails tb when it finds fewer than minTables tables, so a wrong
// schema name cannot make the search vacuous.
func DumpSchemas(tb testing.TB, pool *pgxpool.Pool, minTables int, schemas ...string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rows, err := pool.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'`, schemas)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []pgx.Identifier
	var schema, name string
	if _, err := pgx.ForEachRow(rows, []any{&schema, &name}, func() error {
		tables = append(tables, pgx.Identifier{schema, name})
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	if len(tables) < minTables {
		tb.Fatalf("found only %d tables to search in %v", len(tables), schemas)
	}
	var b strings.Builder
	for _, tbl := range tables {
		var dump *string
		if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT string_agg(r::text, E'\n') FROM %s r`, tbl.Sanitize())).Scan(&dump); err != nil {
			tb.Fatal(err)
		}
		if dump != nil {
			b.WriteString(*dump)
		}
	}
	return b.String()
}
