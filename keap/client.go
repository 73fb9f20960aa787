package keap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxErrorBodyBytes bounds how much of an error response is read: Keap's
// error bodies are small, and an HTML error page needs only its title.
const maxErrorBodyBytes = 64 << 10

// Client calls Keap's REST API within the account's quota. It is safe for
// concurrent use; every goroutine shares one quota governor.
type Client struct {
	cfg  Config
	base string
	http *http.Client
	gov  *governor
	log  *slog.Logger

	mu        sync.Mutex
	lastQuota QuotaReading

	// beforeWrite, when set (tests), runs between a call's grant and the
	// check of its lateness (see gate).
	beforeWrite func()
}

// New validates cfg, fills in its defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("keap: new client: %w", err)
	}
	hc := &http.Client{
		Timeout:   cfg.Timeouts.Request,
		Transport: newTransport(cfg.Timeouts),
		// A redirect could carry the key to another host; Keap's API does
		// not redirect, so none is followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Client{
		cfg:       cfg,
		base:      cfg.BaseURL,
		http:      hc,
		gov:       newGovernor(cfg),
		log:       cfg.Logger,
		lastQuota: unknownQuota,
	}, nil
}

// CloseIdleConnections closes the client's kept-alive connections that
// carry no request (as http.Client's does): a process that stops calling
// Keap lets them go.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// ForgetQuota makes the client's quota store forget what Keap reported for
// the client's account (limits, the day's reset and count), keeping the
// slots granted, and lifts this client's pauses: the operator's way out of a
// reading that should not have been believed. The next response brings
// Keap's word again.
func (c *Client) ForgetQuota(ctx context.Context) error {
	c.gov.mu.Lock()
	c.gov.pauseUntil, c.gov.pauseWindow = time.Time{}, ""
	c.gov.mu.Unlock()
	if err := c.cfg.Store.Forget(ctx, c.cfg.Account); err != nil {
		return fmt.Errorf("keap: forget quota of %s: %w", c.cfg.Account, err)
	}
	return nil
}

// QuotaConfig returns the client's quota configuration with its defaults
// filled in.
func (c *Client) QuotaConfig() QuotaConfig { return c.cfg.Quota }

// Quota returns the quota reading of the latest response (counts -1 before
// any response).
func (c *Client) Quota() QuotaReading {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastQuota
}

// response is an answer from Keap: status and quota always, the body only
// when the status is 2xx.
type response struct {
	status      int
	contentType string
	body        []byte
	quota       QuotaReading
	elapsed     time.Duration // sending the request to reading the body
}

// request is one GET the client makes.
type request struct {
	path  string     // below the base URL, without the query
	query url.Values // may be nil
	// stream names the catalogue stream read, for Call.Stream.
	stream string
	// background marks a call that may spend only BackgroundShare of the
	// day's budget.
	background bool
}

// maxHeldBack is how many times in a row a call may be held back for
// leaving too late after its slot before it fails (transiently: River
// retries it later) rather than take yet another slot.
const maxHeldBack = 8

// get sends GET req through the governor, retrying what can be retried,
// and hands the 2xx response to decode. A body that decode finds
// truncated is retried like a dropped connection. Every attempt, every
// call held back for lateness, and a refusal by the governor, is reported
// to Config.ObserveFunc.
func (c *Client) get(ctx context.Context, req request, decode func(*response) error) error {
	rawURL := c.base + req.path
	if len(req.query) > 0 {
		rawURL += "?" + req.query.Encode()
	}
	var lastRateLimit *RateLimitError
	heldBack := 0
	// first: this call is the client's first, and every other call waits
	// until Keap has answered it (see waitFirst). It stays first through
	// attempts that got no answer: a call held back for lateness, or one
	// that found no server, told nobody what the day holds.
	first := false
	defer func() {
		if first {
			c.gov.firstDone()
		}
	}()
	for attempt := 1; ; attempt++ {
		if !first {
			var err error
			if first, err = c.gov.waitFirst(ctx); err != nil {
				return err
			}
		}
		s, storeTook, err := c.gov.reserve(ctx, req.background)
		if err != nil {
			var qe *QuotaError
			if errors.As(err, &qe) {
				if qe.Err == nil && lastRateLimit != nil {
					qe.Err = lastRateLimit
				}
				c.observe(Call{Path: req.path, Stream: req.stream, Attempt: attempt, Err: err, Quota: unknownQuota, Refused: true, Store: storeTook})
			}
			return err
		}
		g := &gate{clock: c.cfg.Clock, slot: s.at, deadline: s.deadline, beforeWrite: c.beforeWrite}
		start := time.Now()
		resp, err := c.send(ctx, rawURL, req.path, g)
		elapsed := time.Since(start)
		if first && resp != nil {
			c.gov.firstDone()
			first = false
		}
		if g.refused() && ctx.Err() == nil {
			// Nothing was written: Keap never saw the call. Its slot stays
			// spent in the store (which is safe); the call takes another.
			heldBack++
			c.observe(Call{Path: req.path, Stream: req.stream, Attempt: attempt, Err: errLate, Quota: unknownQuota,
				HeldBack: true, Lateness: g.lateness, Store: storeTook})
			if heldBack >= maxHeldBack {
				return fmt.Errorf("%w, %d times in a row (is the machine overloaded?)", errLate, heldBack)
			}
			attempt--
			continue
		}
		heldBack = 0
		if err == nil {
			resp.elapsed = elapsed
			err = decode(resp)
		}
		call := Call{Path: req.path, Stream: req.stream, Duration: elapsed, Attempt: attempt, Err: err, Quota: unknownQuota,
			Store: storeTook, Lateness: g.lateness}
		if resp != nil {
			call.Status, call.Quota = resp.status, resp.quota
		}
		var rle *RateLimitError
		if errors.As(err, &rle) {
			call.RateLimit = rle.Cause
		}
		c.observe(call)
		if err == nil {
			return nil
		}
		retryable := false
		switch {
		case ctx.Err() != nil:
			// The context ended during the attempt, and that is why the
			// call stops: say so, keeping what the attempt got (a response
			// can beat the cancellation to the client).
			if errors.Is(err, ctx.Err()) {
				return err
			}
			return fmt.Errorf("%w: %w", ctx.Err(), err)
		case rle != nil:
			lastRateLimit = rle
			c.log.LogAttrs(ctx, slog.LevelWarn, "keap: rate limited",
				slog.String("path", req.path), slog.String("cause", string(rle.Cause)),
				slog.Int("attempt", attempt), slog.Duration("retry_after", rle.RetryAfter))
			if perr := c.gov.penalize(ctx, c.cfg.Clock.Now(), rle); perr != nil {
				return perr
			}
			if attempt >= c.cfg.Retry.MaxAttempts {
				return c.quotaErrorAfter(rle)
			}
			// No backoff: the governor, now aware of the 429, decides
			// the wait (or refuses with a *QuotaError).
			continue
		default:
			retryable = isRetryable(err)
		}
		if !retryable || attempt >= c.cfg.Retry.MaxAttempts {
			return err
		}
		backoff := c.backoff(attempt)
		c.log.LogAttrs(ctx, slog.LevelWarn, "keap: retrying",
			slog.String("path", req.path), slog.Int("attempt", attempt),
			slog.Duration("backoff", backoff), slog.String("error", err.Error()))
		if err := c.cfg.Clock.Sleep(ctx, backoff); err != nil {
			return err
		}
	}
}

// quotaErrorAfter turns the last 429 into the error returned when the
// attempts are spent, so the caller snoozes rather than fails.
func (c *Client) quotaErrorAfter(rle *RateLimitError) *QuotaError {
	now := c.cfg.Clock.Now()
	wait := c.cfg.Quota.Minute
	switch {
	case rle.Cause == CauseDay:
		// The store holds the day as spent; a reservation then tells how
		// long, without a call. Snooze a minute at most before asking.
	case rle.HasRetryAfter && rle.RetryAfter <= wait:
		wait = rle.RetryAfter
	case rle.Cause == CauseSpike:
		wait = c.cfg.Quota.Second
	}
	return &QuotaError{Window: causeWindow(rle.Cause), RetryAt: now.Add(wait), Err: rle}
}

// backoff is the full-jitter exponential delay before retry number attempt.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.cfg.Retry.BaseDelay
	for i := 1; i < attempt && ceiling < c.cfg.Retry.MaxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.cfg.Retry.MaxDelay)
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

// transportError marks a failure to get a response (connection refused,
// reset, timeout), which is worth retrying.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// isRetryable reports whether a failed attempt may succeed if repeated.
func isRetryable(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	var er *ErrorResponse
	if errors.As(err, &er) {
		return er.StatusCode >= 500 || er.StatusCode == http.StatusRequestTimeout
	}
	var be *BodyError
	if errors.As(err, &be) {
		return be.Problem == BodyTruncated
	}
	return false
}

// send makes one request, through g, and turns any non-2xx answer into a
// typed error. The response (status and quota, without a body) comes with
// the error whenever Keap answered.
func (c *Client) send(ctx context.Context, rawURL, path string, g *gate) (*response, error) {
	req, err := http.NewRequestWithContext(withGate(ctx, g), http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &RequestError{Reason: "bad URL for " + path}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if err := c.cfg.Credential.Apply(ctx, req); err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	return c.sendRequest(req, credentialValues(req.Header), path)
}

// sendRequest does the request and turns any non-2xx answer into a typed
// error.
func (c *Client) sendRequest(req *http.Request, secrets []string, path string) (*response, error) {
	ctx := req.Context()
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &transportError{err: scrubError(err, secrets)}
	}
	defer resp.Body.Close()
	receivedAt := c.cfg.Clock.Now()
	quota := ParseQuotaHeaders(resp.Header, receivedAt)
	c.mu.Lock()
	c.lastQuota = quota
	c.mu.Unlock()
	if err := c.gov.observe(ctx, quota); err != nil {
		// The response is good and its call is spent; a store failure
		// must not waste it. The next Reserve will surface a lasting one.
		c.log.LogAttrs(ctx, slog.LevelWarn, "keap: quota observe failed", slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "keap: response",
		slog.String("path", path), slog.Int("status", resp.StatusCode),
		slog.Duration("elapsed", time.Since(start)), slog.Int64("quota_day_used", quota.DayUsed))

	contentType := resp.Header.Get("Content-Type")
	limit := c.cfg.MaxBodyBytes
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = maxErrorBodyBytes
	}
	body, readErr := readLimited(resp.Body, limit)

	status := resp.StatusCode
	answer := &response{status: status, contentType: contentType, quota: quota}
	if status >= 200 && status <= 299 {
		if readErr != nil {
			return answer, bodyReadError(status, contentType, readErr, limit)
		}
		answer.body = body
		return answer, nil
	}
	if readErr != nil && !errors.Is(readErr, errBodyTooLarge) {
		if ctx.Err() != nil {
			return answer, ctx.Err()
		}
		// An error response we could not even read: treat like a dropped
		// connection.
		return answer, &transportError{err: scrubError(readErr, secrets)}
	}
	eb := parseErrorBody(status, contentType, body, secrets)
	switch {
	case status == http.StatusTooManyRequests:
		return answer, classifyRateLimit(resp.Header, quota, eb, receivedAt)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return answer, &AuthError{StatusCode: status, Code: eb.code, Message: eb.message}
	}
	er := &ErrorResponse{
		StatusCode: status, Method: http.MethodGet, Path: path,
		Code: eb.code, Message: eb.message, Status: eb.status,
	}
	if eb.bodyErr != nil {
		er.Err = eb.bodyErr
	}
	return answer, er
}

var errBodyTooLarge = errors.New("body exceeds the size limit")

// readLimited reads at most limit bytes of r, failing with errBodyTooLarge
// beyond that.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return body, err
	}
	if int64(len(body)) > limit {
		return body[:limit], errBodyTooLarge
	}
	return body, nil
}

// bodyReadError classifies a failure to read a 2xx body.
func bodyReadError(status int, contentType string, err error, limit int64) *BodyError {
	if errors.Is(err, errBodyTooLarge) {
		return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyTooLarge,
			Detail: fmt.Sprintf("more than %d bytes", limit)}
	}
	return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyTruncated, Err: err}
}

// errorBody is what could be read from an error response.
type errorBody struct {
	code, message, status string
	spikeArrest           bool
	bodyErr               *BodyError // set when the body was not Keap's JSON
}

// maxMessageLen bounds Keap's messages copied into errors.
const maxMessageLen = 300

// parseErrorBody reads Keap's error shapes: v1 {"message"}, v2 {"code",
// "message","status","details"} (code a number, or a string on 429s), and
// the Apigee fault {"fault":{"faultstring","detail":{"errorcode"}}}.
// Anything the credential's values appear in is scrubbed.
func parseErrorBody(status int, contentType string, body []byte, secrets []string) errorBody {
	var raw struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Status  string          `json:"status"`
		Fault   *struct {
			FaultString string `json:"faultstring"`
			Detail      struct {
				ErrorCode string `json:"errorcode"`
			} `json:"detail"`
		} `json:"fault"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errorBody{}
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		be := classifyBadBody(status, contentType, trimmed, err)
		if be.Detail != "" {
			be.Detail = scrub(be.Detail, secrets)
		}
		return errorBody{bodyErr: be}
	}
	var eb errorBody
	eb.message, eb.status = raw.Message, raw.Status
	if len(raw.Code) > 0 {
		var s string
		if json.Unmarshal(raw.Code, &s) == nil {
			eb.code = s
		} else if raw.Code[0] != 'n' { // a number; null means none
			eb.code = string(raw.Code)
		}
	}
	if raw.Fault != nil {
		eb.code = raw.Fault.Detail.ErrorCode
		if eb.message == "" {
			eb.message = raw.Fault.FaultString
		}
		eb.spikeArrest = strings.Contains(eb.code, "SpikeArrest")
	}
	eb.code = clip(scrub(eb.code, secrets), 100)
	eb.message = clip(scrub(eb.message, secrets), maxMessageLen)
	eb.status = clip(scrub(eb.status, secrets), 100)
	return eb
}

// classifyBadBody says why a body is not the JSON we expected.
func classifyBadBody(status int, contentType string, body []byte, err error) *BodyError {
	if isHTML(contentType, body) {
		return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyHTML, Detail: htmlTitle(body)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset >= int64(len(body)) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyTruncated, Err: err}
	}
	return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyInvalidJSON, Err: err}
}

func isHTML(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && strings.Contains(mt, "html") {
		return true
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}

// htmlTitle returns an HTML page's title ("Keap - Page Not Found"), which is
// all of an HTML error page worth putting in an error.
func htmlTitle(body []byte) string {
	lower := bytes.ToLower(body)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	title := strings.Join(strings.Fields(string(body[start:start+end])), " ")
	return clip(strings.ToValidUTF8(title, ""), 120)
}

// classifyRateLimit tells a 429's cause from the spike-arrest code, then
// from which *-available header is 0. With quota headers present and none
// at 0, only the spike arrest (not reported in headers) is left.
func classifyRateLimit(h http.Header, q QuotaReading, eb errorBody, now time.Time) *RateLimitError {
	e := &RateLimitError{Quota: q, Code: eb.code, Message: eb.message}
	e.RetryAfter, e.HasRetryAfter = parseRetryAfter(h, now)
	switch {
	case eb.spikeArrest:
		e.Cause = CauseSpike
	case q.DayAvailable == 0 || (q.DayLimit >= 0 && q.DayUsed >= q.DayLimit):
		e.Cause = CauseDay
	case q.WindowAvailable == 0 || (q.WindowLimit >= 0 && q.WindowUsed >= q.WindowLimit):
		e.Cause = CauseMinute
	case q.TenantAvailable == 0 || (q.TenantLimit >= 0 && q.TenantUsed >= q.TenantLimit):
		e.Cause = CauseTenant
	case q.DayAvailable > 0 || q.WindowAvailable > 0:
		e.Cause = CauseSpike
	default:
		e.Cause = CauseUnknown
	}
	return e
}

// credentialValues returns the secret header values a Credential set, so
// they can be scrubbed from anything echoed back.
func credentialValues(h http.Header) []string {
	var out []string
	if v := h.Get("X-Keap-API-Key"); v != "" {
		out = append(out, v)
	}
	if v := h.Get("Authorization"); v != "" {
		out = append(out, v)
		if _, tok, ok := strings.Cut(v, " "); ok && tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}

// scrubbedError keeps an error's chain but redacts its message.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func scrubError(err error, secrets []string) error {
	msg := err.Error()
	if s := scrub(msg, secrets); s != msg {
		return &scrubbedError{msg: s, err: err}
	}
	return err
}
