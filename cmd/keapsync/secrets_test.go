package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// testWrongKey is an API key Keap rejects: it must not show anywhere either.
const testWrongKey = "KeapAK-WRONG-SECRET-c0ffee5eed"

// TestSecrets_AuditOfAFullSyncWithFailuresRetriesAndARejectedKey is the
// secrets audit: two accounts, one whose Keap fails now and then (5xx and
// truncated bodies, retried) and one whose key Keap rejects, synced by a
// `work` process with an HTTP token and debug logs. The API keys, the HTTP
// token and the database password appear in no log line, no command output
// (sync, status, jobs), no table (River's job args, errors and metadata
// included), no metric, no HTTP response and no River UI API response.
func TestSecrets_AuditOfAFullSyncWithFailuresRetriesAndARejectedKey(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 300, extra: "log: {level: debug}\n"})
	if err := e.sim.AddFault(keapsim.Fault{Kind: keapsim.Fault503, Probability: 0.2}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddFault(keapsim.Fault{Kind: keapsim.FaultTruncated, Probability: 0.1}); err != nil {
		t.Fatal(err)
	}
	rejecting := keapsim.New(t, keapsim.Options{Contacts: 50, APIKeys: []string{"a-key-keap-knows-1234"},
		PerSecond: -1, PerMinute: -1, PerDay: -1, TenantPerMinute: -1})
	e.env["TOKEN"] = testToken
	e.env["WRONG_KEY"] = testWrongKey
	cfg := strings.Replace(readFile(t, e.config), `http: {listen: "127.0.0.1:0"}`,
		`http: {listen: "0.0.0.0:0", auth_token: "${TOKEN}"}`, 1)
	cfg = strings.Replace(cfg, "\nworker:", fmt.Sprintf(`
  - name: rejected
    base_url: %s
    api_key: ${WRONG_KEY}
    quota: {per_second: 1000, per_minute: 100000, per_day: 1000000}
worker:`, rejecting.URL()), 1)
	e.config = writeFile(t, e.dir, "keapsync.yaml", cfg)

	e.mustRun(exitOK, "migrate")
	base, stop := e.startWork()
	auth := "Bearer " + testToken

	// A sync of both accounts: acme's succeeds through its retries,
	// rejected's fails on the key.
	r := e.run("sync", "--wait", "--no-eta")
	if r.code != exitFailure || !strings.Contains(r.stdout+r.stderr, "rejected the API key") {
		t.Fatalf("sync --wait: want exit 1 naming the rejected key, got %v", r)
	}
	var outputs []string
	for _, args := range [][]string{
		{"status"}, {"status", "--json"}, {"jobs", "list", "--json", "--limit", "1000"}, {"jobs", "list"},
		{"jobs", "retry", "--all-discarded"}, {"config", "check"}, {"plan", "--account", "acme"},
	} {
		r := e.run(args...)
		outputs = append(outputs, r.stdout, r.stderr)
	}
	if !strings.Contains(strings.Join(outputs, "\n"), "rejected the API key") {
		t.Error("status shows nothing of the rejected key: the audit looks at the wrong output")
	}

	// HTTP: metrics, status and River UI's API, every state.
	var responses []string
	for _, path := range []string{"/metrics", "/status", "/riverui/api/queues", "/riverui/api/states",
		"/riverui/api/jobs?state=completed&limit=1000", "/riverui/api/jobs?state=cancelled&limit=1000",
		"/riverui/api/jobs?state=discarded&limit=1000", "/riverui/api/jobs?state=retryable&limit=1000",
		"/riverui/api/jobs?state=available&limit=1000", "/riverui/", "/nowhere"} {
		_, _, body := get(t, base+path, auth)
		responses = append(responses, body)
	}
	// Each job as River UI shows it, with its args, errors and metadata.
	rows, err := e.pool.Query(context.Background(), fmt.Sprintf(`SELECT id FROM %s`, pgx.Identifier{e.river, "river_job"}.Sanitize()))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		t.Fatalf("no job to look at: %v", err)
	}
	for _, id := range ids {
		code, _, body := get(t, fmt.Sprintf("%s/riverui/api/jobs/%d", base, id), auth)
		if code != 200 {
			t.Errorf("River UI job %d: %d", id, code)
		}
		responses = append(responses, body)
	}
	if !strings.Contains(strings.Join(responses, "\n"), "API key rejected") {
		t.Error("River UI shows no rejected job: the audit looks at the wrong responses")
	}
	w := stop()

	// Every table of every schema keapsync uses.
	dump := warehousetest.DumpSchemas(t, e.pool, 20, e.data, e.state, e.river)
	if !strings.Contains(dump, "rejected the API key") || !strings.Contains(dump, "503") {
		t.Error("the database holds no trace of the failures: the audit looks at the wrong tables")
	}
	if !strings.Contains(w.stderr, "retrying") {
		t.Error("work logged no retry: the audit saw no failure")
	}

	for where, s := range map[string]string{
		"command output":     strings.Join(outputs, "\n"),
		"HTTP responses":     strings.Join(responses, "\n"),
		"work's debug logs":  w.stdout + w.stderr,
		"the database":       dump,
		"sync --wait output": r.stdout + r.stderr,
	} {
		assertNoSecret(t, where, s)
		if strings.Contains(s, testWrongKey) {
			t.Errorf("%s shows the rejected API key", where)
		}
	}
}
