package keap

import "time"

// Call describes one HTTP attempt, or one call the quota governor refused
// without a request, as reported to Config.ObserveFunc for metrics. It
// never holds the credential: Path carries no query, and Err is scrubbed
// like every error the client returns.
type Call struct {
	// Path is the endpoint below the base URL, without the query
	// ("/v2/contacts").
	Path string

	// Stream is the catalogue stream the call reads (ListPage and Count
	// know it), "" otherwise.
	Stream string

	// Status is the HTTP status, 0 when no response arrived (a transport
	// error, a canceled context) or the call was Refused.
	Status int

	// Duration is how long the attempt took, from sending the request to
	// reading the whole body (0 when Refused). Waits for the quota are not
	// included.
	Duration time.Duration

	// Attempt is the attempt number of this call, 1 for the first (429s
	// and retried failures count too).
	Attempt int

	// RateLimit is the cause of a 429, "" for any other outcome.
	RateLimit RateLimitCause

	// Err is the attempt's error (a *RateLimitError, *AuthError,
	// *ErrorResponse, *BodyError, a transport error, a *QuotaError when
	// Refused), nil on success. It is the error of this attempt, not yet
	// wrapped with the operation.
	Err error

	// Quota is what the response's headers said (counts -1 when absent,
	// or when no response arrived).
	Quota QuotaReading

	// Refused reports that the governor refused the call without a
	// request: the quota is known to be spent, or the wait for a slot
	// would exceed MaxWait or the context's deadline. Err is then the
	// *QuotaError returned to the caller, and Attempt the attempt that
	// was refused (greater than 1 when a retry was).
	Refused bool

	// HeldBack reports that the call was not sent: just before its first
	// byte was written it was later after its slot than the quota's
	// margins allow (see QuotaConfig.SpacingMargin), so it took a new
	// slot. Keap never saw it; Err is the lateness error, and Attempt the
	// attempt that is made again.
	HeldBack bool

	// Lateness is how long after its slot the call's request was about to
	// be written (a goroutine woken late, a new connection, a slow grant).
	Lateness time.Duration

	// Store is how long the quota store took to answer the call's
	// reservation (a round trip to the shared ledger), waits for the slot
	// excluded: the ledger's latency as the workers see it.
	Store time.Duration
}

// observe reports c to Config.ObserveFunc, if set.
func (c *Client) observe(call Call) {
	if c.cfg.ObserveFunc != nil {
		c.cfg.ObserveFunc(call)
	}
}

// unknownQuota is a QuotaReading with every count unknown.
var unknownQuota = QuotaReading{DayLimit: -1, DayUsed: -1, DayAvailable: -1, WindowLimit: -1, WindowUsed: -1,
	WindowAvailable: -1, TenantLimit: -1, TenantUsed: -1, TenantAvailable: -1}
