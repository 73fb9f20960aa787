package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
)

// startWork runs keapsync work until the test ends and returns the base
// URL it serves.
func (e *testEnv) startWork(extraArgs ...string) (base string, stop func() result) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := startCLI(ctx, e.env, append([]string{"-c", e.config, "work"}, extraArgs...)...)
	serving := regexp.MustCompile(`keapsync: serving.*url=http://([^/ ]+)/`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := serving.FindStringSubmatch(w.stderr.String()); m != nil {
			base = "http://" + strings.Replace(m[1], "0.0.0.0", "127.0.0.1", 1)
			break
		}
		select {
		case r := <-w.done:
			cancel()
			e.t.Fatalf("work ended before serving: %v", r)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			e.t.Fatalf("work does not serve:\n%s", w.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var res *result
	stop = func() result {
		if res == nil {
			cancel()
			select {
			case r := <-w.done:
				res = &r
				e.record(r)
			case <-time.After(30 * time.Second):
				e.t.Fatalf("work did not stop within 30s of its signal:\n%s", w.stderr.String())
			}
		}
		return *res
	}
	e.t.Cleanup(func() { stop() })
	return base, stop
}

// get fetches url with an Authorization header (when auth is not empty).
func get(t *testing.T, url, auth string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode, res.Header, string(b)
}

// waitSucceeded polls /status until every run of account's streams has
// succeeded.
func waitSucceeded(t *testing.T, base, auth string, streams ...string) jobs.Status {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, body := get(t, base+"/status", auth)
		var st jobs.Status
		if code == http.StatusOK && json.Unmarshal([]byte(body), &st) == nil {
			done := 0
			for _, ss := range st.Accounts[0].Streams {
				if slices.Contains(streams, ss.Stream) && ss.State == jobs.StateSucceeded {
					done++
				}
			}
			if done == len(streams) {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("streams %v not synced in time: %d %s", streams, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWork_ServesHealthMetricsStatusAndRiverUI(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 100, extra: "log: {level: debug}\n"})
	e.mustRun(exitOK, "migrate")
	base, stop := e.startWork()

	if code, _, body := get(t, base+"/healthz", ""); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, _, body := get(t, base+"/readyz", ""); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	// The healthcheck of an image without curl: keapsync ready.
	if r := e.run("ready", "--url", base+"/readyz"); r.code != exitOK || r.stdout != "ready\n" {
		t.Errorf("keapsync ready: %v", r)
	}

	// The work process works what sync enqueues.
	e.mustRun(exitOK, "sync", "--stream", "contacts,companies")
	st := waitSucceeded(t, base, "", "contacts", "companies")
	if st.Accounts[0].Quota.DayUsed == 0 {
		t.Errorf("/status counts no call: %+v", st.Accounts[0].Quota)
	}

	code, _, metrics := get(t, base+"/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`keapsync_keap_calls_total{account="acme",status="200",stream="contacts"} 1`,
		`keapsync_keap_call_duration_seconds_count{account="acme"}`,
		`keapsync_pages_total{account="acme",stream="contacts"} 1`,
		`keapsync_rows_total{account="acme",outcome="inserted",stream="contacts"} 100`,
		`keapsync_page_fetch_seconds_count{account="acme",stream="contacts"} 1`,
		`keapsync_page_commit_seconds_count{account="acme",stream="contacts"} 1`,
		`keapsync_job_duration_seconds_count{kind="page",outcome="completed"}`,
		`keapsync_quota_used{account="acme",window="day"}`,
		`keapsync_quota_limit{account="acme",window="day"} 1e+06`,
		`keapsync_quota_available{account="acme",window="minute"}`,
		`keapsync_quota_reset_timestamp_seconds{account="acme"}`,
		`keapsync_stream_rows{account="acme",stream="contacts"} 100`,
		`keapsync_stream_state{account="acme",state="succeeded",stream="contacts"} 1`,
		`keapsync_stream_state{account="acme",state="never",stream="orders"} 1`,
		`keapsync_stream_last_success_timestamp_seconds{account="acme",stream="contacts"}`,
		`keapsync_sync_lag_seconds{account="acme",stream="contacts"}`,
		`keapsync_jobs{state="completed"}`,
		`keapsync_status_up 1`,
		`keapsync_build_info{`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// River UI: the page and every script and style sheet it references.
	code, hdr, page := get(t, base+"/riverui/", "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("/riverui/: %d %s", code, hdr.Get("Content-Type"))
	}
	assets := regexp.MustCompile(`(?:src|href)="(/riverui/[^"]+)"`).FindAllStringSubmatch(page, -1)
	var scripts, styles int
	for _, m := range assets {
		code, _, _ := get(t, base+m[1], "")
		if code != 200 {
			t.Errorf("River UI asset %s: %d", m[1], code)
		}
		switch {
		case strings.HasSuffix(m[1], ".js"):
			scripts++
		case strings.HasSuffix(m[1], ".css"):
			styles++
		}
	}
	t.Logf("River UI assets: %d scripts, %d style sheets, %d in all", scripts, styles, len(assets))
	if scripts == 0 || styles == 0 {
		t.Errorf("the River UI page references %d scripts and %d style sheets:\n%s", scripts, styles, page)
	}
	code, _, apiJobs := get(t, base+"/riverui/api/jobs?state=completed&limit=50", "")
	if code != 200 || !strings.Contains(apiJobs, jobs.KindPage) {
		t.Errorf("River UI's job API: %d %s", code, apiJobs)
	}
	if code, _, _ := get(t, base+"/riverui", ""); code != 200 { // redirected to /riverui/
		t.Errorf("/riverui: %d", code)
	}

	r := stop()
	if r.code != 0 || !strings.Contains(r.stderr, "keapsync: stopped") {
		t.Errorf("work after its signal: %v", r)
	}
	for where, s := range map[string]string{"/metrics": metrics, "River UI jobs": apiJobs, "work's debug logs": r.stderr + r.stdout} {
		assertNoSecret(t, where, s)
	}
}

func TestWork_TheTokenGuardsEverythingButHealthAndReadiness(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 20, extra: "log: {level: debug}\n"})
	e.env["TOKEN"] = testToken
	// Every interface, so the token is required; the test reaches it on loopback.
	e.config = writeFile(t, e.dir, "keapsync.yaml", strings.Replace(readFile(t, e.config),
		`http: {listen: "127.0.0.1:0"}`, `http: {listen: "0.0.0.0:0", auth_token: "${TOKEN}"}`, 1))
	e.mustRun(exitOK, "migrate")
	base, stop := e.startWork()

	bearer := "Bearer " + testToken
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("anyone:"+testToken))
	wrong := "Bearer " + strings.ToLower(testToken)
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/healthz", "", 200},
		{"/readyz", "", 200},
		{"/metrics", "", 401},
		{"/metrics", wrong, 401},
		{"/metrics", "Basic " + base64.StdEncoding.EncodeToString([]byte(testToken)), 401}, // no colon: not basic auth
		{"/metrics", bearer, 200},
		{"/metrics", basic, 200},
		{"/status", "", 401},
		{"/status", bearer, 200},
		{"/riverui/", "", 401},
		{"/riverui/", basic, 200},
		{"/riverui/api/jobs?state=completed", basic, 200},
	} {
		code, hdr, body := get(t, base+tc.path, tc.auth)
		if code != tc.want {
			t.Errorf("GET %s with %q: %d, want %d", tc.path, tc.auth, code, tc.want)
		}
		if code == 401 && !strings.Contains(strings.Join(hdr.Values("WWW-Authenticate"), ","), `Basic realm="keapsync"`) {
			t.Errorf("GET %s: 401 without a basic-auth challenge (browsers would not ask): %v", tc.path, hdr)
		}
		assertNoSecret(t, tc.path, body)
	}
	r := stop()
	if r.code != 0 {
		t.Errorf("work: %v", r)
	}
	assertNoSecret(t, "work's debug logs", r.stderr+r.stdout)
	if !strings.Contains(r.stderr, "http.auth_token travels in plain text") {
		t.Errorf("work serving a token on every interface over plain HTTP did not warn:\n%s", r.stderr)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReady_SaysWhyItIsNotReady(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "database: connection refused", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	r := runCLI(context.Background(), nil, "ready", "--url", down.URL+"/readyz")
	if r.code != exitFailure || !strings.Contains(r.stderr, "503") || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("a 503: %v", r)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if r := runCLI(context.Background(), nil, "ready", "--url", closed.URL+"/readyz"); r.code != exitFailure || !strings.Contains(r.stderr, "not ready") {
		t.Errorf("nothing listening: %v", r)
	}
	for listen, want := range map[string]string{
		"0.0.0.0:9090": "http://127.0.0.1:9090/readyz", ":9090": "http://127.0.0.1:9090/readyz",
		"[::]:9090": "http://127.0.0.1:9090/readyz", "10.0.0.5:8080": "http://10.0.0.5:8080/readyz",
		"[::1]:9090": "http://[::1]:9090/readyz",
	} {
		if got := readyURL(listen); got != want {
			t.Errorf("readyURL(%q) = %q, want %q", listen, got, want)
		}
	}
}

func TestAuthenticator_RepeatedFailuresAreSlowedPerClient(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	au := newAuthenticator(testToken, func() time.Time { return now })
	h := au.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "in") }))
	try := func(ip, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = ip + ":40000"
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	good, bad := "Bearer "+testToken, "Bearer guess"
	for i := range failureBurst {
		if rec := try("192.0.2.1", bad); rec.Code != 401 {
			t.Fatalf("failure %d: %d", i+1, rec.Code)
		}
	}
	rec := try("192.0.2.1", bad)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "6" {
		t.Fatalf("after %d failures the next wrong token must wait: %d, Retry-After %q", failureBurst, rec.Code, rec.Header().Get("Retry-After"))
	}
	// The right token from the same address (the operator behind the same
	// NAT, Prometheus on the same host) is never locked out.
	if rec := try("192.0.2.1", good); rec.Code != 200 {
		t.Fatalf("the right token was locked out by another client's failures: %d", rec.Code)
	}
	if rec := try("192.0.2.2", bad); rec.Code != 401 {
		t.Errorf("another client is not slowed: %d", rec.Code)
	}
	now = now.Add(failureEvery)
	if rec := try("192.0.2.1", bad); rec.Code != 401 {
		t.Errorf("its next failure: %d", rec.Code)
	}
	if rec := try("192.0.2.1", bad); rec.Code != 429 {
		t.Errorf("and the one after comes too soon: %d", rec.Code)
	}

	// The table of clients stays bounded: past it, new clients share one limiter.
	for i := range maxFailClients + 50 {
		try(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), bad)
	}
	au.mu.Lock()
	n := len(au.failures)
	au.mu.Unlock()
	if n > maxFailClients {
		t.Errorf("%d clients remembered, bound %d", n, maxFailClients)
	}
}

func TestAuthenticator_NoTokenLetsEverythingThrough(t *testing.T) {
	t.Parallel()
	au := newAuthenticator("", time.Now)
	h := au.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 {
		t.Errorf("%d", rec.Code)
	}
}

func TestMetrics_EveryPipelineEventHasItsMetric(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := newPromMetrics(reg)
	m.Call("acme", keap.Call{Path: "/v2/contacts", Stream: "contacts", Status: 200, Duration: time.Second})
	m.Call("acme", keap.Call{Path: "/v2/contacts", Stream: "contacts", Status: 429, RateLimit: keap.CauseSpike})
	m.Call("acme", keap.Call{Path: "/v2/contacts", Stream: "contacts", Refused: true})
	m.Call("acme", keap.Call{Path: "/v2/contacts/model"})
	m.Page("acme", "contacts", jobs.PageStats{Records: 10, Inserted: 7, Updated: 2, Unchanged: 1, Problems: 1, Fetch: time.Second, Commit: time.Millisecond})
	m.Snoozed("acme", "contacts", "day", time.Unix(1_800_000_000, 0))
	m.JobDone(jobs.KindPage, "completed", time.Second)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range families {
		var b strings.Builder
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				fmt.Fprintf(&b, "%s=%s ", l.GetName(), l.GetValue())
			}
			if c := mt.GetCounter(); c != nil {
				fmt.Fprintf(&b, "=%g; ", c.GetValue())
			}
		}
		got[f.GetName()] = b.String()
	}
	for name, want := range map[string]string{
		"keapsync_keap_calls_total":                "status=refused",
		"keapsync_keap_rate_limited_total":         "cause=spike =1",
		"keapsync_keap_call_duration_seconds":      "account=acme",
		"keapsync_pages_total":                     "stream=contacts =1",
		"keapsync_rows_total":                      "outcome=inserted stream=contacts =7",
		"keapsync_page_fetch_seconds":              "stream=contacts",
		"keapsync_page_commit_seconds":             "stream=contacts",
		"keapsync_snoozes_total":                   "window=day =1",
		"keapsync_snoozed_until_timestamp_seconds": "stream=contacts",
		"keapsync_job_duration_seconds":            "kind=page outcome=completed",
		"keapsync_build_info":                      "goversion=go",
	} {
		if !strings.Contains(got[name], want) {
			t.Errorf("%s: want %q in %q", name, want, got[name])
		}
	}
	if !strings.Contains(got["keapsync_keap_calls_total"], "status=error stream=other") {
		t.Errorf("a call without response or stream: %q", got["keapsync_keap_calls_total"])
	}
}

// send makes a request with the given headers and returns its status and
// body.
func send(t *testing.T, method, url string, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestWork_RequestsFromAnotherSiteChangeNothing replays the probes that
// changed River state from another site: a cross-site fetch that pauses a
// queue, a cross-site text/plain form POST that cancels and retries jobs
// (a browser sends it with cached basic credentials, without preflight),
// and requests through a rebound DNS name. Each is refused and the queue
// and the jobs are as they were; the same requests from River UI's own
// page, a script and a reverse proxy's allowed name go through.
func TestWork_RequestsFromAnotherSiteChangeNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, envOptions{contacts: 20})
	e.config = writeFile(t, e.dir, "keapsync.yaml", strings.Replace(readFile(t, e.config),
		`http: {listen: "127.0.0.1:0"}`, `http: {listen: "127.0.0.1:0", allowed_hosts: [keapsync.example.com]}`, 1))
	e.mustRun(exitOK, "migrate")
	base, _ := e.startWork()
	e.mustRun(exitOK, "sync", "--stream", "companies")
	waitSucceeded(t, base, "", "companies")

	var listed struct {
		Data []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
			Queue string `json:"queue"`
		} `json:"data"`
	}
	code, body := send(t, "GET", base+"/riverui/api/jobs?state=completed&limit=5", "", nil)
	if err := json.Unmarshal([]byte(body), &listed); code != 200 || err != nil || len(listed.Data) == 0 {
		t.Fatalf("River UI's jobs: %d %s %v", code, body, err)
	}
	job, queue := listed.Data[0].ID, listed.Data[0].Queue
	ids := fmt.Sprintf(`{"job_ids":[%d]}`, job)
	paused := func() bool {
		_, body := send(t, "GET", base+"/riverui/api/queues/"+queue, "", nil)
		var q struct {
			PausedAt *time.Time `json:"paused_at"`
		}
		if err := json.Unmarshal([]byte(body), &q); err != nil {
			t.Fatalf("queue %s: %s", queue, body)
		}
		return q.PausedAt != nil
	}
	jobState := func() string {
		_, body := send(t, "GET", fmt.Sprintf("%s/riverui/api/jobs/%d", base, job), "", nil)
		var j struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal([]byte(body), &j)
		return j.State
	}
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	form := map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}
	rebound := map[string]string{"Host": "evil.example:9090", "Origin": "http://evil.example:9090", "Sec-Fetch-Site": "same-origin"}
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		want                     int
	}{
		{"cross-site pause", "PUT", "/riverui/api/queues/" + queue + "/pause", "{}", evil, 403},
		{"cross-site form cancel", "POST", "/riverui/api/jobs/cancel", ids, form, 403},
		{"cross-site form retry", "POST", "/riverui/api/jobs/retry", ids, form, 403},
		{"cross-site form delete", "POST", "/riverui/api/jobs/delete", ids, evil, 403},
		{"rebound pause", "PUT", "/riverui/api/queues/" + queue + "/pause", "{}", rebound, 421},
		{"rebound retry", "POST", "/riverui/api/jobs/retry", ids, rebound, 421},
		{"rebound status read", "GET", "/status", "", rebound, 421},
		{"rebound jobs read", "GET", "/riverui/api/jobs?state=completed", "", rebound, 421},
	} {
		if code, body := send(t, tc.method, base+tc.path, tc.body, tc.hdr); code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
		}
	}
	if paused() {
		t.Error("a request from another site paused the queue")
	}
	if s := jobState(); s != "completed" {
		t.Errorf("a request from another site changed job %d: %s", job, s)
	}

	// The same actions from River UI's own page, a script (no Origin) and
	// through the allowed name of a reverse proxy go through.
	u := strings.TrimPrefix(base, "http://")
	for _, tc := range []struct {
		name string
		hdr  map[string]string
	}{
		{"River UI's page", map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}},
		{"a script", map[string]string{"Content-Type": "application/json"}},
		{"the proxy's name", map[string]string{"Host": "keapsync.example.com", "Origin": "https://keapsync.example.com", "Content-Type": "application/json"}},
		{"an origin without fetch metadata", map[string]string{"Origin": "http://" + u, "Content-Type": "application/json"}},
	} {
		if code, body := send(t, "PUT", base+"/riverui/api/queues/"+queue+"/pause", "{}", tc.hdr); code != 200 || !paused() {
			t.Errorf("%s: pause %d %s", tc.name, code, body)
		}
		if code, body := send(t, "PUT", base+"/riverui/api/queues/"+queue+"/resume", "{}", tc.hdr); code != 200 || paused() {
			t.Errorf("%s: resume %d %s", tc.name, code, body)
		}
	}
	if code, _ := send(t, "POST", base+"/riverui/api/jobs/retry", `{"job_ids":[`+strings.Repeat("1,", maxRequestBody/2)+`1]}`,
		map[string]string{"Content-Type": "application/json"}); code < 400 {
		t.Errorf("a body over %d bytes was accepted: %d", maxRequestBody, code)
	}
}

// TestReadyz_AClientThatHangsUpPoisonsNothing: the check used to run on
// the first prober's context, so a prober that hung up cached "context
// canceled" for everyone for a second.
func TestReadyz_AClientThatHangsUpPoisonsNothing(t *testing.T) {
	t.Parallel()
	checks := 0
	var mu sync.Mutex
	h := newReadyHandler(func(ctx context.Context) error {
		mu.Lock()
		checks++
		mu.Unlock()
		select {
		case <-time.After(100 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil).WithContext(ctx))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 || rec.Body.String() != "ready\n" {
		t.Errorf("after a prober hung up: %d %q", rec.Code, rec.Body.String())
	}
	// Cached: a third probe checks nothing.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	mu.Lock()
	defer mu.Unlock()
	if rec.Code != 200 || checks != 1 {
		t.Errorf("third probe: %d after %d checks, want 200 after 1", rec.Code, checks)
	}
}

func TestHostGuard_AllowsOnlyNamesItWasGiven(t *testing.T) {
	t.Parallel()
	g := newHostGuard("keapsync.lan:9090", []string{"Proxy.Example.com", "other.example:8443"}, http.NotFoundHandler())
	host, _ := os.Hostname()
	for h, want := range map[string]bool{
		"127.0.0.1:9090": true, "[::1]:9090": true, "10.0.0.5": true, "localhost:9090": true, "LOCALHOST": true,
		"keapsync.lan:9090": true, "proxy.example.com": true, "proxy.example.com.:443": true, "other.example": true,
		host + ":9090": true,
		"evil.example": false, "evil.example:9090": false, "proxy.example.com.evil.example": false, "": false,
		"localhost.evil.example": false,
	} {
		if got := g.allows(h); got != want {
			t.Errorf("Host %q: allowed %v, want %v", h, got, want)
		}
	}
}

// TestHTTPServer_EveryPhaseOfARequestHasALimit: the server had only a
// header timeout, so a client could hold a connection open for ever while
// sending a body or reading an answer.
func TestHTTPServer_EveryPhaseOfARequestHasALimit(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout} {
		if d <= 0 || d > 5*time.Minute {
			t.Errorf("%s = %v, want a limit of at most 5 minutes", name, d)
		}
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d, want a limit below the default 1 MiB", srv.MaxHeaderBytes)
	}
}
