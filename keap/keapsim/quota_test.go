package keapsim_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

func headerInt(t *testing.T, r response, name string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(r.header.Get(name), 10, 64)
	if err != nil {
		t.Fatalf("header %s = %q: %v", name, r.header.Get(name), err)
	}
	return v
}

func TestQuota_SpikeArrestRejectsRequestsCloserThanNinetyPercentOfTheInterval(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: 5, Now: c.Now})
	if r := get(t, s, "/v2/contacts/model"); r.status != http.StatusOK {
		t.Fatalf("first request: %d", r.status)
	}
	c.Advance(179 * time.Millisecond) // interval 200ms, tolerance 180ms
	r := get(t, s, "/v2/contacts/model")
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("request 179ms later: status %d, want 429", r.status)
	}
	c.Advance(1 * time.Millisecond)
	if r := get(t, s, "/v2/contacts/model"); r.status != http.StatusOK {
		t.Fatalf("request 180ms after the last accepted one: %d, want 200", r.status)
	}
	st := s.Stats()
	if st.Requests != 3 || st.Accepted != 2 || st.Rejected != 1 || st.RejectedSpike != 1 {
		t.Fatalf("stats = %+v", st)
	}
	if got := r.header.Get("X-Keap-Product-Spike-Limit"); got != "5ps" {
		t.Fatalf("spike limit header %q", got)
	}
}

func TestQuota_RollingMinuteCountsOnlyAcceptedRequests(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1, PerMinute: 3, Now: c.Now})
	for i := range 3 {
		r := get(t, s, "/v2/contacts/model")
		if r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i, r.status)
		}
		if used, avail := headerInt(t, r, "X-Keap-Product-Throttle-Used"), headerInt(t, r, "X-Keap-Product-Throttle-Available"); used != int64(i+1) || avail != int64(2-i) {
			t.Fatalf("request %d: throttle used %d available %d", i, used, avail)
		}
		c.Advance(10 * time.Second)
	}
	// At 30s three requests sit in (−30s, 30s]: rejected, twice; neither counts.
	for range 2 {
		r := get(t, s, "/v2/contacts/model")
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("4th request in the minute: %d", r.status)
		}
		if used := headerInt(t, r, "X-Keap-Product-Throttle-Used"); used != 3 {
			t.Fatalf("a 429 consumed quota: used %d", used)
		}
		if used := headerInt(t, r, "X-Keap-Product-Quota-Used"); used != 3 {
			t.Fatalf("a 429 consumed the daily quota: used %d", used)
		}
	}
	// The window is half-open: at exactly 60s the first request (t=0) has left it.
	c.Advance(30 * time.Second)
	r := get(t, s, "/v2/contacts/model")
	if r.status != http.StatusOK {
		t.Fatalf("request at 60s: %d", r.status)
	}
	if used := headerInt(t, r, "X-Keap-Product-Throttle-Used"); used != 3 {
		t.Fatalf("throttle used at 60s = %d, want 3 (10s, 20s, 60s)", used)
	}
	st := s.Stats()
	if st.RejectedMinute != 2 || st.Rejected != 2 || st.PeakMinute != 3 || st.Accepted != 4 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestQuota_TenantThrottleRejectsWithItsOwnCause(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1, PerMinute: -1, TenantPerMinute: 2, Now: c.Now})
	get(t, s, "/v2/contacts/model")
	r := get(t, s, "/v2/contacts/model")
	if got := headerInt(t, r, "X-Keap-Tenant-Throttle-Available"); got != 0 {
		t.Fatalf("tenant available = %d", got)
	}
	if r := get(t, s, "/v2/contacts/model"); r.status != http.StatusTooManyRequests {
		t.Fatalf("3rd: %d", r.status)
	}
	if st := s.Stats(); st.RejectedTenant != 1 || st.Rejected != 1 {
		t.Fatalf("stats = %+v", st)
	}
	if got := r.header.Get("X-Keap-Tenant-Id"); got != "ab123.infusionsoft.com" {
		t.Fatalf("tenant id %q", got)
	}
}

func TestQuota_DailyQuotaResetsAtUTCMidnight(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC))
	s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1, PerDay: 2, Now: c.Now})
	midnight := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).UnixMilli()
	var last response
	for i := range 2 {
		last = get(t, s, "/v2/contacts/model")
		if last.status != http.StatusOK {
			t.Fatalf("request %d: %d", i, last.status)
		}
		if got := headerInt(t, last, "X-Keap-Product-Quota-Available"); got != int64(1-i) {
			t.Fatalf("request %d: available %d", i, got)
		}
	}
	if got := headerInt(t, last, "X-Keap-Product-Quota-Expiry-Time"); got != midnight {
		t.Fatalf("expiry %d, want %d", got, midnight)
	}
	if r := get(t, s, "/v2/contacts/model"); r.status != http.StatusTooManyRequests {
		t.Fatalf("3rd request of the day: %d", r.status)
	}
	c.Advance(59*time.Second + 999*time.Millisecond)
	if r := get(t, s, "/v2/contacts/model"); r.status != http.StatusTooManyRequests {
		t.Fatalf("1ms before midnight: %d", r.status)
	}
	c.Advance(time.Millisecond)
	r := get(t, s, "/v2/contacts/model")
	if r.status != http.StatusOK {
		t.Fatalf("at midnight: %d", r.status)
	}
	if got := headerInt(t, r, "X-Keap-Product-Quota-Used"); got != 1 {
		t.Fatalf("used after reset %d", got)
	}
	if got := headerInt(t, r, "X-Keap-Product-Quota-Expiry-Time"); got != midnight+86_400_000 {
		t.Fatalf("next expiry %d", got)
	}
	if st := s.Stats(); st.RejectedDay != 2 || st.DayUsed != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestQuota_ShortDayLengthResetsFromStart(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	c := newClock(start)
	s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1, PerDay: 1, DayLength: time.Minute, Now: c.Now})
	r := get(t, s, "/v2/contacts/model")
	if got := headerInt(t, r, "X-Keap-Product-Quota-Expiry-Time"); got != start.Add(time.Minute).UnixMilli() {
		t.Fatalf("expiry %d", got)
	}
	if r := get(t, s, "/v2/contacts/model"); r.status != http.StatusTooManyRequests {
		t.Fatalf("2nd: %d", r.status)
	}
	c.Advance(time.Minute)
	if r := get(t, s, "/v2/contacts/model"); r.status != http.StatusOK {
		t.Fatalf("next day: %d", r.status)
	}
}

func TestQuota_EveryResponseCarriesAllHeaders(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1})
	names := []string{
		"X-Keap-Product-Quota-Limit", "X-Keap-Product-Quota-Used", "X-Keap-Product-Quota-Available",
		"X-Keap-Product-Quota-Time-Unit", "X-Keap-Product-Quota-Interval", "X-Keap-Product-Quota-Expiry-Time",
		"X-Keap-Product-Throttle-Limit", "X-Keap-Product-Throttle-Used", "X-Keap-Product-Throttle-Available",
		"X-Keap-Product-Throttle-Time-Unit", "X-Keap-Product-Throttle-Interval", "X-Keap-Product-Spike-Limit",
		"X-Keap-Tenant-Id", "X-Keap-Tenant-Throttle-Limit", "X-Keap-Tenant-Throttle-Used",
		"X-Keap-Tenant-Throttle-Available", "X-Keap-Tenant-Throttle-Time-Unit", "X-Keap-Tenant-Throttle-Interval",
	}
	cases := map[string]response{
		"200": get(t, s, "/v2/contacts?page_size=1"),
		"400": get(t, s, "/v2/contacts?filter=nope%3D%3D1"),
		"401": do(t, s, http.MethodGet, "/v2/contacts", "wrong-key", ""),
		"404": get(t, s, "/v2/nowhere"),
	}
	for name, r := range cases {
		for _, h := range names {
			if _, ok := r.header[h]; !ok {
				t.Errorf("%s response lacks %s", name, h)
			}
		}
	}
	r := cases["200"]
	if r.header.Get("X-Keap-Product-Quota-Time-Unit") != "day" || r.header.Get("X-Keap-Product-Throttle-Time-Unit") != "minute" ||
		r.header.Get("X-Keap-Product-Quota-Limit") != "15000" || r.header.Get("X-Keap-Product-Throttle-Limit") != "120" {
		t.Fatalf("header values: %v", r.header)
	}
}

func TestQuota_RetryAfterAndBodyShapes(t *testing.T) {
	t.Parallel()
	for _, shape := range []string{keapsim.RateLimitBodyApigee, keapsim.RateLimitBodyV2} {
		c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1, PerMinute: 1, RetryAfter: true, RateLimitBody: shape, Now: c.Now})
		get(t, s, "/v2/contacts/model")
		c.Advance(20 * time.Second)
		r := get(t, s, "/v2/contacts/model")
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("%s: status %d", shape, r.status)
		}
		if got := r.header.Get("Retry-After"); got != "40" {
			t.Fatalf("%s: Retry-After %q, want 40", shape, got)
		}
		m := decode(t, r)
		switch shape {
		case keapsim.RateLimitBodyV2:
			if m["code"] != "429" || m["status"] != "Request Throttled" {
				t.Fatalf("v2 body %s", r.body)
			}
		default:
			fault, _ := m["fault"].(map[string]any)
			detail, _ := fault["detail"].(map[string]any)
			if detail["errorcode"] != "policies.ratelimit.QuotaViolation" {
				t.Fatalf("apigee body %s", r.body)
			}
		}
	}
}

func TestQuota_PeaksAndSimStatsEndpoint(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := keapsim.New(t, keapsim.Options{Contacts: 10, PerSecond: -1, PerMinute: -1, Now: c.Now})
	for range 4 {
		get(t, s, "/v2/contacts/model")
		c.Advance(100 * time.Millisecond)
	}
	c.Advance(2 * time.Second)
	get(t, s, "/v2/contacts/model")
	res, err := http.Get(s.URL()[:len(s.URL())-len("/crm/rest")] + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st keapsim.Stats
	if err := jsonDecode(res, &st); err != nil {
		t.Fatal(err)
	}
	if st.PeakSecond != 4 || st.PeakMinute != 5 || st.Requests != 5 {
		t.Fatalf("stats = %+v", st)
	}
	if again := s.Stats(); again.Requests != 5 {
		t.Fatalf("/_sim/stats was counted: %+v", again)
	}
	// Every accepted request's arrival, on the simulator's clock.
	res, err = http.Get(s.URL()[:len(s.URL())-len("/crm/rest")] + "/_sim/arrivals")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var arrivals []time.Time
	if err := jsonDecode(res, &arrivals); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 2400 * time.Millisecond}
	if len(arrivals) != len(want) {
		t.Fatalf("arrivals %v", arrivals)
	}
	for i, d := range want {
		if !arrivals[i].Equal(start.Add(d)) {
			t.Fatalf("arrival %d at %v, want %v", i, arrivals[i], start.Add(d))
		}
	}
}
