package keap

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// simEnv is a client talking to the simulator over HTTP, both on one fake
// clock: the governor's waits pass at once and the simulator sees them
// pass, so no scheduling jitter can bring two requests closer than the
// spike arrest allows.
type simEnv struct {
	sim    *keapsim.Server
	client *Client
	logs   *syncBuffer
}

func newSimEnv(t *testing.T, opts keapsim.Options, mod func(*Config)) *simEnv {
	t.Helper()
	if opts.Contacts == 0 {
		opts.Contacts = 250
	}
	if len(opts.APIKeys) == 0 {
		opts.APIKeys = []string{testKey}
	}
	clock := newFakeClock()
	opts.Now = clock.Now
	sim := keapsim.New(t, opts)
	env := &simEnv{sim: sim, logs: &syncBuffer{}}
	env.client = newSimClient(t, sim, env.logs, func(c *Config) {
		c.Clock = clock
		if mod != nil {
			mod(c)
		}
	})
	return env
}

func newSimClient(t *testing.T, sim *keapsim.Server, logs *syncBuffer, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:    sim.URL(),
		Account:    "sim",
		Credential: NewAPIKey(sim.APIKey()),
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listAll pages through s and returns every record. The external tests
// use it too (export_test.go).
func listAll(t *testing.T, c *Client, s Stream, req PageRequest) []Record {
	t.Helper()
	var all []Record
	for range 1000 {
		page, err := c.ListPage(context.Background(), s, req)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Records...)
		if page.Done {
			return all
		}
		req.Cursor = page.Next
	}
	t.Fatal("listing did not end")
	return nil
}

func TestClient_ListsEveryContactFromSimulator(t *testing.T) {
	t.Parallel()
	env := newSimEnv(t, keapsim.Options{}, nil)
	contacts := mustStream(t, "contacts")
	recs := listAll(t, env.client, contacts, PageRequest{PageSize: 100})
	if len(recs) != 250 {
		t.Fatalf("%d contacts, want 250", len(recs))
	}
	seen := map[int64]bool{}
	for _, r := range recs {
		if seen[r.ID] {
			t.Fatalf("contact %d twice", r.ID)
		}
		seen[r.ID] = true
		if r.Updated.IsZero() {
			t.Fatalf("contact %d has no update time", r.ID)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(r.Raw, &fields); err != nil {
			t.Fatal(err)
		}
		// fields= asked for custom fields and tag ids: they must be there.
		if _, ok := fields["custom_fields"]; !ok {
			t.Fatalf("contact %d lacks custom_fields: %d", r.ID, r.Raw)
		}
		if _, ok := fields["tag_ids"]; !ok {
			t.Fatalf("contact %d lacks tag_ids", r.ID)
		}
	}
	if st := env.sim.Stats(); st.Requests != 3 || st.Rejected != 0 {
		t.Fatalf("sim stats %+v, want 3 requests and no 429", st)
	}
	if q := env.client.Quota(); q.DayUsed != 3 || q.WindowLimit != 120 {
		t.Fatalf("latest quota reading %+v", q)
	}
}

func TestClient_TimeFilterAndKeysetAgainstSimulator(t *testing.T) {
	t.Parallel()
	env := newSimEnv(t, keapsim.Options{}, nil)
	contacts := mustStream(t, "contacts")
	all := listAll(t, env.client, contacts, PageRequest{})
	if len(all) != 250 {
		t.Fatalf("%d contacts", len(all))
	}
	// Pick bounds inside the data, at millisecond precision.
	since, until := all[40].Updated, all[40].Updated
	for _, r := range all[:100] {
		if r.Updated.Before(since) {
			since = r.Updated
		}
		if r.Updated.After(until) {
			until = r.Updated
		}
	}
	afterID := all[9].ID
	after := afterID
	want := map[int64]bool{}
	for _, r := range all {
		id := r.ID
		if !r.Updated.Before(since) && !r.Updated.After(until) && id > after {
			want[r.ID] = true
		}
	}
	// v2 renders update times to the second but filters to the
	// millisecond: a record shown at until may have been updated up to
	// 999ms later, so the upper bound covers that second.
	got := listAll(t, env.client, contacts, PageRequest{Since: since, Until: until.Add(999 * time.Millisecond), AfterID: afterID, PageSize: 50})
	if len(got) != len(want) {
		t.Fatalf("filtered listing returned %d contacts, want %d", len(got), len(want))
	}
	var prev int64
	for _, r := range got {
		if !want[r.ID] {
			t.Fatalf("contact %d (updated %v) outside the filter", r.ID, r.Updated)
		}
		id := r.ID
		if id <= prev {
			t.Fatalf("ids not ascending: %d after %d", id, prev)
		}
		prev = id
	}
}

func TestClient_V1OffsetPagingAgainstSimulator(t *testing.T) {
	t.Parallel()
	env := newSimEnv(t, keapsim.Options{}, nil)
	var pages []*Page
	req := PageRequest{PageSize: 100}
	for {
		page, err := env.client.ListPage(context.Background(), v1Contacts, req)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
		if page.Done {
			break
		}
		req.Cursor = page.Next
	}
	if len(pages) != 3 || pages[0].Count != 250 || len(pages[2].Records) != 50 {
		t.Fatalf("%d pages, count %d", len(pages), pages[0].Count)
	}
	ids := map[int64]bool{}
	for _, p := range pages {
		for _, r := range p.Records {
			ids[r.ID] = true
			if r.Updated.IsZero() {
				t.Fatalf("v1 contact %d: last_updated not parsed", r.ID)
			}
		}
	}
	if len(ids) != 250 || env.sim.Stats().Requests != 3 {
		t.Fatalf("%d distinct ids in %d requests", len(ids), env.sim.Stats().Requests)
	}
}

func TestClient_CustomFieldModelIsOneCall(t *testing.T) {
	t.Parallel()
	env := newSimEnv(t, keapsim.Options{}, nil)
	for _, name := range []string{"contact_custom_fields", "company_custom_fields", "opportunity_custom_fields", "order_custom_fields"} {
		page, err := env.client.ListPage(context.Background(), mustStream(t, name), PageRequest{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !page.Done || len(page.Records) == 0 {
			t.Fatalf("%s: done %v, %d records", name, page.Done, len(page.Records))
		}
	}
	if n := env.sim.Stats().Requests; n != 4 {
		t.Fatalf("%d requests for 4 models", n)
	}
}

func TestClient_QuotaExhaustedMakesNoNetworkCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tags := mustStream(t, "contact_custom_fields")

	t.Run("known from the configuration", func(t *testing.T) {
		t.Parallel()
		env := newSimEnv(t, keapsim.Options{}, func(c *Config) { c.Quota.PerDay, c.Quota.Reserve = 3, 1 })
		for range 2 {
			if _, err := env.client.ListPage(ctx, tags, PageRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := env.client.ListPage(ctx, tags, PageRequest{})
		if _, ok := QuotaRetryAt(err); !ok {
			t.Fatalf("err = %v, want a quota error", err)
		}
		if n := env.sim.Stats().Requests; n != 2 {
			t.Fatalf("simulator saw %d requests, want 2", n)
		}
	})

	t.Run("known from Keap's headers", func(t *testing.T) {
		t.Parallel()
		env := newSimEnv(t, keapsim.Options{PerDay: 3}, nil)
		for range 3 {
			if _, err := env.client.ListPage(ctx, tags, PageRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		before := env.sim.Stats()
		for range 5 {
			_, err := env.client.ListPage(ctx, tags, PageRequest{})
			var qe *QuotaError
			// Keap's reset, and the day's margin.
			want := before.DayResetAt.Add(env.client.QuotaConfig().DayResetMargin)
			if !errors.As(err, &qe) || qe.Window != WindowDay || !qe.RetryAt.Equal(want) {
				t.Fatalf("err = %v, want a day quota error until %v", err, want)
			}
		}
		if after := env.sim.Stats(); after.Requests != before.Requests || after.Rejected != 0 {
			t.Fatalf("requests %d -> %d, rejected %d: want no network call", before.Requests, after.Requests, after.Rejected)
		}
	})
}

func TestClient_SimulatorRateLimitsAreClassifiedAndObeyed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  keapsim.Options
		cause RateLimitCause
	}{
		{"apigee minute", keapsim.Options{PerSecond: -1, PerMinute: 2}, CauseMinute},
		{"v2 minute with Retry-After", keapsim.Options{PerSecond: -1, PerMinute: 2, RateLimitBody: keapsim.RateLimitBodyV2, RetryAfter: true}, CauseMinute},
		{"apigee day", keapsim.Options{PerSecond: -1, PerDay: 2}, CauseDay},
		{"apigee spike", keapsim.Options{PerSecond: 1, Second: time.Hour}, CauseSpike},
		{"v2 spike", keapsim.Options{PerSecond: 1, Second: time.Hour, RateLimitBody: keapsim.RateLimitBodyV2}, CauseSpike},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			model := mustStream(t, "contact_custom_fields")
			opts := tt.opts
			opts.Contacts, opts.APIKeys = 20, []string{testKey}
			sim := keapsim.New(t, opts)
			// Another integration spends the quota the simulator allows...
			other := newSimClient(t, sim, &syncBuffer{}, func(c *Config) { c.Account = "other" })
			for range 2 {
				if _, err := other.ListPage(ctx, model, PageRequest{}); err != nil && tt.cause != CauseSpike {
					t.Fatal(err)
				}
			}
			// ...so our client, with a fresh budget, meets a 429.
			logs := &syncBuffer{}
			c := newSimClient(t, sim, logs, func(c *Config) { c.Quota.MaxWait = time.Second })
			_, err := c.ListPage(ctx, model, PageRequest{})
			var qe *QuotaError
			var rle *RateLimitError
			if !errors.As(err, &qe) || !errors.As(err, &rle) || rle.Cause != tt.cause {
				t.Fatalf("err = %v, want a quota error from a %s 429", err, tt.cause)
			}
			if !qe.RetryAt.After(time.Now()) {
				t.Fatalf("retry at %v is not in the future", qe.RetryAt)
			}
			// The 429 is remembered: the next call makes no request.
			before := sim.Stats().Requests
			if _, err := c.ListPage(ctx, model, PageRequest{}); !errors.As(err, &qe) {
				t.Fatalf("second call: %v", err)
			}
			if after := sim.Stats().Requests; after != before {
				t.Fatalf("second call reached the simulator (%d -> %d)", before, after)
			}
			if !strings.Contains(logs.String(), "cause="+string(tt.cause)) {
				t.Fatalf("429 not logged with its cause:\n%s", logs.String())
			}
		})
	}
}

func TestClient_RejectedKeyAgainstSimulator(t *testing.T) {
	t.Parallel()
	env := newSimEnv(t, keapsim.Options{}, func(c *Config) { c.Credential = NewAPIKey("not-the-key") })
	_, err := env.client.ListPage(context.Background(), mustStream(t, "contacts"), PageRequest{})
	if !IsAuth(err) || !IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent auth error", err)
	}
	if strings.Contains(err.Error(), "not-the-key") || strings.Contains(env.logs.String(), "not-the-key") {
		t.Fatal("rejected key revealed")
	}
	if n := env.sim.Stats().Requests; n != 1 {
		t.Fatalf("%d requests: a rejected key must not be retried", n)
	}
}

func TestClient_RecoversFromSimulatorFaults(t *testing.T) {
	t.Parallel()
	env := newSimEnv(t, keapsim.Options{
		Faults: []keapsim.Fault{
			{Kind: keapsim.FaultReset, Request: 1},
			{Kind: keapsim.FaultTruncated, Request: 2},
			{Kind: keapsim.Fault502, Request: 3},
			{Kind: keapsim.Fault500, Request: 4},
			{Kind: keapsim.FaultContentType, Request: 5},
		},
	}, func(c *Config) {
		c.Retry = RetryConfig{MaxAttempts: 6, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}
	})
	page, err := env.client.ListPage(context.Background(), mustStream(t, "contacts"), PageRequest{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 10 {
		t.Fatalf("%d records", len(page.Records))
	}
	if st := env.sim.Stats(); st.Requests != 5 || st.Rejected != 0 {
		t.Fatalf("sim stats %+v: want 5 requests (4 faults, then a mislabelled but good body)", st)
	}
}

func TestClient_ReadsEveryCatalogueStreamFromSimulator(t *testing.T) {
	t.Parallel()
	// Quotas off on both sides: this test is about reading, and the
	// catalogue costs a few dozen calls.
	env := newSimEnv(t, keapsim.Options{Contacts: 400, PerSecond: -1, PerMinute: -1},
		func(c *Config) { c.Quota.PerSecond, c.Quota.PerMinute = -1, -1 })
	for _, s := range Streams {
		t.Run(s.Name, func(t *testing.T) {
			// Small pages, so every paginated stream spans several.
			size := 0
			if s.Mode != ModeSingle {
				size = min(s.MaxPageSize, 7)
			}
			before := env.sim.Stats().Requests
			all := listAll(t, env.client, s, PageRequest{PageSize: size})
			if len(all) == 0 {
				t.Fatal("no records")
			}
			if calls := env.sim.Stats().Requests - before; size > 0 && calls < int64((len(all)+size-1)/size) {
				t.Fatalf("%d records in %d calls of %d", len(all), calls, size)
			}
			ids := map[int64]bool{}
			for _, r := range all {
				if ids[r.ID] {
					t.Fatalf("id %d twice", r.ID)
				}
				ids[r.ID] = true
				if s.UpdatedField != "" && r.Updated.IsZero() {
					t.Fatalf("record %d: no %s", r.ID, s.UpdatedField)
				}
			}
			if s.Mode == ModeUpdateOrder {
				for i := 1; i < len(all); i++ {
					if all[i].Updated.After(all[i-1].Updated) {
						t.Fatalf("not in descending update order at %d", i)
					}
				}
			}
			if s.Mode == ModeTimeFilter {
				checkTimeFilter(t, env.client, s, all)
			}
			if s.AfterIDFilter != "" {
				checkKeyset(t, env.client, s, all)
			}
		})
	}
}

// checkTimeFilter lists s from the median update time on and checks that
// exactly the records updated since then come back. Update times are
// rendered to the second and filtered to the millisecond, so the bound is
// a whole second and the comparison allows for the second it falls in.
func checkTimeFilter(t *testing.T, c *Client, s Stream, all []Record) {
	t.Helper()
	times := make([]time.Time, len(all))
	for i, r := range all {
		times[i] = filterTime(t, s, r)
	}
	slices.SortFunc(times, time.Time.Compare)
	since := times[len(times)/2].Truncate(time.Second).Add(time.Second)
	got := listAll(t, c, s, PageRequest{Since: since, Until: time.Now().Add(time.Hour), PageSize: min(s.MaxPageSize, 50)})
	want := 0
	for _, tm := range times {
		if !tm.Before(since) {
			want++
		}
	}
	if len(got) != want {
		t.Fatalf("since %v: %d records, want %d", since, len(got), want)
	}
	for _, r := range got {
		if tm := filterTime(t, s, r); tm.Before(since) {
			t.Fatalf("record %d at %v, before since %v", r.ID, tm, since)
		}
	}
}

// filterTime is the time s's time filter bounds in r: its update time, or
// for a stream filtered on creation (emails) its CreatedField, read from
// the record (the client does not decode it: nothing needs it).
func filterTime(tb testing.TB, s Stream, r Record) time.Time {
	tb.Helper()
	if s.UpdatedField != "" || s.CreatedField == "" {
		return r.Updated
	}
	var fields map[string]json.RawMessage
	var text string
	if err := json.Unmarshal(r.Raw, &fields); err != nil || json.Unmarshal(fields[s.CreatedField], &text) != nil {
		tb.Fatalf("record %d has no %s: %s", r.ID, s.CreatedField, r.Raw)
	}
	tm, err := ParseTime(text)
	if err != nil {
		tb.Fatal(err)
	}
	return tm
}

// checkKeyset lists s after its median id and checks that exactly the
// greater ids come back, ascending.
func checkKeyset(t *testing.T, c *Client, s Stream, all []Record) {
	t.Helper()
	ids := make([]int64, 0, len(all))
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	after := ids[len(ids)/2]
	got := listAll(t, c, s, PageRequest{AfterID: after, PageSize: min(s.MaxPageSize, 50)})
	if want := len(ids) - len(ids)/2 - 1; len(got) != want {
		t.Fatalf("after id %d: %d records, want %d", after, len(got), want)
	}
	prev := after
	for _, r := range got {
		id := r.ID
		if id <= prev {
			t.Fatalf("id %d after %d: not ascending above the keyset", id, prev)
		}
		prev = id
	}
}
