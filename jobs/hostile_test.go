package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keapsync/keapsync/jobs"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// TestHostile_RecordsKeapUsersCanWriteAreStoredAndTheirPagesKept feeds the
// pipeline records with what Keap's users can put in them, over HTTP: NUL
// characters and bytes that are not UTF-8 in values, SQL in text, numbers
// beyond int64 and float64, timestamps of years 1 and 9999, deeply nested
// JSON. Every record lands (typed where it can be, NULL with a problem
// where it cannot), nothing is injected, and the rest of each page is kept.
func TestHostile_RecordsKeapUsersCanWriteAreStoredAndTheirPagesKept(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 300)}, nil)
	sim := e.sims["acme"]
	deep := strings.Repeat("[", 9000) + strings.Repeat("]", 9000)
	recs, err := sim.Records("contacts", []string{})
	if err != nil {
		t.Fatal(err)
	}
	id := func(i int) int64 { return recs[i].ID }
	hostile := map[int64]string{
		id(3):  `{"id":"%d","given_name":"nul \u0000 inside","family_name":"` + "bytes \xff\xfe not utf-8" + `","update_time":"2024-01-02T03:04:05Z"}`,
		id(10): `{"id":"%d","given_name":"Robert'); DROP TABLE contacts; --","family_name":"\"; DELETE FROM keap.contacts; --","update_time":"2024-01-02T03:04:05Z"}`,
		id(17): `{"id":"%d","owner_id":123456789012345678901234567890,"score_value":1e400,"company":{"id":99999999999999999999},"update_time":"2024-01-02T03:04:05Z"}`,
		id(24): `{"id":"%d","create_time":"0001-01-01T00:00:00Z","birth_date":"9999-12-31","anniversary_date":"0001-01-01","update_time":"9999-12-31T23:59:59Z"}`,
		id(31): `{"id":"%d","given_name":"deep","custom_fields":` + deep + `,"update_time":"2024-01-02T03:04:05Z"}`,
		id(38): `{"id":"%d","given_name":"😀 emoji 🚀 名前","email_addresses":[{"email":"a@b.c","field":"EMAIL1"},"not an object",{"email":7}],"tag_ids":["x",1,null,{"id":2}],"update_time":"2024-01-02T03:04:05Z"}`,
	}
	for rid, raw := range hostile {
		if err := sim.SetRaw("contacts", rid, []byte(fmt.Sprintf(raw, rid))); err != nil {
			t.Fatal(err)
		}
	}
	e.start()
	e.sync(jobs.SyncRequest{Streams: []string{"contacts"}}, time.Minute)

	ctx := context.Background()
	contacts := pgx.Identifier{e.mig.DataSchema, "contacts"}.Sanitize()
	var live int
	if err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE account = 'acme'`, contacts)).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if n, _ := sim.Live("contacts"); live != n {
		t.Fatalf("%d contacts stored of %d: pages were not kept whole", live, n)
	}
	type row struct {
		given, family *string
		owner         *int64
		create        *time.Time
		problems      []warehouse.Problem
		raw           string
	}
	get := func(rid int64) row {
		t.Helper()
		var r row
		err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT given_name, family_name, owner_id, create_time, coalesce(_problems, '[]'), raw::text
			FROM %s WHERE account = 'acme' AND id = $1`, contacts), rid).Scan(&r.given, &r.family, &r.owner, &r.create, &r.problems, &r.raw)
		if err != nil {
			t.Fatalf("contact %d: %v", rid, err)
		}
		return r
	}
	hasProblem := func(r row, field string) bool {
		for _, p := range r.problems {
			if strings.HasPrefix(p.Field, field) {
				return true
			}
		}
		return false
	}

	if r := get(id(3)); r.given != nil || r.family != nil || !hasProblem(r, "given_name") || !hasProblem(r, "family_name") || !hasProblem(r, "raw") {
		t.Errorf("NUL and invalid UTF-8: given %v, family %v, problems %+v", r.given, r.family, r.problems)
	}
	if r := get(id(10)); r.given == nil || *r.given != "Robert'); DROP TABLE contacts; --" {
		t.Errorf("SQL in a name was not stored as text: %v", r.given)
	}
	if r := get(id(17)); r.owner != nil || !hasProblem(r, "owner_id") {
		t.Errorf("a number beyond int64: owner %v, problems %+v", r.owner, r.problems)
	}
	if r := get(id(24)); r.create == nil || r.create.Year() != 1 {
		t.Errorf("year 1: create_time %v, problems %+v", r.create, r.problems)
	}
	if r := get(id(31)); r.given == nil || *r.given != "deep" {
		t.Errorf("a deeply nested record: given %v, problems %+v", r.given, r.problems)
	}
	if r := get(id(38)); r.given == nil || *r.given != "😀 emoji 🚀 名前" || !hasProblem(r, "email_addresses") || !hasProblem(r, "tag_ids") {
		t.Errorf("emoji and wrong shapes: given %v, problems %+v", r.given, r.problems)
	}
	// The neighbours on the same pages are intact and the table is there.
	for _, i := range []int{2, 4, 11, 39} {
		if r := get(id(i)); r.given == nil || len(r.problems) != 0 {
			t.Errorf("contact %d, a neighbour of a hostile record: given %v, problems %+v", id(i), r.given, r.problems)
		}
	}
	var children int
	if err := e.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE account = 'acme' AND contact_id = $1`,
		pgx.Identifier{e.mig.DataSchema, "contact_email_addresses"}.Sanitize()), id(38)).Scan(&children); err != nil || children != 3 {
		t.Errorf("contact 40's email addresses: %d rows (%v), want its 3 entries", children, err)
	}
}

// TestHostile_AHundredMegabyteResponseFailsItsPageClearlyAndNothingElse
// serves a 100 MB page: the client stops reading at its limit, the run of
// that stream fails with a message that says why, the other streams are
// untouched, and once Keap behaves the retried job resumes from the
// checkpoint.
func TestHostile_AHundredMegabyteResponseFailsItsPageClearlyAndNothingElse(t *testing.T) {
	t.Parallel()
	e := setup(t, []testAccount{unthrottled("acme", 300)}, nil)
	sim := e.sims["acme"]
	if err := sim.AddFault(keapsim.Fault{Kind: keapsim.FaultHuge, Probability: 1, Path: "/v2/tasks"}); err != nil {
		t.Fatal(err)
	}
	e.start()
	runs := e.syncNoCheck(jobs.SyncRequest{Streams: []string{"tasks", "notes"}}, time.Minute)
	tasks := runByStream(t, runs, "tasks")
	if tasks.Status != warehouse.RunFailed || !strings.Contains(tasks.LastError, "too_large") {
		t.Fatalf("tasks run: %s %q, want failed for a body too large", tasks.Status, tasks.LastError)
	}
	if notes := runByStream(t, runs, "notes"); notes.Status != warehouse.RunSucceeded {
		t.Errorf("notes run: %s %q", notes.Status, notes.LastError)
	}
	sim.ClearFaults()
	ctx := context.Background()
	var cancelled []jobs.Job
	for deadline := time.Now().Add(5 * time.Second); len(cancelled) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		all, err := e.p.Jobs(ctx, jobs.JobFilter{States: []string{"cancelled"}})
		if err != nil {
			t.Fatal(err)
		}
		cancelled = all
	}
	if len(cancelled) != 1 || cancelled[0].RunID != tasks.ID {
		t.Fatalf("cancelled jobs = %+v, want the tasks page", cancelled)
	}
	if _, err := e.p.RetryJobs(ctx, cancelled[0].ID); err != nil {
		t.Fatal(err)
	}
	final, err := e.p.Wait(ctx, []jobs.Run{tasks}, 50*time.Millisecond, nil)
	if err != nil || final[0].Status != warehouse.RunSucceeded {
		t.Fatalf("retried run: %+v, %v", final, err)
	}
	e.assertMatchesTruth("acme", "tasks", "notes")
}

// TestHostile_PagesThatCannotBeRightFailTheirRunAndMoveNoCheckpoint puts a
// hostile gateway between the pipeline and the simulator: contacts' second
// page repeats the first (ids not past the cursor: followed, it would be
// fetched for ever), companies come as null (read as an empty last page,
// it would end the listing), and notes as 700,000 tiny records (under the body limit). Each run
// fails with an error naming its problem, its checkpoint stays where it
// was, and nothing is deleted.
func TestHostile_PagesThatCannotBeRightFailTheirRunAndMoveNoCheckpoint(t *testing.T) {
	t.Parallel()
	var hostile atomic.Bool
	var firstContacts atomic.Pointer[[]byte]
	acct := unthrottled("acme", 300)
	acct.mod = func(a *jobs.Account) {
		hostileGateway(t, a, func(path, filter string, body []byte) []byte {
			if !hostile.Load() {
				return body
			}
			switch {
			case strings.HasSuffix(path, "/v2/contacts") && !strings.Contains(filter, "contact_id"):
				firstContacts.CompareAndSwap(nil, &body)
			case strings.HasSuffix(path, "/v2/contacts") && firstContacts.Load() != nil:
				return *firstContacts.Load()
			case strings.HasSuffix(path, "/v2/companies"):
				return []byte(`{"companies":null,"next_page_token":""}`)
			}
			return body
		})
	}
	// One reader per stream: the second contacts request is the next page.
	e := setup(t, []testAccount{acct}, func(c *jobs.Config) { c.MaxSlices = 1 })
	e.start()
	streams := []string{"contacts", "companies", "notes"}
	e.sync(jobs.SyncRequest{Streams: streams}, time.Minute)
	ctx := context.Background()
	checkpoints := map[string]warehouse.Checkpoint{}
	live := map[string]int64{}
	for _, s := range streams {
		cp, _, err := e.wh.Checkpoint(ctx, e.pool, "acme", s)
		if err != nil {
			t.Fatal(err)
		}
		checkpoints[s] = cp
		if live[s], err = e.wh.LiveRows(ctx, e.pool, s, "acme"); err != nil {
			t.Fatal(err)
		}
	}

	hostile.Store(true)
	if err := e.sims["acme"].AddFault(keapsim.Fault{Kind: keapsim.FaultManyTiny, Probability: 1, Path: "/v2/notes"}); err != nil {
		t.Fatal(err)
	}
	runs := e.syncNoCheck(jobs.SyncRequest{Streams: streams, Full: true}, time.Minute)
	for stream, want := range map[string]string{"contacts": "no_progress", "companies": "invalid_json", "notes": "more than the 100 records asked for"} {
		r := runByStream(t, runs, stream)
		if r.Status != warehouse.RunFailed || !strings.Contains(r.LastError, want) || !strings.Contains(r.LastError, stream) && !strings.Contains(r.LastError, "/v2/"+stream) {
			t.Errorf("%s run: %s %q, want failed with %q", stream, r.Status, r.LastError, want)
		}
		cp, _, err := e.wh.Checkpoint(ctx, e.pool, "acme", stream)
		if err != nil || !cp.HighWaterTime.Equal(checkpoints[stream].HighWaterTime) {
			t.Errorf("%s checkpoint moved: %v -> %v (%v)", stream, checkpoints[stream].HighWaterTime, cp.HighWaterTime, err)
		}
		if n, err := e.wh.LiveRows(ctx, e.pool, stream, "acme"); err != nil || n != live[stream] {
			t.Errorf("%s: %d live rows after the hostile pages, %d before (%v)", stream, n, live[stream], err)
		}
	}
	if got := firstContacts.Load(); got == nil {
		t.Fatal("the contacts listing was never seen by the hostile gateway")
	}
}

// hostileGateway puts a gateway between account a and its simulator that
// passes every request on and rewrites the body of each 200 answer with
// rewrite (given the request's path and filter parameter).
func hostileGateway(t *testing.T, a *jobs.Account, rewrite func(path, filter string, body []byte) []byte) {
	t.Helper()
	target, err := url.Parse(a.Keap.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	proxy.ModifyResponse = func(res *http.Response) error {
		if res.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		body = rewrite(res.Request.URL.Path, res.Request.URL.Query().Get("filter"), body)
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	a.Keap.BaseURL = srv.URL + target.Path
}
