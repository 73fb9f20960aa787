package keap

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Count returns how many records of stream s exist, or were updated in
// [since, until] when either bound is set (zero means unbounded), for
// sizing a sync before running it. It costs one call: the stream's v1
// CountPath with limit=1, whose count field is the total number of
// matches.
//
// It returns a *RequestError, without a network call, when the stream has
// no count endpoint (CountPath is empty) or a bound is set and that
// endpoint cannot filter by update time. Counts are estimates: records
// change between the count and the sync, and v1 and v2 may differ on what
// they list.
func (c *Client) Count(ctx context.Context, s Stream, since, until time.Time) (int64, error) {
	query, err := buildCountQuery(s, since, until)
	if err != nil {
		return 0, fmt.Errorf("keap: count %s: %w", s.Name, err)
	}
	var count int64
	err = c.get(ctx, request{path: s.CountPath, query: query, stream: s.Name}, func(resp *response) error {
		n, err := decodeCount(s, resp.status, resp.contentType, resp.body)
		count = n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("keap: count %s: %w", s.Name, err)
	}
	return count, nil
}

// buildCountQuery computes the query of a count.
func buildCountQuery(s Stream, since, until time.Time) (url.Values, error) {
	if s.CountPath == "" || s.CountRecordsKey == "" {
		return nil, &RequestError{Reason: "stream " + s.Name + " has no v1 count endpoint"}
	}
	if (!since.IsZero() && s.CountSinceParam == "") || (!until.IsZero() && s.CountUntilParam == "") {
		return nil, &RequestError{Reason: "count endpoint " + s.CountPath + " of stream " + s.Name + " has no update-time filter"}
	}
	q := url.Values{}
	q.Set("limit", "1")
	q.Set("offset", "0")
	if !since.IsZero() {
		q.Set(s.CountSinceParam, FormatFilterTime(since))
	}
	if !until.IsZero() {
		q.Set(s.CountUntilParam, FormatFilterTime(until))
	}
	return q, nil
}

// decodeCount reads count from a v1 list envelope, checking that the
// records array is there: a body without it is not the list asked for.
func decodeCount(s Stream, status int, contentType string, body []byte) (int64, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil || env == nil {
		if err == nil {
			err = fmt.Errorf("null body")
		}
		return 0, classifyBadBody(status, contentType, bytes.TrimSpace(body), err)
	}
	bad := func(detail string) error {
		return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyInvalidJSON, Detail: detail}
	}
	if recs, ok := env[s.CountRecordsKey]; !ok || len(recs) == 0 || (recs[0] != '[' && string(recs) != "null") {
		return 0, bad(fmt.Sprintf("no %q array in the response", s.CountRecordsKey))
	}
	raw, ok := env["count"]
	if !ok {
		return 0, bad("no count in the response")
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		return 0, bad("count is not a non-negative integer")
	}
	return n, nil
}
