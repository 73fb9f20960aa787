package keap

import (
	"net/http"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/internal/fakeclock"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestParseQuotaHeaders(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	midnight := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want QuotaReading
	}{
		{
			name: "none",
			h:    http.Header{},
			want: QuotaReading{At: at, DayLimit: -1, DayUsed: -1, DayAvailable: -1, WindowLimit: -1, WindowUsed: -1, WindowAvailable: -1, TenantLimit: -1, TenantUsed: -1, TenantAvailable: -1},
		},
		{
			name: "all, lower-case as Keap sends them",
			h: http.Header{
				"x-keap-product-quota-limit":        {"15000"},
				"x-keap-product-quota-used":         {"12"},
				"x-keap-product-quota-available":    {"14988"},
				"x-keap-product-quota-expiry-time":  {"1767398400000"},
				"x-keap-product-throttle-limit":     {"120"},
				"x-keap-product-throttle-used":      {"7"},
				"x-keap-product-throttle-available": {"113"},
				"x-keap-product-spike-limit":        {"10ps"},
				"x-keap-tenant-id":                  {"ab123.infusionsoft.com"},
				"x-keap-tenant-throttle-limit":      {"10000"},
				"x-keap-tenant-throttle-used":       {"9"},
				"x-keap-tenant-throttle-available":  {"9991"},
			},
			want: QuotaReading{At: at, DayLimit: 15000, DayUsed: 12, DayAvailable: 14988, DayResetAt: midnight,
				WindowLimit: 120, WindowUsed: 7, WindowAvailable: 113, TenantLimit: 10000, TenantUsed: 9, TenantAvailable: 9991,
				SpikeLimit: "10ps", TenantID: "ab123.infusionsoft.com"},
		},
		{
			name: "canonical case, decimals and garbage",
			h: header("X-Keap-Product-Quota-Limit", "15000.0", "X-Keap-Product-Quota-Used", "-3",
				"X-Keap-Product-Quota-Available", "lots", "X-Keap-Product-Quota-Expiry-Time", "tomorrow",
				"X-Keap-Product-Throttle-Limit", " 120 ", "X-Keap-Product-Throttle-Used", "99999999999999999999",
				"X-Keap-Product-Spike-Limit", ""),
			want: QuotaReading{At: at, DayLimit: 15000, DayUsed: -1, DayAvailable: -1, WindowLimit: 120, WindowUsed: -1, WindowAvailable: -1, TenantLimit: -1, TenantUsed: -1, TenantAvailable: -1},
		},
	}
	for _, tt := range tests {
		got := ParseQuotaHeaders(tt.h, at)
		if got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
		{"99999999999", 0, false},
		{"Fri, 02 Jan 2026 03:04:35 GMT", 30 * time.Second, true},
		{"Fri, 02 Jan 2026 03:00:00 GMT", 0, true}, // in the past: no wait
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(header("Retry-After", tt.v), now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Retry-After %q = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSpikePerUnit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v         string
		n         int64
		perMinute bool
		ok        bool
	}{
		{"10ps", 10, false, true},
		{"5PS", 5, false, true},
		{"600pm", 600, true, true},
		{"", 0, false, false},
		{"ps", 0, false, false},
		{"0ps", 0, false, false},
		{"-5ps", 0, false, false},
		{"10", 0, false, false},
	}
	for _, tt := range tests {
		n, pm, ok := spikePerUnit(tt.v)
		if n != tt.n || pm != tt.perMinute || ok != tt.ok {
			t.Errorf("spikePerUnit(%q) = %d, %v, %v", tt.v, n, pm, ok)
		}
	}
}

func FuzzQuotaHeaders(f *testing.F) {
	f.Add("15000", "12", "14988", "1767398400000", "120", "7", "113", "10ps", "30")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Add("1e9", "-1", "0", "99999999999999999999", "12.0", " 5 ", "x", "0pm", "Fri, 02 Jan 2026 03:04:35 GMT")
	f.Fuzz(func(t *testing.T, limit, used, avail, expiry, tlimit, tused, tavail, spike, retryAfter string) {
		h := http.Header{}
		h.Set(headerQuotaLimit, limit)
		h.Set(headerQuotaUsed, used)
		h.Set(headerQuotaAvailable, avail)
		h.Set(headerQuotaExpiry, expiry)
		h.Set(headerThrottleLimit, tlimit)
		h.Set(headerThrottleUsed, tused)
		h.Set(headerThrottleAvailable, tavail)
		h.Set(headerSpikeLimit, spike)
		h.Set(headerRetryAfter, retryAfter)
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		r := ParseQuotaHeaders(h, now)
		for _, n := range []int64{r.DayLimit, r.DayUsed, r.DayAvailable, r.WindowLimit, r.WindowUsed, r.WindowAvailable} {
			if n < -1 || n > maxPlausibleQuotaCount {
				t.Fatalf("count %d out of range", n)
			}
		}
		if d, ok := parseRetryAfter(h, now); ok && (d < 0 || d > maxPlausibleRetryAfter) {
			t.Fatalf("Retry-After %q read as %v", retryAfter, d)
		}
		if n, _, ok := spikePerUnit(spike); ok && n <= 0 {
			t.Fatalf("spike %q read as %d", spike, n)
		}
		// Whatever the headers say, the governor must digest them and
		// never stop calls for longer than about a day, nor space them
		// further apart than a second.
		clock := fakeclock.New(now)
		cfg := Config{Account: "a", Credential: NewAPIKey("k"), Clock: clock}.withDefaults()
		g := newGovernor(cfg)
		_ = g.observe(t.Context(), r)
		rle := classifyRateLimit(h, r, errorBody{}, now)
		_ = g.penalize(t.Context(), now, rle)
		longest := g.plausibleDayAhead() + cfg.Quota.DayResetMargin
		for range 2 {
			_, _, err := g.reserve(t.Context(), false)
			if at, ok := QuotaRetryAt(err); ok && at.After(now.Add(longest)) {
				t.Fatalf("after %+v and its 429, calls stop until %v", r, at)
			} else if err != nil && !ok {
				t.Fatalf("after %+v: %v", r, err)
			}
		}
		if d := clock.Now().Sub(now); d > cfg.Quota.MaxWait {
			t.Fatalf("after %+v two calls took %v", r, d)
		}
	})
}
