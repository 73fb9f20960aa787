package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/keapsync/keapsync/internal/syncbuf"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// Distinctive secrets: no output, log, metric or HTTP response may ever
// hold them.
const (
	testAPIKey     = "KeapAK-SECRET-7f3a9c1e2b4d6f80"
	testToken      = "TOKEN-SECRET-1a2b3c4d5e6f7a8b"
	testDBPassword = "DBPW-SECRET-8e7d6c5b"
)

// result is what a command line did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs a command line in-process with env as its whole
// environment.
func runCLI(ctx context.Context, env map[string]string, args ...string) result {
	return <-startCLI(ctx, env, args...).done
}

// running is a command line running in-process.
type running struct {
	stdout, stderr *syncbuf.Buffer
	done           chan result
}

// startCLI starts a command line in-process; done receives its result.
func startCLI(ctx context.Context, env map[string]string, args ...string) *running {
	r := &running{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan result, 1)}
	a := &app{stdin: strings.NewReader(""), stdout: r.stdout, stderr: r.stderr,
		getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	go func() {
		code := run(ctx, a, args)
		r.done <- result{code: code, stdout: r.stdout.String(), stderr: r.stderr.String()}
	}()
	return r
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testEnv is a configuration on schemas of its own in the test database,
// syncing a simulated account.
type testEnv struct {
	t      *testing.T
	dir    string
	config string
	env    map[string]string
	pool   *pgxpool.Pool
	sim    *keapsim.Server
	data   string
	state  string
	river  string

	mu      sync.Mutex
	outputs []string // everything the commands printed, checked for secrets at the end
}

// envOptions shape a testEnv.
type envOptions struct {
	contacts int
	// extra is appended to the configuration file (top-level keys).
	extra string
	// account is appended to the account's keys (indented 4 spaces).
	account string
	// simKey is the key the simulator accepts (default testAPIKey).
	simKey string
	// sim, when set, configures the simulator (its Contacts and APIKeys
	// are filled from the fields above when empty); default unthrottled.
	sim *keapsim.Options
	// quota is the account's quota line (default generous).
	quota string
}

func newTestEnv(t *testing.T, o envOptions) *testEnv {
	t.Helper()
	if o.contacts == 0 {
		o.contacts = 300
	}
	if o.simKey == "" {
		o.simKey = testAPIKey
	}
	pool := warehousetest.NewPool(t, 2)
	data, state, river := warehousetest.Schemas(t, pool)
	simOpts := keapsim.Options{Contacts: o.contacts, APIKeys: []string{o.simKey},
		PerSecond: -1, PerMinute: -1, PerDay: -1, TenantPerMinute: -1}
	if o.sim != nil {
		simOpts = *o.sim
		if simOpts.Contacts == 0 {
			simOpts.Contacts = o.contacts
		}
		if len(simOpts.APIKeys) == 0 {
			simOpts.APIKeys = []string{o.simKey}
		}
	}
	if o.quota == "" {
		o.quota = "{per_second: 1000, per_minute: 100000, per_day: 1000000}"
	}
	sim := keapsim.New(t, simOpts)
	dbURL, err := url.Parse(warehousetest.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	if _, has := dbURL.User.Password(); !has && dbURL.User != nil {
		// Trust authentication ignores it: a password only to prove it never shows.
		dbURL.User = url.UserPassword(dbURL.User.Username(), testDBPassword)
	}
	e := &testEnv{t: t, dir: t.TempDir(), pool: pool, sim: sim, data: data, state: state, river: river,
		env: map[string]string{"DATABASE_URL": dbURL.String(), "KEAP_API_KEY": testAPIKey}}
	cfg := fmt.Sprintf(`database_url: ${DATABASE_URL}
data_schema: %s
state_schema: %s
river_schema: %s
accounts:
  - name: acme
    base_url: %s
    api_key: ${KEAP_API_KEY}
    quota: %s
%s
worker: {concurrency: 4, shutdown_timeout: 10s}
http: {listen: "127.0.0.1:0"}
%s`, data, state, river, sim.URL(), o.quota, indent(o.account, "    "), o.extra)
	e.config = writeFile(t, e.dir, "keapsync.yaml", cfg)
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		assertNoSecret(t, "the commands' output", strings.Join(e.outputs, "\n"))
	})
	return e
}

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// run runs keapsync -c <config> args..., failing the test when it takes
// longer than a minute.
func (e *testEnv) run(args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := runCLI(ctx, e.env, append([]string{"-c", e.config}, args...)...)
	e.record(r)
	return r
}

// record keeps a command's output for the final check for secrets.
func (e *testEnv) record(r result) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.outputs = append(e.outputs, r.stdout, r.stderr)
}

// mustRun runs args and fails the test unless the exit status is want.
func (e *testEnv) mustRun(want int, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != want {
		e.t.Fatalf("keapsync %s: want exit %d, got %v", strings.Join(args, " "), want, r)
	}
	return r
}

// assertNoSecret fails when s holds one of the test's secrets.
func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, secret := range []string{testAPIKey, testToken, testDBPassword} {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows a secret (%s...):\n%s", where, secret[:10], s)
		}
	}
}
