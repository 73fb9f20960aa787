package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/cmd/keapsync/demo"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// demoDatabaseForTest names a database of the test's own on the test
// server, dropped when the test ends, and returns the environment that
// points the demo at that server.
func demoDatabaseForTest(t *testing.T) (name string, env map[string]string) {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name = "keapsync_demo_t_" + hex.EncodeToString(b)
	server := warehousetest.DatabaseURL()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return name, map[string]string{"DATABASE_URL": server}
}

// checkDemoOutput checks what every demo run must show.
func checkDemoOutput(t *testing.T, r result, database string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("demo: %v", r)
	}
	for _, want := range []string{
		"Database " + database + " migrated",
		"Simulated Keap: 1,500 contacts",
		"paused_quota",
		"daily quota spent: resumes",
		fmt.Sprintf("%[1]d of %[1]d runs succeeded", len(keap.Streams)),
		"Rows per table (database " + database + ", schema keap):",
		"  contacts ",
		"Try these in psql",
		"FROM keap.freshness",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, r.stdout)
		}
	}
	if m := regexp.MustCompile(`contacts +1,500\n`).FindString(r.stdout); m == "" {
		t.Errorf("the demo did not land 1,500 contacts:\n%s", r.stdout)
	}
	// Keap's daily quota is never overrun: the sync pauses before. (A
	// spike-arrest 429 can happen on a starved machine, when two requests
	// sent apart arrive together; it is retried.)
	if !strings.Contains(r.stdout, "0 rejected by Keap's limits") && !strings.Contains(r.stdout, "day 0: retried") {
		t.Errorf("the demo overran the daily quota:\n%s", r.stdout)
	}
	if m := regexp.MustCompile(`paused (\d+) time`).FindStringSubmatch(r.stdout); m == nil || m[1] == "0" {
		t.Errorf("the demo never paused for the daily quota:\n%s", r.stdout)
	}
	if n := strings.Count(r.stdout, "psql \""); n != 4 {
		t.Errorf("%d psql commands, want the connection and three queries", n)
	}
}

// TestDemo_SyncsThroughTheDailyCapAndEndsWithASummary runs the demo with a
// DATABASE_URL whose ?dbname= names another database (pgx lets it win over
// the path): that database, with a keap schema of its own, must survive
// the demo's fresh start untouched.
func TestDemo_SyncsThroughTheDailyCapAndEndsWithASummary(t *testing.T) {
	t.Parallel()
	db, env := demoDatabaseForTest(t)
	victim, _ := demoDatabaseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	victimURL := createDatabaseForTest(t, ctx, victim)
	vconn, err := pgx.Connect(ctx, victimURL)
	if err != nil {
		t.Fatal(err)
	}
	defer vconn.Close(context.Background())
	if _, err := vconn.Exec(ctx, "CREATE SCHEMA keap; CREATE TABLE keap.precious (id int); INSERT INTO keap.precious VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(warehousetest.DatabaseURL())
	q := u.Query()
	q.Set("dbname", victim)
	u.RawQuery = q.Encode()
	env["DATABASE_URL"] = u.String()

	start := time.Now()
	r := runCLI(ctx, env, "demo", "--contacts", "1500", "--day", "3s", "--database", db)
	checkDemoOutput(t, r, db)
	t.Logf("demo of 1,500 contacts took %v", time.Since(start).Round(time.Millisecond))
	var n int
	if err := vconn.QueryRow(ctx, "SELECT count(*) FROM keap.precious").Scan(&n); err != nil || n != 1 {
		t.Errorf("the database named by ?dbname= lost its keap schema: %d rows, %v", n, err)
	}
	m := regexp.MustCompile(`psql "([^"]+)"`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no psql command:\n%s", r.stdout)
	}
	if pc, err := pgx.ParseConfig(m[1]); err != nil || pc.Database != db {
		t.Errorf("the psql command %s does not name the demo's database %s: %v", m[1], db, err)
	}
	checkAnalystQueries(t, ctx, m[1])
}

// checkAnalystQueries runs every example query of the README's section for
// analysts on the demo's warehouse: each must run, and each must find rows
// (the demo's tenant has every stream).
func checkAnalystQueries(t *testing.T, ctx context.Context, dbURL string) {
	t.Helper()
	section := readRepoFile(t, "README.md")
	section = section[strings.Index(section, "## The warehouse, for analysts"):]
	start := strings.Index(section, "```sql\n") + len("```sql\n")
	block := section[start : start+strings.Index(section[start:], "```")]
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ran int
	for _, q := range strings.Split(block, ";\n") {
		if strings.TrimSpace(q) == "" {
			continue
		}
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Errorf("README query fails: %v\n%s", err, q)
			continue
		}
		var n int
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("README query fails: %v\n%s", err, q)
		}
		if n == 0 {
			t.Errorf("README query finds no row in the demo's warehouse:\n%s", q)
		}
		ran++
	}
	if ran < 7 {
		t.Errorf("%d README queries ran, want every one of the section's block", ran)
	}
}

// createDatabaseForTest creates the database name on the test server and
// returns its URL.
func createDatabaseForTest(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, warehousetest.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(warehousetest.DatabaseURL())
	u.Path = "/" + name
	return u.String()
}

func TestDemo_APrivateClusterIsStartedAndRemoved(t *testing.T) {
	t.Parallel()
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "keapsync-demo-pg-*"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := runCLI(ctx, nil, "demo", "--private-cluster", "--contacts", "1500", "--day", "3s")
	if !strings.Contains(r.stdout, "starting a private PostgreSQL cluster") ||
		!strings.Contains(r.stdout, "The private PostgreSQL cluster is removed when the demo exits.") {
		t.Errorf("the demo does not say it uses a private cluster:\n%s", r.stdout)
	}
	checkDemoOutput(t, r, demo.DefaultDatabase)
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "keapsync-demo-pg-*"))
	if len(after) > len(before) {
		t.Errorf("the private cluster's directory is left behind: %v (before: %v)", after, before)
	}
}

func TestDemo_NoPostgreSQLIsOneLineNamingTheFix(t *testing.T) {
	t.Parallel()
	r := runCLI(context.Background(), map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/postgres"}, "demo")
	want := "keapsync: demo: no PostgreSQL answers at 127.0.0.1:1 (from $DATABASE_URL): start it, or unset DATABASE_URL to use the local one\n"
	if r.code != exitFailure || r.stderr != want {
		t.Errorf("want exit 1 and %q, got %v", want, r)
	}

}
