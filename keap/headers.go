package keap

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The x-keap-* response headers (keap-api.md §2).
const (
	headerQuotaLimit         = "X-Keap-Product-Quota-Limit"
	headerQuotaUsed          = "X-Keap-Product-Quota-Used"
	headerQuotaAvailable     = "X-Keap-Product-Quota-Available"
	headerQuotaExpiry        = "X-Keap-Product-Quota-Expiry-Time"
	headerThrottleLimit      = "X-Keap-Product-Throttle-Limit"
	headerThrottleUsed       = "X-Keap-Product-Throttle-Used"
	headerThrottleAvailable  = "X-Keap-Product-Throttle-Available"
	headerSpikeLimit         = "X-Keap-Product-Spike-Limit"
	headerTenantID           = "X-Keap-Tenant-Id"
	headerTenantLimit        = "X-Keap-Tenant-Throttle-Limit"
	headerTenantUsed         = "X-Keap-Tenant-Throttle-Used"
	headerTenantAvailable    = "X-Keap-Tenant-Throttle-Available"
	headerRetryAfter         = "Retry-After"
	maxPlausibleQuotaCount   = 1 << 50 // larger values are garbage (epoch ms fit until year 37000)
	maxPlausibleRetryAfter   = 7 * 24 * time.Hour
	maxPlausibleSpikePerUnit = 1_000_000
)

// QuotaReading is what one response's x-keap-* headers said about the
// account's quota. Counts are -1 when the header was absent or unreadable.
type QuotaReading struct {
	// At is when the response was received.
	At time.Time

	// DayLimit, DayUsed and DayAvailable are the daily bucket
	// (x-keap-product-quota-*).
	DayLimit, DayUsed, DayAvailable int64
	// DayResetAt is x-keap-product-quota-expiry-time, zero when absent.
	DayResetAt time.Time

	// WindowLimit, WindowUsed and WindowAvailable are the rolling per-minute
	// throttle (x-keap-product-throttle-*).
	WindowLimit, WindowUsed, WindowAvailable int64

	// TenantLimit, TenantUsed and TenantAvailable are the per-tenant
	// per-minute throttle (x-keap-tenant-throttle-*).
	TenantLimit, TenantUsed, TenantAvailable int64

	// SpikeLimit is x-keap-product-spike-limit as sent ("10ps"), often empty.
	SpikeLimit string

	// TenantID is x-keap-tenant-id (the tenant's host).
	TenantID string
}

// Present reports whether the response carried any quota header.
func (r QuotaReading) Present() bool {
	return r.DayLimit >= 0 || r.DayUsed >= 0 || r.DayAvailable >= 0 || !r.DayResetAt.IsZero() ||
		r.WindowLimit >= 0 || r.WindowUsed >= 0 || r.WindowAvailable >= 0 ||
		r.TenantLimit >= 0 || r.TenantUsed >= 0 || r.TenantAvailable >= 0
}

// ParseQuotaHeaders reads the x-keap-* quota headers of a response received
// at at. It never fails: a missing or malformed header reads as absent (-1 or
// zero), because a bad header must not fail a call whose body is fine.
func ParseQuotaHeaders(h http.Header, at time.Time) QuotaReading {
	r := QuotaReading{
		At:              at,
		DayLimit:        headerCount(h, headerQuotaLimit),
		DayUsed:         headerCount(h, headerQuotaUsed),
		DayAvailable:    headerCount(h, headerQuotaAvailable),
		WindowLimit:     headerCount(h, headerThrottleLimit),
		WindowUsed:      headerCount(h, headerThrottleUsed),
		WindowAvailable: headerCount(h, headerThrottleAvailable),
		TenantLimit:     headerCount(h, headerTenantLimit),
		TenantUsed:      headerCount(h, headerTenantUsed),
		TenantAvailable: headerCount(h, headerTenantAvailable),
		SpikeLimit:      clip(strings.TrimSpace(headerValue(h, headerSpikeLimit)), 32),
		TenantID:        clip(strings.TrimSpace(headerValue(h, headerTenantID)), 253),
	}
	if ms := headerCount(h, headerQuotaExpiry); ms > 0 {
		r.DayResetAt = time.UnixMilli(ms).UTC()
	}
	return r
}

// headerCount reads a non-negative integer header, -1 when absent or bad.
// Keap sends integers; a decimal point (e.g. "120.0") is tolerated.
func headerCount(h http.Header, name string) int64 {
	v := strings.TrimSpace(headerValue(h, name))
	if v == "" {
		return -1
	}
	if i := strings.IndexByte(v, '.'); i > 0 && strings.Trim(v[i+1:], "0") == "" {
		v = v[:i]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > maxPlausibleQuotaCount {
		return -1
	}
	return n
}

// spikePerUnit parses x-keap-product-spike-limit ("10ps": 10 per second;
// "600pm": 600 per minute) into calls per unit and the unit. ok is false for
// anything else, including the empty value Keap sometimes sends.
func spikePerUnit(v string) (n int64, perMinute bool, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case strings.HasSuffix(v, "ps"):
		v = strings.TrimSuffix(v, "ps")
	case strings.HasSuffix(v, "pm"):
		v, perMinute = strings.TrimSuffix(v, "pm"), true
	default:
		return 0, false, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > maxPlausibleSpikePerUnit {
		return 0, false, false
	}
	return n, perMinute, true
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date, relative
// to now. ok is false when absent, malformed or implausible.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(headerValue(h, headerRetryAfter))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > maxPlausibleRetryAfter.Seconds() || secs != secs {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d > maxPlausibleRetryAfter {
		return 0, false
	}
	return max(d, 0), true
}

// headerValue is h.Get, also finding keys stored in lower case (a header
// map built by hand rather than by net/http).
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	if vs := h[strings.ToLower(name)]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
