package keapsim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Cause says why a request was rejected with 429.
type Cause int

// The rejection causes, in the order the simulator checks them.
const (
	CauseNone   Cause = iota
	CauseDay          // the daily quota is spent
	CauseMinute       // PerMinute requests were accepted in the rolling Minute
	CauseTenant       // TenantPerMinute requests were accepted in the rolling Minute
	CauseSpike        // the request came less than 0.9*Second/PerSecond after the previous accepted one
)

// String returns the cause's name as used in Stats JSON.
func (c Cause) String() string {
	switch c {
	case CauseDay:
		return "day"
	case CauseMinute:
		return "minute"
	case CauseTenant:
		return "tenant"
	case CauseSpike:
		return "spike"
	}
	return "none"
}

// disabledLimit is the limit reported in headers for a disabled quota: Keap
// always sends the headers, so a disabled limit is reported as a very large
// one rather than left out (a missing header would read as "unknown").
const disabledLimit = math.MaxInt32

// maxArrivals bounds the arrival times kept (Server.Arrivals): a million,
// 24 MB, more than a test makes.
const maxArrivals = 1 << 20

// timeLog is a queue of accepted request times, oldest first.
type timeLog struct {
	ts   []time.Time
	head int
}

func (l *timeLog) push(t time.Time) { l.ts = append(l.ts, t) }

// trim drops entries at or before cutoff: the window is (cutoff, now].
func (l *timeLog) trim(cutoff time.Time) {
	for l.head < len(l.ts) && !l.ts[l.head].After(cutoff) {
		l.head++
	}
	if l.head > 1024 && l.head*2 > len(l.ts) {
		n := copy(l.ts, l.ts[l.head:])
		l.ts = l.ts[:n]
		l.head = 0
	}
}

func (l *timeLog) len() int { return len(l.ts) - l.head }

// at returns the i-th oldest entry.
func (l *timeLog) at(i int) time.Time { return l.ts[l.head+i] }

// quota is the simulator's accounting of Keap's quotas for its one tenant.
// Every API key of the tenant shares it. It is guarded by Server.qmu.
type quota struct {
	opts     Options
	start    time.Time
	interval time.Duration // spike arrest spacing Second/PerSecond; 0 if disabled

	lastAccepted time.Time
	haveLast     bool
	minute       timeLog // accepted requests in the rolling Minute
	second       timeLog // accepted requests in the last Second, for PeakSecond
	dayUsed      int
	dayReset     time.Time
	arrivals     []time.Time // of accepted requests, the first maxArrivals

	stats Stats
}

func newQuota(opts Options, start time.Time) *quota {
	q := &quota{opts: opts, start: start}
	if opts.PerSecond > 0 {
		q.interval = opts.Second / time.Duration(opts.PerSecond)
	}
	q.dayReset = q.nextReset(start)
	return q
}

// nextReset returns the first day boundary after now.
func (q *quota) nextReset(now time.Time) time.Time {
	if q.opts.DayLength > 0 {
		k := now.Sub(q.start)/q.opts.DayLength + 1
		return q.start.Add(k * q.opts.DayLength)
	}
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// roll advances the clock-dependent state to now.
func (q *quota) roll(now time.Time) {
	if !now.Before(q.dayReset) {
		q.dayUsed = 0
		q.dayReset = q.nextReset(now)
	}
	q.minute.trim(now.Add(-q.opts.Minute))
	q.second.trim(now.Add(-q.opts.Second))
}

// admit counts one authenticated request arriving at now and says whether
// it is accepted; a rejected request consumes nothing. retryAfter is how
// long until the rejecting limit would let a request through.
func (q *quota) admit(now time.Time) (cause Cause, retryAfter time.Duration) {
	q.roll(now)
	n := q.minute.len()
	switch {
	case q.opts.PerDay > 0 && q.dayUsed >= q.opts.PerDay:
		cause, retryAfter = CauseDay, q.dayReset.Sub(now)
	case q.opts.PerMinute > 0 && n >= q.opts.PerMinute:
		cause, retryAfter = CauseMinute, q.minute.at(n-q.opts.PerMinute).Add(q.opts.Minute).Sub(now)
	case q.opts.TenantPerMinute > 0 && n >= q.opts.TenantPerMinute:
		cause, retryAfter = CauseTenant, q.minute.at(n-q.opts.TenantPerMinute).Add(q.opts.Minute).Sub(now)
	case q.interval > 0 && q.haveLast && now.Sub(q.lastAccepted) < q.interval*9/10:
		cause, retryAfter = CauseSpike, q.lastAccepted.Add(q.interval*9/10).Sub(now)
	}
	if cause != CauseNone {
		q.stats.Rejected++
		switch cause {
		case CauseDay:
			q.stats.RejectedDay++
		case CauseMinute:
			q.stats.RejectedMinute++
		case CauseTenant:
			q.stats.RejectedTenant++
		case CauseSpike:
			q.stats.RejectedSpike++
		}
		return cause, retryAfter
	}
	q.stats.Accepted++
	if len(q.arrivals) < maxArrivals {
		q.arrivals = append(q.arrivals, now)
	}
	q.lastAccepted, q.haveLast = now, true
	q.dayUsed++
	q.minute.push(now)
	q.second.push(now)
	if v := int64(q.minute.len()); v > q.stats.PeakMinute {
		q.stats.PeakMinute = v
	}
	if v := int64(q.second.len()); v > q.stats.PeakSecond {
		q.stats.PeakSecond = v
	}
	return CauseNone, 0
}

// setHeaders writes every x-keap-* header with the state at now (after the
// request was counted).
func (q *quota) setHeaders(h http.Header, now time.Time) {
	q.roll(now)
	used := q.minute.len()
	set := func(k, v string) { h[k] = []string{v} }
	// Each limit is reported by the same five headers under its prefix.
	setLimit := func(prefix string, limit, counted int, unit string) {
		lim, avail := limitAndAvailable(limit, counted)
		set(prefix+"-Limit", lim)
		set(prefix+"-Used", strconv.Itoa(counted))
		set(prefix+"-Available", avail)
		set(prefix+"-Time-Unit", unit)
		set(prefix+"-Interval", "1")
	}
	setLimit("X-Keap-Product-Quota", q.opts.PerDay, q.dayUsed, "day")
	set("X-Keap-Product-Quota-Expiry-Time", strconv.FormatInt(q.dayReset.UnixMilli(), 10))
	setLimit("X-Keap-Product-Throttle", q.opts.PerMinute, used, "minute")
	if q.opts.PerSecond > 0 {
		set("X-Keap-Product-Spike-Limit", strconv.Itoa(q.opts.PerSecond)+"ps")
	} else {
		// Keap sometimes sends the header empty.
		set("X-Keap-Product-Spike-Limit", "")
	}
	set("X-Keap-Tenant-Id", q.opts.TenantID)
	setLimit("X-Keap-Tenant-Throttle", q.opts.TenantPerMinute, used, "minute")
}

func limitAndAvailable(limit, used int) (string, string) {
	if limit <= 0 {
		limit = disabledLimit
	}
	return strconv.Itoa(limit), strconv.Itoa(max(0, limit-used))
}
