package keapsim

import (
	"errors"
	"fmt"
	"time"
)

// Options configure a simulator. Zero values mean the documented default.
type Options struct {
	// Seed makes the synthetic tenant deterministic: the same seed and sizes
	// give the same records. Default 1.
	Seed int64

	// Contacts is the number of contacts; the other streams scale with it
	// (companies 1/20, opportunities 1/10, orders 1/5, notes 1/2, ...).
	// Default 10_000.
	Contacts int

	// APIKeys are the accepted keys, sent as X-Keap-API-Key or
	// Authorization: Bearer. Default []string{"keapsim-test-key"}.
	APIKeys []string

	// PerSecond is the spike arrest: requests per Second, enforced as a
	// minimum spacing of 0.9*Second/PerSecond between accepted requests.
	// Default 5; -1 disables.
	PerSecond int

	// PerMinute is the rolling throttle: requests accepted per Minute.
	// Default 120; -1 disables.
	PerMinute int

	// PerDay is the daily quota. Default 15_000; -1 disables.
	PerDay int

	// TenantPerMinute is the per-tenant rolling throttle per Minute.
	// Default 10_000; -1 disables.
	TenantPerMinute int

	// Second is the length of the spike-arrest "second" (tests compress
	// it). Default 1s.
	Second time.Duration

	// Minute is the length of the rolling throttle window. Default 1m.
	Minute time.Duration

	// DayLength, when set, makes days last this long from the simulator's
	// start instead of being UTC calendar days. Default 0 (UTC days).
	DayLength time.Duration

	// Now is the clock for quotas, generated data and mutations. Default
	// time.Now.
	Now func() time.Time

	// RateLimitBody is the 429 body shape: "apigee" (the Apigee fault, as
	// seen for spike and quota violations) or "v2" (the v2 error shape with
	// a string code). Default "apigee".
	RateLimitBody string

	// RetryAfter sends Retry-After (whole seconds, rounded up) on 429s.
	// Default false, because Keap does not always send it.
	RetryAfter bool

	// TenantID is the x-keap-tenant-id header value. Default
	// "ab123.infusionsoft.com".
	TenantID string

	// Faults are injected into accepted requests (see Fault). Default none.
	Faults []Fault

	// FaultSeed seeds the random draws of probabilistic faults, so a failing
	// run can be replayed. Default Seed.
	FaultSeed int64

	// Addr is the listen address of Start. Default "127.0.0.1:0" (a free
	// port on loopback).
	Addr string
}

// optionsNoFormat is Options without its Format method.
type optionsNoFormat Options

// Format prints the options with the API keys redacted: keys are secrets,
// even a simulator's, and never appear in %v, %+v or %#v output.
func (o Options) Format(f fmt.State, verb rune) {
	c := optionsNoFormat(o)
	c.APIKeys = make([]string, len(o.APIKeys))
	for i := range c.APIKeys {
		c.APIKeys[i] = "[redacted]"
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), c)
}

// Rate-limit body shapes for Options.RateLimitBody.
const (
	RateLimitBodyApigee = "apigee"
	RateLimitBodyV2     = "v2"
)

// ErrInvalidOptions is wrapped by the error Start returns for options it
// cannot honour.
var ErrInvalidOptions = errors.New("keapsim: invalid options")

func (o Options) withDefaults() (Options, error) {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Contacts == 0 {
		o.Contacts = 10_000
	}
	if o.Contacts < 0 {
		return o, fmt.Errorf("%w: Contacts %d is negative", ErrInvalidOptions, o.Contacts)
	}
	if len(o.APIKeys) == 0 {
		o.APIKeys = []string{"keapsim-test-key"}
	}
	for _, k := range o.APIKeys {
		if k == "" {
			return o, fmt.Errorf("%w: an API key is empty", ErrInvalidOptions)
		}
	}
	var err error
	if o.PerSecond, err = limitDefault("PerSecond", o.PerSecond, 5); err != nil {
		return o, err
	}
	if o.PerMinute, err = limitDefault("PerMinute", o.PerMinute, 120); err != nil {
		return o, err
	}
	if o.PerDay, err = limitDefault("PerDay", o.PerDay, 15_000); err != nil {
		return o, err
	}
	if o.TenantPerMinute, err = limitDefault("TenantPerMinute", o.TenantPerMinute, 10_000); err != nil {
		return o, err
	}
	if o.Second == 0 {
		o.Second = time.Second
	}
	if o.Minute == 0 {
		o.Minute = time.Minute
	}
	if o.Second < 0 || o.Minute < 0 || o.DayLength < 0 {
		return o, fmt.Errorf("%w: negative duration", ErrInvalidOptions)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch o.RateLimitBody {
	case "":
		o.RateLimitBody = RateLimitBodyApigee
	case RateLimitBodyApigee, RateLimitBodyV2:
	default:
		return o, fmt.Errorf("%w: RateLimitBody %q is neither %q nor %q", ErrInvalidOptions, o.RateLimitBody, RateLimitBodyApigee, RateLimitBodyV2)
	}
	if o.TenantID == "" {
		o.TenantID = "ab123.infusionsoft.com"
	}
	if o.FaultSeed == 0 {
		o.FaultSeed = o.Seed
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	for i, f := range o.Faults {
		if err := f.validate(); err != nil {
			return o, fmt.Errorf("%w: fault %d: %w", ErrInvalidOptions, i, err)
		}
	}
	o.Faults = append([]Fault(nil), o.Faults...)
	o.APIKeys = append([]string(nil), o.APIKeys...)
	return o, nil
}

// limitDefault maps 0 to def and -1 to "disabled" (0 internally).
func limitDefault(name string, v, def int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v == -1:
		return 0, nil
	case v < 0:
		return 0, fmt.Errorf("%w: %s %d (use -1 to disable)", ErrInvalidOptions, name, v)
	}
	return v, nil
}
