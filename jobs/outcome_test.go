package jobs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// TestClassify decides every kind of failure a page job meets, without a
// database or a network: the decision alone.
func TestClassify(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	reset := now.Add(14 * time.Hour)
	slot := now.Add(20 * time.Second)
	const quotaWait = 2 * time.Second
	base := failure{attempt: 1, maxAttempts: 10, now: now, account: "acme", stream: "contacts",
		quotaWait: quotaWait, dayJitter: time.Minute}
	badID := &keap.BodyError{Problem: keap.BodyBadRecord, Detail: "record 3: id is not an integer"}
	cases := []struct {
		name     string
		err      error
		stopping bool
		attempt  int
		want     decision
	}{
		{name: "process stopping, whatever the error", err: &keap.AuthError{StatusCode: 401}, stopping: true,
			want: decision{action: actLeave, until: now.Add(time.Second)}},
		{name: "day quota spent", err: &keap.QuotaError{Window: keap.WindowDay, RetryAt: reset},
			want: decision{action: actPause, window: keap.WindowDay, until: reset, jitter: time.Minute}},
		{name: "day quota spent on the last attempt still pauses", err: &keap.QuotaError{Window: keap.WindowDay, RetryAt: reset}, attempt: 10,
			want: decision{action: actPause, window: keap.WindowDay, until: reset, jitter: time.Minute}},
		{name: "minute quota spent", err: fmt.Errorf("list: %w", &keap.QuotaError{Window: keap.WindowMinute, RetryAt: slot}),
			want: decision{action: actWait, window: keap.WindowMinute, until: slot.Add(-quotaWait / 2), jitter: quotaWait / 4, latest: now.Add(maxShortSnooze)}},
		{name: "second quota spent", err: &keap.QuotaError{Window: keap.WindowSecond, RetryAt: now.Add(200 * time.Millisecond)},
			want: decision{action: actWait, window: keap.WindowSecond, until: now.Add(200*time.Millisecond - quotaWait/2), jitter: quotaWait / 4, latest: now.Add(maxShortSnooze)}},
		{name: "key rejected", err: &keap.AuthError{StatusCode: http.StatusUnauthorized},
			want: decision{action: actRejectKey}},
		{name: "key forbidden", err: fmt.Errorf("page: %w", &keap.AuthError{StatusCode: http.StatusForbidden}),
			want: decision{action: actRejectKey}},
		{name: "a 400 fails the run", err: &keap.ErrorResponse{StatusCode: 400, Method: "GET", Path: "/v2/contacts"},
			want: decision{action: actFail, reason: "account acme, stream contacts: GET /v2/contacts: HTTP 400"}},
		{name: "a record without a usable id fails the run", err: badID,
			want: decision{action: actFail, reason: "account acme, stream contacts: " + badID.Error()}},
		{name: "an invalid page in the warehouse fails the run", err: &commitError{err: fmt.Errorf("upsert: %w", warehouse.ErrInvalidPage)},
			want: decision{action: actFail, reason: "account acme, stream contacts: commit page: upsert: " + warehouse.ErrInvalidPage.Error()}},
		{name: "a check violation fails the run", err: &commitError{err: &pgconn.PgError{Severity: "ERROR", Code: pgerrcode.CheckViolation, Message: "violates check"}},
			want: decision{action: actFail, reason: "account acme, stream contacts: commit page: ERROR: violates check (SQLSTATE 23514)"}},
		{name: "a 503 is retried and counted", err: &keap.ErrorResponse{StatusCode: 503, Method: "GET", Path: "/v2/contacts"},
			want: decision{action: actRetry, countCall: true}},
		{name: "a truncated body is retried and counted", err: &keap.BodyError{Problem: keap.BodyTruncated, Err: io.ErrUnexpectedEOF},
			want: decision{action: actRetry, countCall: true}},
		{name: "a 408 is retried", err: &keap.ErrorResponse{StatusCode: http.StatusRequestTimeout},
			want: decision{action: actRetry, countCall: true}},
		{name: "a lost database connection is retried, no call counted", err: &commitError{err: io.ErrUnexpectedEOF},
			want: decision{action: actRetry}},
		{name: "a serialization failure is retried", err: &commitError{err: &pgconn.PgError{Code: pgerrcode.SerializationFailure}},
			want: decision{action: actRetry}},
		{name: "a commit cut short by the deadline is retried", err: &commitError{err: context.DeadlineExceeded},
			want: decision{action: actRetry}},
		{name: "the last attempt gives up and fails the run", err: &keap.ErrorResponse{StatusCode: 502, Method: "GET", Path: "/v2/contacts"}, attempt: 10,
			want: decision{action: actGiveUp, countCall: true, reason: "account acme, stream contacts: gave up after 10 attempts: GET /v2/contacts: HTTP 502 (retry the discarded job to continue from the checkpoint)"}},
		{name: "a commit's last attempt gives up without counting a call", err: &commitError{err: io.EOF}, attempt: 11,
			want: decision{action: actGiveUp, reason: "account acme, stream contacts: gave up after 11 attempts: commit page: EOF (retry the discarded job to continue from the checkpoint)"}},
	}
	seen := map[action]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := base
			f.err, f.stopping = c.err, c.stopping
			if c.attempt != 0 {
				f.attempt = c.attempt
			}
			got := classify(f)
			if got != c.want {
				t.Errorf("classify:\n got %+v\nwant %+v", got, c.want)
			}
			seen[got.action] = true
		})
	}
	for a := actLeave; a <= actGiveUp; a++ {
		if !seen[a] {
			t.Errorf("no case decides %s", a)
		}
	}
}

// TestDecisionWake adds the jitter within its bound and caps the wake-up.
func TestDecisionWake(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	d := decision{until: now.Add(time.Hour), jitter: time.Minute}
	for range 100 {
		w := d.wake()
		if w.Before(d.until) || w.After(d.until.Add(time.Minute)) {
			t.Fatalf("wake %s outside [until, until+jitter]", w)
		}
	}
	d = decision{until: now.Add(time.Minute), jitter: time.Second, latest: now.Add(4500 * time.Millisecond)}
	if w := d.wake(); !w.Equal(d.latest) {
		t.Fatalf("wake %s, want the cap %s", w, d.latest)
	}
}
