package keap

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is Keap's REST base URL; paths such as /v2/contacts are
// appended to it.
const DefaultBaseURL = "https://api.infusionsoft.com/crm/rest"

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "keapsync (+https://github.com/keapsync/keapsync)"

// Config configures a Client. New validates it and fills in the defaults; a
// zero field means its documented default.
type Config struct {
	// BaseURL is the REST base, without a trailing slash. Default
	// DefaultBaseURL. Tests point it at the simulator.
	BaseURL string

	// Account names the Keap account (key) whose quota this client spends.
	// It is the QuotaStore key, so every client of one account, in any
	// process, must use the same name. Required.
	Account string

	// Credential authenticates every request. Required; use NewAPIKey.
	Credential Credential

	// UserAgent is sent on every request. Default DefaultUserAgent.
	UserAgent string

	// Timeouts bound each HTTP request. See Timeouts for the defaults.
	Timeouts Timeouts

	// Logger receives the client's structured logs (retries, rate limits).
	// Default: a logger that discards everything. No log line ever holds the
	// credential or a record payload.
	Logger *slog.Logger

	// Quota configures the quota governor. See QuotaConfig for defaults.
	Quota QuotaConfig

	// Retry configures retries of 5xx responses, timeouts and connection
	// errors. See RetryConfig for defaults.
	Retry RetryConfig

	// Clock tells the time and sleeps. Default: the system clock. Tests
	// inject a fake one.
	Clock Clock

	// Store holds the quota counts. Default NewMemoryQuotaStore on Clock,
	// which shares one budget only inside this process; the warehouse's
	// Postgres ledger shares it across processes, machines and restarts.
	Store QuotaStore

	// MaxBodyBytes bounds how much of a response body is read. Default
	// 16 MiB (a page of 1,000 contacts with every field is a few MB): with
	// the page size, which bounds the records decoded, it bounds the
	// memory one page can take whatever a server sends.
	MaxBodyBytes int64

	// ObserveFunc, when set, is called once for every HTTP attempt (each
	// retry too) and once for every call the governor refuses without a
	// request (Call.Refused), for metrics. It runs synchronously on the
	// calling goroutine, so it must be quick and safe for concurrent use.
	// Default nil: nothing is observed. A Call never holds the credential.
	// Left out of the JSON form of a Config (a func cannot be encoded).
	ObserveFunc func(Call) `json:"-"`
}

// Timeouts bound the phases of an HTTP request.
type Timeouts struct {
	// Dial bounds establishing a TCP connection. Default 10s.
	Dial time.Duration
	// TLSHandshake bounds the TLS handshake. Default 10s.
	TLSHandshake time.Duration
	// ResponseHeader bounds the wait for response headers after the request
	// is written. Default 60s.
	ResponseHeader time.Duration
	// Request bounds a whole request, body included. Default 2m.
	Request time.Duration
}

// QuotaConfig sets the quota governor's limits. Keap's response headers can
// only tighten them, never loosen them.
type QuotaConfig struct {
	// PerSecond is the number of calls per Second, spaced evenly. Default 5;
	// negative disables spacing.
	PerSecond int
	// PerMinute is the number of calls in any rolling Minute. Default 120;
	// negative disables the rolling window.
	PerMinute int
	// PerDay is the daily budget. Default 15,000; negative disables it.
	PerDay int64

	// Second is the length of a "second". Default 1s. Tests compress it;
	// production never does.
	Second time.Duration
	// Minute is the length of the rolling window. Default 1m.
	Minute time.Duration
	// DayLength is the length of a quota day when Keap has not sent
	// x-keap-product-quota-expiry-time. Default 0: UTC calendar days
	// (reset at 00:00 UTC). Non-zero days are aligned to multiples of
	// DayLength since the Unix epoch (tests only). A reported reset more
	// than a day (plus an hour; DayLength plus a twenty-fourth) ahead is
	// absurd and not obeyed.
	DayLength time.Duration

	// DayResetMargin is how long after the day's reset the first call of
	// the new day may leave, so that Keap's reset has surely passed: the
	// expiry header's millisecond precision and any offset between Keap's
	// clock and the quota store's are covered by it. No call is granted
	// within it before the reset either, as such a call could reach Keap
	// in the next day. It is at least the lateness a call may leave with
	// (see SpacingMargin). Default 2s (of a 24-hour day); negative means
	// no more than that.
	DayResetMargin time.Duration

	// Reserve is the part of the daily budget left unused, for other
	// integrations sharing the key. Default 0; must be less than PerDay.
	Reserve int64

	// BackgroundShare is the share of each day's budget (after Reserve, of
	// whichever daily limit applies: the configured one or the lower one
	// Keap reported) that background calls (PageRequest.Background: long
	// backfills) may spend, so the small foreground syncs keep running
	// when a backfill has spent its share. A background call is refused
	// with a day *QuotaError once that share is spent; foreground calls go
	// on until the whole budget is. Default 0.9; 1 lets background calls
	// spend everything; must be in (0, 1].
	BackgroundShare float64

	// MaxWait is the longest a call blocks waiting for a slot (spacing or
	// the rolling window). Longer waits return a *QuotaError at once, so a
	// job can snooze instead of holding a worker. A context deadline
	// shortens it further. Default: Minute plus a tenth, so any per-minute
	// wait blocks and only the daily budget (or a long Retry-After) returns
	// an error.
	MaxWait time.Duration

	// SpacingMargin is added to the spacing between calls (Second /
	// PerSecond). Keap measures the spacing when a call arrives, and a call
	// may leave after its slot (a goroutine woken late on a busy machine,
	// a grant that came back slowly, a new connection): the margin is how
	// late a call may leave and still arrive a full interval after the one
	// before it. A call that would leave later than the smaller of the two
	// margins (less the uncertainty of the store's clock) is held back
	// before its first byte and takes a new slot. Default 100ms; negative
	// means none (calls must then leave exactly on their slots).
	SpacingMargin time.Duration

	// WindowMargin is added to the rolling window, for the same reason: a
	// call that left late must not still be inside Keap's window when the
	// store considers it expired. Default Minute/100 (600ms); negative
	// means none.
	WindowMargin time.Duration
}

// RetryConfig bounds retries. Each retry waits a full-jitter exponential
// backoff (a uniform random delay in [0, min(MaxDelay, BaseDelay*2^n)]) and
// then goes through the quota governor again.
type RetryConfig struct {
	// MaxAttempts is the most attempts per call, the first included
	// (429s count too). Default 5; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the first retry's jitter. Default 500ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff. Default 30s.
	MaxDelay time.Duration
}

// Clock tells the time and sleeps. Tests inject a fake one so quota
// behaviour is tested without sleeping.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d, honouring ctx.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field  string
	Reason string
}

// Error describes the invalid field.
func (e *ConfigError) Error() string {
	return "invalid config: " + e.Field + ": " + e.Reason
}

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	t := &c.Timeouts
	if t.Dial == 0 {
		t.Dial = 10 * time.Second
	}
	if t.TLSHandshake == 0 {
		t.TLSHandshake = 10 * time.Second
	}
	if t.ResponseHeader == 0 {
		t.ResponseHeader = 60 * time.Second
	}
	if t.Request == 0 {
		t.Request = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	q := &c.Quota
	if q.PerSecond == 0 {
		q.PerSecond = 5
	}
	if q.PerMinute == 0 {
		q.PerMinute = 120
	}
	if q.PerDay == 0 {
		q.PerDay = 15_000
	}
	if q.BackgroundShare == 0 {
		q.BackgroundShare = 0.9
	}
	if q.Second == 0 {
		q.Second = time.Second
	}
	if q.Minute == 0 {
		q.Minute = time.Minute
	}
	if q.MaxWait == 0 {
		q.MaxWait = q.Minute + q.Minute/10
	}
	if q.SpacingMargin == 0 {
		q.SpacingMargin = 100 * time.Millisecond
	}
	if q.WindowMargin == 0 {
		q.WindowMargin = q.Minute / 100
	}
	if q.DayResetMargin == 0 {
		q.DayResetMargin = 2 * time.Second
	}
	r := &c.Retry
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 5
	}
	if r.BaseDelay == 0 {
		r.BaseDelay = 500 * time.Millisecond
	}
	if r.MaxDelay == 0 {
		r.MaxDelay = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Store == nil {
		c.Store = NewMemoryQuotaStore(c.Clock.Now)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 16 << 20
	}
	return c
}

func (c Config) validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &ConfigError{Field: "BaseURL", Reason: "must be an absolute http(s) URL"}
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return &ConfigError{Field: "BaseURL", Reason: "must not carry a query, fragment or user info"}
	}
	if strings.TrimSpace(c.Account) == "" {
		return &ConfigError{Field: "Account", Reason: "required (it keys the shared quota)"}
	}
	switch cred := c.Credential.(type) {
	case nil:
		return &ConfigError{Field: "Credential", Reason: "required"}
	case APIKey:
		if cred.empty() {
			return &ConfigError{Field: "Credential", Reason: "empty API key"}
		}
	case *APIKey:
		if cred == nil || cred.empty() {
			return &ConfigError{Field: "Credential", Reason: "empty API key"}
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"Timeouts.Dial", c.Timeouts.Dial},
		{"Timeouts.TLSHandshake", c.Timeouts.TLSHandshake},
		{"Timeouts.ResponseHeader", c.Timeouts.ResponseHeader},
		{"Timeouts.Request", c.Timeouts.Request},
		{"Quota.Second", c.Quota.Second},
		{"Quota.Minute", c.Quota.Minute},
		{"Quota.MaxWait", c.Quota.MaxWait},
		{"Retry.BaseDelay", c.Retry.BaseDelay},
		{"Retry.MaxDelay", c.Retry.MaxDelay},
	} {
		if d.v < 0 {
			return &ConfigError{Field: d.name, Reason: "must not be negative"}
		}
	}
	q := c.Quota
	if q.DayLength < 0 {
		return &ConfigError{Field: "Quota.DayLength", Reason: "must not be negative"}
	}
	if q.Reserve < 0 {
		return &ConfigError{Field: "Quota.Reserve", Reason: "must not be negative"}
	}
	if q.PerDay > 0 && q.Reserve >= q.PerDay {
		return &ConfigError{Field: "Quota.Reserve", Reason: fmt.Sprintf("must be less than PerDay (%d)", q.PerDay)}
	}
	if !(q.BackgroundShare > 0 && q.BackgroundShare <= 1) {
		return &ConfigError{Field: "Quota.BackgroundShare", Reason: "must be more than 0 and at most 1"}
	}
	if c.Retry.MaxAttempts < 1 {
		return &ConfigError{Field: "Retry.MaxAttempts", Reason: "must be at least 1"}
	}
	if c.MaxBodyBytes < 1 {
		return &ConfigError{Field: "MaxBodyBytes", Reason: "must be positive"}
	}
	return nil
}
