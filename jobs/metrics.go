package jobs

import (
	"time"

	"github.com/keapsync/keapsync/keap"
)

// Metrics receives the pipeline's counters and timings; the HTTP server's
// Prometheus collector implements it. Implementations must be safe for
// concurrent use and fast: they are called on every page. No call carries a
// secret or a record.
type Metrics interface {
	// Call is every HTTP attempt to Keap (retries too), and every call the
	// quota governor refused without a request (Refused).
	Call(account string, c keap.Call)
	// Page is a committed page: rows by outcome and the time from fetch
	// to commit.
	Page(account, stream string, p PageStats)
	// Snoozed is a page job waiting for quota until the given time
	// (window: second, minute, day or tenant).
	Snoozed(account, stream, window string, until time.Time)
	// JobDone is a finished job attempt: kind, outcome (completed,
	// snoozed, retry, cancelled, stale) and duration.
	JobDone(kind, outcome string, d time.Duration)
}

// PageStats describes one committed page.
type PageStats struct {
	Records   int
	Inserted  int
	Updated   int
	Unchanged int
	Deleted   int
	Problems  int
	Fetch     time.Duration
	Commit    time.Duration
}

// NopMetrics discards everything.
type NopMetrics struct{}

// Call does nothing.
func (NopMetrics) Call(string, keap.Call) {}

// Page does nothing.
func (NopMetrics) Page(string, string, PageStats) {}

// Snoozed does nothing.
func (NopMetrics) Snoozed(string, string, string, time.Time) {}

// JobDone does nothing.
func (NopMetrics) JobDone(string, string, time.Duration) {}
