package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// TestWithDatabase_NothingNamesAnotherDatabase checks every way a
// connection string can name a database: the demo's replaces them all, or
// is refused.
func TestWithDatabase_NothingNamesAnotherDatabase(t *testing.T) {
	for _, in := range []string{
		"postgres://u@h/postgres",
		"postgres://u@h/postgres?dbname=victim",
		"postgres://u@h/postgres?database=victim&sslmode=disable",
		"postgresql://u@h?dbname=victim&dbname=other",
		"postgres://u@h/vic%74im",
		"host=h user=u dbname=victim",
		"host=h user=u",
	} {
		out, err := withDatabase(in, "keapsync_demo")
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		pc, err := pgx.ParseConfig(out)
		if err != nil || pc.Database != "keapsync_demo" {
			t.Errorf("%s -> %s: database %q, %v", in, out, pc.Database, err)
		}
	}
	if _, err := withDatabase("not a url", "keapsync_demo"); err == nil {
		t.Error("a string that is no connection string was accepted")
	}
}

// TestDatabaseError_NoPostgreSQLNamesTheSetUpScript: without
// $DATABASE_URL, the fix for a server that does not answer is the set-up
// script (the command's test covers the message with $DATABASE_URL).
func TestDatabaseError_NoPostgreSQLNamesTheSetUpScript(t *testing.T) {
	t.Parallel()
	// Without $DATABASE_URL the fix is the set-up script.
	ctx := context.Background()
	_, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:1/postgres?connect_timeout=5")
	if err == nil {
		t.Fatal("something answers on port 1")
	}
	msg := demoDatabaseError(err, "postgres://postgres@127.0.0.1:1/postgres", false, DefaultDatabase).Error()
	if msg != "demo: no PostgreSQL answers at 127.0.0.1:1: run bash .ci/postgres (it installs and starts one), or set DATABASE_URL" {
		t.Errorf("%q", msg)
	}
}

func TestDemo_AServerAskingForAPasswordMeansAPrivateCluster(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "28P01", Message: "password authentication failed for user \"postgres\""}, true},
		{&pgconn.PgError{Code: "28000", Message: "no pg_hba.conf entry"}, true},
		{&pgconn.PgError{Code: "3D000", Message: "database does not exist"}, false},
		{errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"), false},
		{nil, false},
	} {
		if got := asksForCredentials(tc.err); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestPrivateCluster_TakesNoNetworkConnectionAndNoSecret starts the demo's
// private cluster with a Keap key and a database URL in the environment:
// it used to listen on TCP 127.0.0.1 with trust authentication (any local
// user could connect as superuser) and to inherit the whole environment,
// which its processes' user can read in /proc.
func TestPrivateCluster_TakesNoNetworkConnectionAndNoSecret(t *testing.T) {
	// Not parallel: t.Setenv.
	t.Setenv("KEAP_API_KEY", "keap-secret-for-the-cluster-test")
	t.Setenv("DATABASE_URL", "postgres://u:db-secret-for-the-cluster-test@h/d")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := startPrivateCluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop()
	if info, err := os.Stat(c.dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("the cluster's directory: %v, %v; want mode 0700", info.Mode(), err)
	}
	conn, err := pgx.Connect(ctx, c.URL)
	if err != nil {
		t.Fatalf("connect through the socket: %v", err)
	}
	defer conn.Close(context.Background())
	var listen string
	if err := conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen); err != nil || listen != "" {
		t.Errorf("listen_addresses = %q (%v), want none", listen, err)
	}
	pid, err := os.ReadFile(filepath.Join(c.dir, "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	environ, err := os.ReadFile(filepath.Join("/proc", strings.SplitN(string(pid), "\n", 2)[0], "environ"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"keap-secret-for-the-cluster-test", "db-secret-for-the-cluster-test", "KEAP_API_KEY", "DATABASE_URL"} {
		if strings.Contains(string(environ), secret) {
			t.Errorf("the postmaster's environment holds %s", secret)
		}
	}
}

// TestStart_BuildsAFreshDatabaseAndAQuotaTheSyncOutgrows starts the demo
// on the test server twice: the second start finds the first one's rows
// and drops them (a fresh start), the quota is scaled below the pages
// the tenant needs, and options the demo cannot run with are refused
// before anything is touched.
func TestStart_BuildsAFreshDatabaseAndAQuotaTheSyncOutgrows(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	db := "keapsync_demo_p_" + hex.EncodeToString(b)
	server := warehousetest.DatabaseURL()
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), server)
		if err != nil {
			t.Errorf("drop %s: %v", db, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
	})
	var told strings.Builder
	o := Options{Contacts: 300, Day: 2 * time.Second, PerSecond: 10, Database: db, ServerURL: server, Out: &told,
		Open: func(ctx context.Context, url string) (*pgxpool.Pool, error) { return pgxpool.New(ctx, url) }}

	bad := o
	bad.Database = "Not-A-Name"
	if _, err := Start(ctx, bad); err == nil || !strings.Contains(err.Error(), "--database") {
		t.Errorf("a bad database name: %v, want an error naming --database", err)
	}

	d, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, "INSERT INTO keap.tags (account, id, name, raw, _hash) VALUES ('demo', 1, 'left over', '{}', '\\x00')"); err != nil {
		t.Fatal(err)
	}
	d.Close()

	d, err = Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tables, err := d.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < len(keap.Streams) {
		t.Errorf("%d tables, want at least one per stream (%d)", len(tables), len(keap.Streams))
	}
	for _, tr := range tables {
		if tr.Rows != 0 {
			t.Errorf("a fresh start left %d rows in %s", tr.Rows, tr.Table)
		}
	}
	var pages int
	for _, s := range keap.Streams {
		pages++
		if s.MaxPageSize > 0 && d.Totals[s.Name] > int64(s.MaxPageSize) {
			pages += int((d.Totals[s.Name] - 1) / int64(s.MaxPageSize))
		}
	}
	if d.Totals["contacts"] != 300 || d.PerDay >= pages || d.PerDay < 4 {
		t.Errorf("contacts %d, daily quota %d for %d pages: want 300 and a quota the sync outgrows", d.Totals["contacts"], d.PerDay, pages)
	}
	if pc, err := pgx.ParseConfig(d.PsqlURL()); err != nil || pc.Database != db {
		t.Errorf("psql URL %s: database %q, %v", d.PsqlURL(), pc.Database, err)
	}
	if d.Private() || told.Len() != 0 {
		t.Errorf("a reachable server needs no private cluster: %q", told.String())
	}
}
