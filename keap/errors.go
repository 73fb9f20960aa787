package keap

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// QuotaError reports that a call cannot be made now without exceeding the
// quota. It is returned without a network call whenever the governor knows
// the quota is exhausted (or the wait exceeds Config.Quota.MaxWait, or the
// context's deadline), and after Keap answered 429 once the retries are
// spent. A job should snooze until RetryAt.
type QuotaError struct {
	// Window is the window that refused the call: WindowSecond,
	// WindowMinute, WindowDay, or WindowTenant.
	Window string
	// RetryAt is the earliest time the call may succeed.
	RetryAt time.Time
	// Err is the *RateLimitError that revealed the exhaustion, if any.
	Err error
}

// WindowTenant names Keap's per-tenant throttle in QuotaError.Window.
const WindowTenant = "tenant"

// Error says which window is exhausted and until when.
func (e *QuotaError) Error() string {
	msg := fmt.Sprintf("%s quota exhausted until %s", e.Window, e.RetryAt.UTC().Format(time.RFC3339Nano))
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the 429 that revealed the exhaustion, if any.
func (e *QuotaError) Unwrap() error { return e.Err }

// RateLimitCause says which of Keap's limits rejected a request with 429.
type RateLimitCause string

// The causes of a 429, told apart by the spike-arrest error code and by
// which x-keap-*-available header is 0.
const (
	CauseSpike   RateLimitCause = "spike"   // spike arrest: requests too close together
	CauseMinute  RateLimitCause = "minute"  // the rolling per-minute throttle
	CauseDay     RateLimitCause = "day"     // the daily quota
	CauseTenant  RateLimitCause = "tenant"  // the per-tenant throttle
	CauseUnknown RateLimitCause = "unknown" // no code and no quota headers: treated as minute
)

// RateLimitCauses are every RateLimitCause, in a stable order.
var RateLimitCauses = []RateLimitCause{CauseSpike, CauseMinute, CauseDay, CauseTenant, CauseUnknown}

// RateLimitError is Keap's 429, in either body shape (Apigee fault or v2
// {"code":"429",...}).
type RateLimitError struct {
	// Cause is which limit rejected the request.
	Cause RateLimitCause
	// RetryAfter is the Retry-After header, when HasRetryAfter.
	RetryAfter    time.Duration
	HasRetryAfter bool
	// Quota is what the 429's headers said (counts -1 when absent).
	Quota QuotaReading
	// Code is Keap's error code (Apigee errorcode, or v2 code).
	Code string
	// Message is Keap's message (faultstring or message).
	Message string
}

// Error describes the rejection.
func (e *RateLimitError) Error() string {
	msg := "rate limited (HTTP 429, " + string(e.Cause) + ")"
	if e.HasRetryAfter {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// AuthError reports that Keap rejected the credential (401) or refused it
// access (403). It is permanent: retrying with the same key cannot succeed.
// It never holds the key.
type AuthError struct {
	StatusCode int
	// Code and Message are Keap's, with any credential scrubbed.
	Code    string
	Message string
}

// Error says the key was rejected.
func (e *AuthError) Error() string {
	what := "API key rejected"
	if e.StatusCode == http.StatusForbidden {
		what = "API key rejected: access forbidden"
	}
	msg := fmt.Sprintf("%s (HTTP %d)", what, e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// ErrorResponse is any other non-2xx answer from Keap: a permanent 4xx, or a
// 5xx left after the retries.
type ErrorResponse struct {
	StatusCode int
	// Method and Path locate the request (the path only: no query).
	Method, Path string
	// Code, Message and Status are Keap's (v1 {"message"}; v2 {"code",
	// "message","status"}), empty when the body was not Keap's JSON.
	Code, Message, Status string
	// Err is a *BodyError when the body was not Keap's JSON (an HTML page).
	Err error
}

// Error describes the response.
func (e *ErrorResponse) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the body problem, if any.
func (e *ErrorResponse) Unwrap() error { return e.Err }

// BodyProblem says what was wrong with a response body.
type BodyProblem string

// The body problems.
const (
	BodyHTML        BodyProblem = "html"         // an HTML page where JSON was expected
	BodyTruncated   BodyProblem = "truncated"    // the body ended early
	BodyTooLarge    BodyProblem = "too_large"    // larger than Config.MaxBodyBytes
	BodyInvalidJSON BodyProblem = "invalid_json" // not JSON, or not the expected envelope
	BodyBadRecord   BodyProblem = "bad_record"   // a record without a usable id or update time
	BodyNoProgress  BodyProblem = "no_progress"  // a page that does not advance the listing: following it would loop
)

// BodyError reports a response body that could not be used. It never holds
// record payloads; Detail is at most an HTML title or a JSON error position.
type BodyError struct {
	StatusCode  int
	ContentType string
	Problem     BodyProblem
	Detail      string
	Err         error
}

// Error describes the problem.
func (e *BodyError) Error() string {
	msg := fmt.Sprintf("unusable response body (HTTP %d, %s)", e.StatusCode, e.Problem)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying read or decode error.
func (e *BodyError) Unwrap() error { return e.Err }

// IsPermanent reports whether retrying err cannot help: a rejected key, a
// 4xx other than 429 and 408 (or a redirect, which Keap's API never sends
// and the client never follows), an unusable body other than a truncated one,
// an invalid config or request. A River job cancels on it. Quota errors,
// 5xx, timeouts and connection errors are not permanent.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var qe *QuotaError
	if errors.As(err, &qe) {
		return false
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return true
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return true
	}
	var re *RequestError
	if errors.As(err, &re) {
		return true
	}
	var er *ErrorResponse
	if errors.As(err, &er) {
		return er.StatusCode >= 300 && er.StatusCode < 500 &&
			er.StatusCode != http.StatusTooManyRequests && er.StatusCode != http.StatusRequestTimeout
	}
	var be *BodyError
	if errors.As(err, &be) {
		return be.Problem != BodyTruncated
	}
	return false
}

// IsAuth reports whether err says Keap rejected the credential.
func IsAuth(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae)
}

// QuotaRetryAt returns when a call refused by the quota may be retried, and
// whether err is such a refusal. A River job snoozes until then.
func QuotaRetryAt(err error) (time.Time, bool) {
	var qe *QuotaError
	if errors.As(err, &qe) {
		return qe.RetryAt, true
	}
	return time.Time{}, false
}

// RequestError reports an invalid request built by the caller (an unknown
// stream mode, a page size out of range). It is permanent.
type RequestError struct {
	Reason string
}

// Error describes the invalid request.
func (e *RequestError) Error() string { return "invalid request: " + e.Reason }
