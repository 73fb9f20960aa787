package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
	"github.com/keapsync/keapsync/warehouse/warehousetest"
)

// hookToken is the secret part of the receiver's URL, as in a Slack
// webhook's path: nothing keapsync stores or logs may hold it.
const hookToken = "T0KEN-b3c9f1e2d4a5"

// receiver is a local webhook: it fails its first posts as told (a dropped
// connection, then a 500), then records every body.
type receiver struct {
	srv      *httptest.Server
	failures atomic.Int32
	mu       sync.Mutex
	bodies   [][]byte
	paths    []string
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{}
	r.failures.Store(int32(failFirst))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		switch left := r.failures.Add(-1); {
		case left >= 0 && left%2 == 1:
			// A connection dropped without a response: a network error.
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			fallthrough
		case left >= 0:
			http.Error(w, "receiver down", http.StatusInternalServerError)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.paths = append(r.paths, req.URL.Path)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/hooks/" + hookToken }

// messages are the JSON bodies received so far.
func (r *receiver) messages(t *testing.T) []jobs.NotifyBody {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]jobs.NotifyBody, len(r.bodies))
	for i, b := range r.bodies {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			t.Fatalf("message %d: %v: %s", i, err, b)
		}
		if r.paths[i] != "/hooks/"+hookToken {
			t.Errorf("message %d posted to %s", i, r.paths[i])
		}
	}
	return out
}

// await waits until the receiver holds n messages, and a little longer to
// see that no more come.
func (r *receiver) await(t *testing.T, n int) []jobs.NotifyBody {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(r.messages(t)) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	got := r.messages(t)
	if len(got) != n {
		t.Fatalf("%d messages, want %d: %+v", len(got), n, got)
	}
	return got
}

func wantMessage(t *testing.T, m jobs.NotifyBody, event, kind, stream string) {
	t.Helper()
	if m.Source != "keapsync" || m.Event != event || m.Incident.Kind != kind || m.Incident.Stream != stream ||
		m.Incident.Account != "acme" || m.Text == "" || m.Incident.ID == 0 {
		t.Errorf("message %+v, want %s %s of acme/%s", m, event, kind, stream)
	}
	if (event == jobs.EventResolved) != (m.Incident.ResolvedAt != nil) {
		t.Errorf("%s message with resolved_at %v", event, m.Incident.ResolvedAt)
	}
}

// assertNoToken checks that the webhook's token is nowhere in the
// database (River's jobs with their args and errors among it) or the logs.
func assertNoToken(t *testing.T, e *env) {
	t.Helper()
	dump := warehousetest.DumpSchemas(t, e.pool, 5, e.mig.DataSchema, e.mig.StateSchema, e.mig.RiverSchema)
	if !strings.Contains(dump, jobs.KindNotify) {
		t.Errorf("no notification job in the database dump: the search is vacuous")
	}
	if strings.Contains(dump, hookToken) {
		t.Errorf("the webhook's token is in the database")
	}
	if strings.Contains(e.logs.String(), hookToken) {
		t.Errorf("the webhook's token is in the logs")
	}
}

func TestNotify_AFailedRunIsToldOnceUntilItRecoversAndTheRecoveryOnce(t *testing.T) {
	t.Parallel()
	hook := newReceiver(t, 2) // a dropped connection, then a 500: both retried
	acct := unthrottled("acme", 200)
	acct.mod = func(a *jobs.Account) {
		a.Streams = []string{"tags", "users"}
		a.Notify = jobs.Notify{WebhookURL: hook.url()}
	}
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	sim := e.sims["acme"]
	e.sync(jobs.SyncRequest{}, time.Minute)

	// A body keapsync cannot use (more records than a page holds) fails the
	// run, twice: one incident.
	if err := sim.AddFault(keapsim.Fault{Kind: keapsim.FaultManyTiny, Probability: 1, PathPrefix: "/v2/tags"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		runs := e.syncNoCheck(jobs.SyncRequest{Streams: []string{"tags"}}, time.Minute)
		if len(runs) != 1 || runs[0].Status != warehouse.RunFailed {
			t.Fatalf("runs %+v, want tags failed", runs)
		}
	}
	got := hook.await(t, 1)
	wantMessage(t, got[0], jobs.EventOpened, jobs.IncidentRunFailed, "tags")
	if got[0].Incident.RunKind != "sync" || !strings.Contains(got[0].Incident.Detail, "tags") {
		t.Errorf("incident %+v: want the failed sync's error", got[0].Incident)
	}
	st, err := e.p.Status(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if in := st.Accounts[0].Incidents; len(in) != 1 || in[0].Kind != jobs.IncidentRunFailed || in[0].Stream != "tags" {
		t.Errorf("status incidents %+v, want the failed tags run", in)
	}

	// Another stream succeeding resolves nothing; this one's success does.
	e.sync(jobs.SyncRequest{Streams: []string{"users"}}, time.Minute)
	sim.ClearFaults()
	e.sync(jobs.SyncRequest{Streams: []string{"tags"}}, time.Minute)
	got = hook.await(t, 2)
	wantMessage(t, got[1], jobs.EventResolved, jobs.IncidentRunFailed, "tags")
	if got[1].Incident.ID != got[0].Incident.ID {
		t.Errorf("the recovery names incident %d, the failure %d", got[1].Incident.ID, got[0].Incident.ID)
	}

	// A new failure is a new incident.
	if err := sim.AddFault(keapsim.Fault{Kind: keapsim.FaultManyTiny, Probability: 1, PathPrefix: "/v2/tags"}); err != nil {
		t.Fatal(err)
	}
	e.syncNoCheck(jobs.SyncRequest{Streams: []string{"tags"}}, time.Minute)
	got = hook.await(t, 3)
	wantMessage(t, got[2], jobs.EventOpened, jobs.IncidentRunFailed, "tags")
	if got[2].Incident.ID == got[0].Incident.ID {
		t.Errorf("the second failure reuses incident %d", got[0].Incident.ID)
	}
	assertNoToken(t, e)
}

func TestNotify_ARejectedKeyIsOneIncidentForTheAccountInSlackFormat(t *testing.T) {
	t.Parallel()
	hook := newReceiver(t, 0)
	acct := unthrottled("acme", 100)
	acct.sim.APIKeys = []string{"the-right-key"}
	acct.mod = func(a *jobs.Account) {
		a.Keap.Credential = keap.NewAPIKey("keapsync-wrong-key-77aa")
		a.Notify = jobs.Notify{WebhookURL: hook.url(), Format: jobs.FormatSlack}
	}
	e := setup(t, []testAccount{acct}, nil)
	e.start()
	runs := e.syncNoCheck(jobs.SyncRequest{}, time.Minute)
	if len(runs) < 2 {
		t.Fatalf("%d runs", len(runs))
	}
	// One message for the account, not one per failed stream.
	hook.await(t, 1)
	hook.mu.Lock()
	bodies := hook.bodies
	hook.mu.Unlock()
	var slack map[string]any
	if err := json.Unmarshal(bodies[0], &slack); err != nil {
		t.Fatal(err)
	}
	text, _ := slack["text"].(string)
	if len(slack) != 1 || !strings.Contains(text, "acme") || !strings.Contains(text, "rejected the API key") {
		t.Errorf("slack body %s: want only a text naming the account and the rejection", bodies[0])
	}
	if strings.Contains(string(bodies[0]), "keapsync-wrong-key-77aa") {
		t.Errorf("the notification holds the API key")
	}
	assertNoToken(t, e)
}

func TestNotify_ADiscardedJobAndAStaleStream(t *testing.T) {
	t.Parallel()
	hook := newReceiver(t, 0)
	var shift atomic.Int64
	acct := unthrottled("acme", 100)
	acct.mod = func(a *jobs.Account) {
		a.Streams = []string{"tags"}
		a.Schedule = "0 2 * * *"
		a.Notify = jobs.Notify{WebhookURL: hook.url()}
	}
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) {
		c.Retry.MaxAttempts = 2
		c.Schedules = true
		c.WatchInterval = 200 * time.Millisecond
		c.Now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	})
	sim := e.sims["acme"]
	e.start()
	// The leader's catch-up at start syncs the never-synced stream: wait
	// for it, so that it does not run once the clock has moved on.
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := e.p.RiverClient().JobList(ctx, river.NewJobListParams().Kinds(jobs.KindAccountSync).
			States(rivertype.JobStateCompleted))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the catch-up job did not complete within 30s")
		}
	}
	e.sync(jobs.SyncRequest{}, time.Minute)

	// Server errors until the last attempt: the job is discarded.
	if err := sim.AddFault(keapsim.Fault{Kind: keapsim.Fault500, Probability: 1, PathPrefix: "/v2/tags"}); err != nil {
		t.Fatal(err)
	}
	runs := e.syncNoCheck(jobs.SyncRequest{}, time.Minute)
	if len(runs) != 1 || runs[0].Status != warehouse.RunFailed {
		t.Fatalf("runs %+v, want tags failed", runs)
	}
	got := hook.await(t, 1)
	wantMessage(t, got[0], jobs.EventOpened, jobs.IncidentJobDiscarded, "tags")
	sim.ClearFaults()

	// Two days without a success: stale, told once however often the
	// watch looks.
	shift.Store(int64(48 * time.Hour))
	got = hook.await(t, 2)
	wantMessage(t, got[1], jobs.EventOpened, jobs.IncidentStale, "tags")
	time.Sleep(time.Second) // five more looks
	if n := len(hook.messages(t)); n != 2 {
		t.Errorf("%d messages after more looks, want 2", n)
	}
	st, err := e.p.Status(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if ss := st.Accounts[0].Streams[0]; !ss.Stale || st.Accounts[0].ScheduleInterval != 86400 || st.Accounts[0].Workers != 1 {
		t.Errorf("status %+v of %+v: want tags stale, a daily schedule, one worker", ss, st.Accounts[0])
	}

	// A success resolves both (the clock back to the database's, which
	// dates the success).
	shift.Store(0)
	e.sync(jobs.SyncRequest{}, time.Minute)
	got = hook.await(t, 4)
	kinds := map[string]bool{}
	for _, m := range got[2:] {
		if m.Event != jobs.EventResolved {
			t.Errorf("message %+v, want a recovery", m)
		}
		kinds[m.Incident.Kind] = true
	}
	if !kinds[jobs.IncidentJobDiscarded] || !kinds[jobs.IncidentStale] {
		t.Errorf("recoveries of %v, want the discarded job and the staleness", kinds)
	}
	assertNoToken(t, e)
}
