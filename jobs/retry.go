package jobs

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// retryPolicy backs off exponentially with jitter from the job's failures
// (len(Errors): snoozes do not count), bounded by RetryConfig.
type retryPolicy struct {
	cfg RetryConfig
	now func() time.Time
}

// NextRetry returns when the failed job runs again: BaseDelay doubled per
// earlier failure, capped at MaxDelay, plus up to a quarter of it at random.
func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := p.cfg.BaseDelay
	for i := 1; i < len(job.Errors) && d < p.cfg.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.cfg.MaxDelay)
	if d > 0 {
		d += rand.N(d/4 + 1)
	}
	return p.now().Add(d)
}
