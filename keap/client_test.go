package keap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "sk-SECRET-7f3a9c1e"

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeEnv is a client on a fake clock talking to a test handler, so
// backoffs and quota waits take no real time.
type fakeEnv struct {
	client   *Client
	clock    *fakeClock
	logs     *syncBuffer
	requests atomic.Int64
}

func newFakeEnv(t *testing.T, h http.HandlerFunc, mod func(*Config)) *fakeEnv {
	t.Helper()
	env := &fakeEnv{clock: newFakeClock(), logs: &syncBuffer{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env.requests.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := Config{
		BaseURL:    srv.URL + "/crm/rest",
		Account:    "test",
		Credential: NewAPIKey(testKey),
		Clock:      env.clock,
		Logger:     slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.client = c
	return env
}

var testStream = Stream{Name: "things", Version: V2, Path: "/v2/things", RecordsKey: "things", MaxPageSize: 1000, Mode: ModeFullScan, IDField: "id", UpdatedField: "update_time"}

func okPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"things":[{"id":"1","update_time":"2025-01-02T03:04:05Z"}],"next_page_token":""}`))
}

func TestNew_ValidatesConfig(t *testing.T) {
	t.Parallel()
	valid := func() Config { return Config{Account: "a", Credential: NewAPIKey("k")} }
	tests := []struct {
		field string
		mod   func(*Config)
	}{
		{"BaseURL", func(c *Config) { c.BaseURL = "api.keap.com/crm/rest" }},
		{"BaseURL", func(c *Config) { c.BaseURL = "ftp://api.keap.com" }},
		{"BaseURL", func(c *Config) { c.BaseURL = "https://u:p@api.keap.com" }},
		{"Account", func(c *Config) { c.Account = " " }},
		{"Credential", func(c *Config) { c.Credential = nil }},
		{"Credential", func(c *Config) { c.Credential = NewAPIKey("") }},
		{"Credential", func(c *Config) { c.Credential = APIKey{} }},
		{"Quota.Reserve", func(c *Config) { c.Quota.Reserve = 15_000 }},
		{"Quota.Reserve", func(c *Config) { c.Quota.Reserve = -1 }},
		{"Quota.BackgroundShare", func(c *Config) { c.Quota.BackgroundShare = 1.5 }},
		{"Quota.BackgroundShare", func(c *Config) { c.Quota.BackgroundShare = -0.1 }},
		{"Quota.MaxWait", func(c *Config) { c.Quota.MaxWait = -time.Second }},
		{"Quota.DayLength", func(c *Config) { c.Quota.DayLength = -time.Hour }},
		{"Timeouts.Request", func(c *Config) { c.Timeouts.Request = -1 }},
		{"Retry.MaxAttempts", func(c *Config) { c.Retry.MaxAttempts = -2 }},
		{"MaxBodyBytes", func(c *Config) { c.MaxBodyBytes = -1 }},
	}
	for _, tt := range tests {
		cfg := valid()
		tt.mod(&cfg)
		_, err := New(cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: err = %v, want a ConfigError on %s", tt.field, err, tt.field)
		}
		if !IsPermanent(err) {
			t.Errorf("%s: config errors must be permanent", tt.field)
		}
	}
	if _, err := New(valid()); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestNew_Defaults(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Account: "a", Credential: NewAPIKey("k")})
	if err != nil {
		t.Fatal(err)
	}
	q := c.cfg.Quota
	if c.cfg.BaseURL != DefaultBaseURL || q.PerSecond != 5 || q.PerMinute != 120 || q.PerDay != 15_000 ||
		q.Second != time.Second || q.Minute != time.Minute || q.DayLength != 0 || q.MaxWait != 66*time.Second ||
		q.WindowMargin != 600*time.Millisecond || q.SpacingMargin != 100*time.Millisecond || q.BackgroundShare != 0.9 {
		t.Fatalf("defaults: %+v %+v", c.cfg.BaseURL, q)
	}
	if _, ok := c.cfg.Store.(*MemoryQuotaStore); !ok {
		t.Fatalf("default store is %T", c.cfg.Store)
	}
}

func TestAPIKey_NeverRevealed(t *testing.T) {
	t.Parallel()
	key := NewAPIKey(testKey)
	cfg := Config{Account: "a", Credential: key}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		out = append(out, fmt.Sprintf(verb, key), fmt.Sprintf(verb, &key), fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, c))
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(js))
	var logs syncBuffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("config", "key", key, "cfg", cfg, "client", c)
		l.Info("ptr", "key", &key)
	}
	out = append(out, logs.String())
	for _, s := range out {
		if strings.Contains(s, testKey) || strings.Contains(s, fmt.Sprintf("%x", testKey)) {
			t.Fatalf("key revealed in %q", s)
		}
	}
	if !strings.Contains(fmt.Sprint(key), "[redacted]") {
		t.Fatalf("String() = %q", fmt.Sprint(key))
	}
	// The key still works where it is meant to.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if err := key.Apply(context.Background(), req); err != nil || req.Header.Get("X-Keap-API-Key") != testKey {
		t.Fatalf("Apply: %v, header %q", err, req.Header.Get("X-Keap-API-Key"))
	}
}

func TestClient_SendsKeyUserAgentAndAccept(t *testing.T) {
	t.Parallel()
	var got http.Header
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		okPage(w)
	}, func(c *Config) { c.UserAgent = "keapsync-test/1" })
	if _, err := env.client.ListPage(context.Background(), testStream, PageRequest{}); err != nil {
		t.Fatal(err)
	}
	if got.Get("X-Keap-API-Key") != testKey || got.Get("User-Agent") != "keapsync-test/1" || got.Get("Accept") != "application/json" {
		t.Fatalf("headers %v", got)
	}
}

func TestClient_RateLimitClassification(t *testing.T) {
	t.Parallel()
	const (
		apigeeQuota = `{"fault":{"faultstring":"Rate limit quota violation. Quota limit  exceeded. Identifier : x","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}`
		apigeeSpike = `{"fault":{"faultstring":"Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod=5}","detail":{"errorcode":"policies.ratelimit.SpikeArrestViolation"}}}`
		v2Body      = `{"code":"429","message":"Quota Exceeded","status":"Request Throttled","details":null}`
	)
	day := []string{"X-Keap-Product-Quota-Limit", "15000", "X-Keap-Product-Quota-Available", "0", "X-Keap-Product-Throttle-Available", "80"}
	minute := []string{"X-Keap-Product-Quota-Available", "9000", "X-Keap-Product-Throttle-Limit", "120", "X-Keap-Product-Throttle-Available", "0"}
	minuteByUsed := []string{"X-Keap-Product-Throttle-Limit", "120", "X-Keap-Product-Throttle-Used", "120"}
	tenant := []string{"X-Keap-Product-Quota-Available", "9000", "X-Keap-Product-Throttle-Available", "50", "X-Keap-Tenant-Throttle-Available", "0"}
	room := []string{"X-Keap-Product-Quota-Available", "9000", "X-Keap-Product-Throttle-Available", "50", "X-Keap-Tenant-Throttle-Available", "9000"}
	tests := []struct {
		name       string
		body       string
		headers    []string
		cause      RateLimitCause
		code       string
		retryAfter time.Duration
	}{
		{"apigee spike", apigeeSpike, nil, CauseSpike, "policies.ratelimit.SpikeArrestViolation", 0},
		{"apigee spike despite a full window", apigeeSpike, minute, CauseSpike, "policies.ratelimit.SpikeArrestViolation", 0},
		{"apigee day", apigeeQuota, day, CauseDay, "policies.ratelimit.QuotaViolation", 0},
		{"apigee minute", apigeeQuota, minute, CauseMinute, "policies.ratelimit.QuotaViolation", 0},
		{"apigee minute by used", apigeeQuota, minuteByUsed, CauseMinute, "policies.ratelimit.QuotaViolation", 0},
		{"apigee without headers", apigeeQuota, nil, CauseUnknown, "policies.ratelimit.QuotaViolation", 0},
		{"v2 day with Retry-After", v2Body, append([]string{"Retry-After", "3600"}, day...), CauseDay, "429", time.Hour},
		{"v2 minute", v2Body, minute, CauseMinute, "429", 0},
		{"v2 tenant", v2Body, tenant, CauseTenant, "429", 0},
		{"v2 with room everywhere is the spike arrest", v2Body, room, CauseSpike, "429", 0},
		{"v2 bare", v2Body, nil, CauseUnknown, "429", 0},
		{"v2 bare with Retry-After", v2Body, []string{"Retry-After", "7"}, CauseUnknown, "429", 7 * time.Second},
		{"empty body", "", nil, CauseUnknown, "", 0},
		{"html body", "<html><title>Too many</title></html>", nil, CauseUnknown, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
				for i := 0; i+1 < len(tt.headers); i += 2 {
					w.Header().Set(tt.headers[i], tt.headers[i+1])
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(tt.body))
			}, func(c *Config) { c.Retry.MaxAttempts = 1 })
			_, err := env.client.ListPage(context.Background(), testStream, PageRequest{})
			var qe *QuotaError
			var rle *RateLimitError
			if !errors.As(err, &qe) || !errors.As(err, &rle) {
				t.Fatalf("err = %v, want a *QuotaError wrapping a *RateLimitError", err)
			}
			if rle.Cause != tt.cause || rle.Code != tt.code || rle.RetryAfter != tt.retryAfter {
				t.Fatalf("got cause %s code %q retry-after %v; want %s %q %v", rle.Cause, rle.Code, rle.RetryAfter, tt.cause, tt.code, tt.retryAfter)
			}
			if qe.Window != causeWindow(tt.cause) || !qe.RetryAt.After(env.clock.Now().Add(-time.Nanosecond)) {
				t.Fatalf("QuotaError %+v", qe)
			}
			if IsPermanent(err) {
				t.Fatal("a 429 must not be permanent")
			}
		})
	}
}

func TestClient_Day429StopsAllCallsUntilReset(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Keap-Product-Quota-Available", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"code":"429","message":"Quota Exceeded","status":"Request Throttled","details":null}`))
	}, nil)
	ctx := context.Background()
	_, err := env.client.ListPage(ctx, testStream, PageRequest{})
	// Midnight, and the default DayResetMargin.
	afterMidnight := time.Date(2026, 3, 5, 0, 0, 2, 0, time.UTC)
	wantQuotaError(t, errors.Unwrap(err), WindowDay, afterMidnight)
	if n := env.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1: a day 429 must not be retried", n)
	}
	_, err = env.client.ListPage(ctx, testStream, PageRequest{})
	if _, ok := QuotaRetryAt(err); !ok || env.requests.Load() != 1 {
		t.Fatalf("second call: %v after %d requests, want a quota error and no request", err, env.requests.Load())
	}
}

func TestClient_Minute429WaitsAndRetries(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("X-Keap-Product-Throttle-Available", "0")
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"fault":{"faultstring":"Rate limit quota violation","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}`))
			return
		}
		okPage(w)
	}, nil)
	start := env.clock.Now()
	if _, err := env.client.ListPage(context.Background(), testStream, PageRequest{}); err != nil {
		t.Fatal(err)
	}
	waited := env.clock.Now().Sub(start)
	// The window was reported full: the retry waits a whole window (plus
	// margin), longer than Retry-After, and within the default MaxWait.
	if waited < time.Minute || waited > time.Minute+time.Second {
		t.Fatalf("retried after %v of fake time, want about one minute", waited)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d requests", calls.Load())
	}
}

func TestClient_RetriesServerErrorsWithBoundedJitteredBackoff(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"code":500,"message":"boom","status":"Internal Server Error","details":[]}`))
		case 2:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><title>Error 502 (Server Error)!!1</title></html>"))
		case 3:
			w.WriteHeader(http.StatusRequestTimeout)
		default:
			okPage(w)
		}
	}, func(c *Config) {
		c.Quota.PerSecond, c.Quota.PerMinute = -1, -1
		c.Retry = RetryConfig{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 3 * time.Second}
	})
	page, err := env.client.ListPage(context.Background(), testStream, PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 1 || calls.Load() != 4 {
		t.Fatalf("%d records after %d calls", len(page.Records), calls.Load())
	}
	slept := env.clock.Slept()
	ceilings := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if len(slept) != len(ceilings) {
		t.Fatalf("slept %v, want %d backoffs", slept, len(ceilings))
	}
	for i, d := range slept {
		if d < 0 || d > ceilings[i] {
			t.Fatalf("backoff %d = %v, outside [0, %v]", i, d, ceilings[i])
		}
	}
	if !strings.Contains(env.logs.String(), "keap: retrying") {
		t.Fatalf("retries not logged: %s", env.logs.String())
	}
}

func TestClient_GivesUpOnServerErrorsAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><head><title>503 Service Temporarily Unavailable</title></head></html>"))
	}, func(c *Config) { c.Retry.MaxAttempts = 3 })
	_, err := env.client.ListPage(context.Background(), testStream, PageRequest{})
	var er *ErrorResponse
	if !errors.As(err, &er) || er.StatusCode != 503 {
		t.Fatalf("err = %v, want a 503 ErrorResponse", err)
	}
	var be *BodyError
	if !errors.As(err, &be) || be.Problem != BodyHTML || be.Detail != "503 Service Temporarily Unavailable" {
		t.Fatalf("err = %v, want the HTML page's title", err)
	}
	if IsPermanent(err) {
		t.Fatal("a 503 must not be permanent")
	}
	if n := env.requests.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	if !strings.HasPrefix(err.Error(), "keap: list things: ") {
		t.Fatalf("error not wrapped with the operation: %v", err)
	}
}

func TestClient_PermanentErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		check  func(t *testing.T, err error)
	}{
		{"401", 401, "application/json", `{"message":"Invalid Access Token"}`, func(t *testing.T, err error) {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.StatusCode != 401 || !IsAuth(err) || !strings.Contains(err.Error(), "API key rejected") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"403 v2", 403, "application/json", `{"code":403,"message":"Forbidden","status":"PERMISSION_DENIED","details":[]}`, func(t *testing.T, err error) {
			var ae *AuthError
			if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Code != "403" || !strings.Contains(err.Error(), "API key rejected") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"400 v1", 400, "application/json", `{"message":"Invalid parameter: order"}`, func(t *testing.T, err error) {
			var er *ErrorResponse
			if !errors.As(err, &er) || er.StatusCode != 400 || er.Message != "Invalid parameter: order" || er.Path != "/v2/things" {
				t.Fatalf("err = %+v", err)
			}
		}},
		{"400 v2", 400, "application/json", `{"code":400,"message":"Invalid filter","status":"INVALID_ARGUMENT","details":[{"field":"filter"}]}`, func(t *testing.T, err error) {
			var er *ErrorResponse
			if !errors.As(err, &er) || er.Code != "400" || er.Status != "INVALID_ARGUMENT" || er.Message != "Invalid filter" {
				t.Fatalf("err = %+v", err)
			}
		}},
		{"404 html", 404, "text/html", "<!DOCTYPE html><html><head><title>Keap - Page Not Found</title></head></html>", func(t *testing.T, err error) {
			var be *BodyError
			if !errors.As(err, &be) || be.Problem != BodyHTML || be.Detail != "Keap - Page Not Found" {
				t.Fatalf("err = %v", err)
			}
		}},
		{"422 garbage", 422, "application/json", `{"message":`, func(t *testing.T, err error) {
			var er *ErrorResponse
			if !errors.As(err, &er) || er.StatusCode != 422 {
				t.Fatalf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}, nil)
			_, err := env.client.ListPage(context.Background(), testStream, PageRequest{})
			if !IsPermanent(err) {
				t.Fatalf("err = %v, want permanent", err)
			}
			if _, ok := QuotaRetryAt(err); ok {
				t.Fatal("a permanent error is not a quota error")
			}
			tt.check(t, err)
			if n := env.requests.Load(); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}

func TestClient_UnusableSuccessBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		problem   BodyProblem
		permanent bool
		requests  int64
	}{
		{"html page on 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><title>Maintenance</title></html>"))
		}, BodyHTML, true, 1},
		{"not json", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("things: none"))
		}, BodyInvalidJSON, true, 1},
		{"cut short without content-length", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"things":[{"id":"1","update_ti`))
		}, BodyTruncated, false, 3},
		{"cut short under content-length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "500")
			_, _ = w.Write([]byte(`{"things":[{"id":"1"`))
		}, BodyTruncated, false, 3},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"things":[` + strings.Repeat(`{"id":"1"},`, 200) + `{"id":"2"}],"next_page_token":""}`))
		}, BodyTooLarge, true, 1},
		{"records not an array", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"things":{"id":"1"},"next_page_token":""}`))
		}, BodyInvalidJSON, true, 1},
		{"record without id", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"things":[{"name":"x"}],"next_page_token":""}`))
		}, BodyBadRecord, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newFakeEnv(t, tt.handler, func(c *Config) {
				c.MaxBodyBytes = 1000
				c.Retry.MaxAttempts = 3
			})
			_, err := env.client.ListPage(context.Background(), testStream, PageRequest{})
			var be *BodyError
			if !errors.As(err, &be) || be.Problem != tt.problem {
				t.Fatalf("err = %v, want a %s BodyError", err, tt.problem)
			}
			if IsPermanent(err) != tt.permanent {
				t.Fatalf("IsPermanent = %v", IsPermanent(err))
			}
			if n := env.requests.Load(); n != tt.requests {
				t.Fatalf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestClient_TransportErrorsAreRetriedThenReturned(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	clock := newFakeClock()
	c, err := New(Config{BaseURL: url, Account: "a", Credential: NewAPIKey(testKey), Clock: clock, Retry: RetryConfig{MaxAttempts: 3}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListPage(context.Background(), testStream, PageRequest{})
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable transport error", err)
	}
	var backoffs int
	for _, d := range clock.Slept() {
		if d <= 10*time.Second { // backoffs, not quota spacing (220ms)
			backoffs++
		}
	}
	if backoffs < 2 {
		t.Fatalf("slept %v: want 2 backoffs", clock.Slept())
	}
}

func TestClient_CanceledContextStopsWithoutRetry(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		w.WriteHeader(http.StatusInternalServerError)
	}, nil)
	_, err := env.client.ListPage(ctx, testStream, PageRequest{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := env.requests.Load(); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestClient_KeyNeverInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	var observedMu sync.Mutex
	var observed []Call
	observe := func(c Call) {
		observedMu.Lock()
		defer observedMu.Unlock()
		observed = append(observed, c)
	}
	// A hostile server echoes the key it received into every body.
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		echo := r.Header.Get("X-Keap-API-Key")
		switch calls.Add(1) % 5 {
		case 1:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"message":"Invalid key %s"}`, echo)
		case 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"fault":{"faultstring":"quota for %s","detail":{"errorcode":"x.%s"}}}`, echo, echo)
		case 3:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"code":500,"message":"key %s broke","status":"%s"}`, echo, echo)
		case 4:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `<html><title>No page for %s</title></html>`, echo)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"%s"}`, echo)
		}
	}, func(c *Config) {
		c.Retry = RetryConfig{MaxAttempts: 2, BaseDelay: time.Millisecond}
		c.ObserveFunc = observe
	})

	var errs []error
	for range 6 {
		_, err := env.client.ListPage(context.Background(), testStream, PageRequest{})
		if err == nil {
			t.Fatal("expected an error")
		}
		errs = append(errs, err)
	}
	// And a transport error.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c, err := New(Config{BaseURL: dead.URL, Account: "b", Credential: NewAPIKey(testKey), Clock: newFakeClock(),
		Logger: env.client.log, Retry: RetryConfig{MaxAttempts: 2}, ObserveFunc: observe})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListPage(context.Background(), testStream, PageRequest{})
	errs = append(errs, err)

	for _, err := range errs {
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(s, testKey) {
				t.Fatalf("key in error %q", s)
			}
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if _, ok := e.(*scrubbedError); ok {
				break // the scrubbed wrapper hides what it wraps
			}
			if strings.Contains(e.Error(), testKey) {
				t.Fatalf("key in wrapped error %T %q", e, e.Error())
			}
		}
	}
	observedMu.Lock()
	defer observedMu.Unlock()
	var failed int
	for _, call := range observed {
		if call.Err != nil {
			failed++
		}
		for _, s := range []string{fmt.Sprintf("%+v", call), fmt.Sprintf("%#v", call)} {
			if strings.Contains(s, testKey) {
				t.Fatalf("key in an observed call %q", s)
			}
		}
	}
	if failed < len(errs) {
		t.Fatalf("%d failed attempts observed for %d failed calls", failed, len(errs))
	}

	logs := env.logs.String()
	if !strings.Contains(logs, "rate limited") || !strings.Contains(logs, "retrying") {
		t.Fatalf("expected rate-limit and retry log lines, got:\n%s", logs)
	}
	if strings.Contains(logs, testKey) {
		t.Fatalf("key in logs:\n%s", logs)
	}
	if !strings.Contains(errs[0].Error(), "[redacted]") {
		t.Fatalf("echoed key not scrubbed into [redacted]: %v", errs[0])
	}
}

func TestClient_NoRedirectIsFollowed(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	env := newFakeEnv(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL, http.StatusFound)
	}, nil)
	_, err := env.client.ListPage(context.Background(), testStream, PageRequest{})
	if !IsPermanent(err) || elsewhere.Load() != 0 {
		t.Fatalf("err = %v, redirect target hit %d times", err, elsewhere.Load())
	}
}
