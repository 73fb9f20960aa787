package keap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Cursor is the position of a page in a stream's listing, to store in a
// checkpoint. The zero Cursor is the first page.
type Cursor struct {
	// Offset is the v1 offset: records already read.
	Offset int64
	// Token is the v2 page_token; "" is the first page.
	Token string
}

// PageRequest says which page of a stream to fetch.
type PageRequest struct {
	// Since and Until bound the update time (ModeTimeFilter streams only);
	// zero means unbounded.
	Since, Until time.Time

	// AfterID asks only for records whose id is greater (the stream's
	// AfterIDFilter keyset, v2 only), so a scan ordered by id resumes from
	// the last id seen instead of a page token that may expire. 0: none
	// (Keap's ids start at 1).
	AfterID int64

	// BeforeID asks only for records whose id is less (IDRange streams
	// only). With AfterID it bounds an id range, so one scan can be split
	// into ranges read in parallel; a Descending scan resumes with
	// BeforeID set to the last id seen. 0: none.
	BeforeID int64

	// Descending orders a keyset scan by id descending (KeysetByID streams
	// only). With PageSize 1 it reads the greatest id of a range: the top
	// of a stream, for splitting it into ranges.
	Descending bool

	// IDsOnly asks for the smallest records that still carry their id,
	// for reconciliation: the stream's IDsOnlyFields in place of Fields
	// (no fields parameter where IDsOnlyFields is nil; no v1
	// optional_properties). Records may then lack their update time
	// (Record.Updated is zero).
	IDsOnly bool

	// Background marks a long backfill: it may spend only
	// Quota.BackgroundShare of the day's budget; the rest is kept for the
	// foreground (incremental) syncs. Once its share is spent it gets a
	// day *QuotaError with RetryAt at the reset.
	Background bool

	// PageSize is the number of records per page. Default the stream's
	// MaxPageSize; at most MaxPageSize.
	PageSize int

	// Cursor is the page to fetch.
	Cursor Cursor
}

// Record is one record of a page.
type Record struct {
	// ID is the record's id: v2 sends it as a string of digits, v1 as a
	// number. A record whose id is not a positive integer fails its page
	// (a *BodyError, BodyBadRecord).
	ID int64
	// Updated is the record's update time, zero when the stream or the
	// record has none.
	Updated time.Time
	// Raw is the record exactly as Keap sent it, byte for byte.
	Raw json.RawMessage
}

// Page is one page of a stream.
type Page struct {
	// Records are the page's records in Keap's order.
	Records []Record
	// Next is the cursor of the following page; meaningless when Done.
	Next Cursor
	// Done reports that this is the last page.
	Done bool
	// Count is v1's total number of matching records, -1 on v2.
	Count int64
	// Quota is what this response's headers said about the quota.
	Quota QuotaReading
	// Elapsed is how long Keap took to answer the request that brought
	// the page, from sending it to reading its body: quota waits and
	// failed attempts are not included.
	Elapsed time.Duration
}

// ListPage fetches one page of stream s. A ModeSingle stream (a custom-field
// model) is one call returning every record, with Done set.
//
// v1 pages are addressed by limit/offset computed here (Keap's "next" link
// is never followed: it is present even on the last page and drops query
// parameters); the listing is done on a short page or when the offset
// reaches count. v2 pages follow next_page_token until it is "".
func (c *Client) ListPage(ctx context.Context, s Stream, req PageRequest) (*Page, error) {
	path, query, err := buildListQuery(s, req)
	if err != nil {
		return nil, fmt.Errorf("keap: list %s: %w", s.Name, err)
	}
	var page *Page
	err = c.get(ctx, request{path: path, query: query, stream: s.Name, background: req.Background}, func(resp *response) error {
		p, err := decodePage(s, req, resp.status, resp.contentType, resp.body)
		if err != nil {
			return err
		}
		p.Quota, p.Elapsed = resp.quota, resp.elapsed
		page = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("keap: list %s: %w", s.Name, err)
	}
	return page, nil
}

// pageSize is the effective page size of req on s.
func pageSize(s Stream, req PageRequest) (int, error) {
	if req.PageSize < 0 || (s.MaxPageSize > 0 && req.PageSize > s.MaxPageSize) {
		return 0, &RequestError{Reason: fmt.Sprintf("page size %d outside 1..%d", req.PageSize, s.MaxPageSize)}
	}
	if req.PageSize > 0 {
		return req.PageSize, nil
	}
	if s.MaxPageSize > 0 {
		return s.MaxPageSize, nil
	}
	return 1000, nil
}

// buildListQuery computes the path and query parameters of a page request,
// refusing (with a *RequestError) any request the endpoint cannot serve.
func buildListQuery(s Stream, req PageRequest) (string, url.Values, error) {
	if !strings.HasPrefix(s.Path, "/") || s.RecordsKey == "" {
		return "", nil, &RequestError{Reason: "stream " + strconv.Quote(s.Name) + " has no path or records key"}
	}
	if err := checkIDRequest(s, req); err != nil {
		return "", nil, err
	}
	q := url.Values{}
	if s.Mode == ModeSingle {
		return s.Path, q, nil
	}
	size, err := pageSize(s, req)
	if err != nil {
		return "", nil, err
	}
	timeBounded := s.Mode == ModeTimeFilter && s.SinceFilter != ""
	if !timeBounded && (!req.Since.IsZero() || !req.Until.IsZero()) {
		return "", nil, &RequestError{Reason: "stream " + s.Name + " has no time filter"}
	}
	switch s.Version {
	case V1:
		if req.Cursor.Offset < 0 {
			return "", nil, &RequestError{Reason: "negative offset"}
		}
		q.Set("limit", strconv.Itoa(size))
		q.Set("offset", strconv.FormatInt(req.Cursor.Offset, 10))
		if timeBounded && !req.Since.IsZero() {
			q.Set(s.SinceFilter, FormatFilterTime(req.Since))
		}
		if timeBounded && s.UntilFilter != "" && !req.Until.IsZero() {
			q.Set(s.UntilFilter, FormatFilterTime(req.Until))
		}
		if s.OrderBy != "" {
			q.Set("order", s.OrderBy)
		}
		if s.OrderDirection != "" {
			q.Set("order_direction", s.OrderDirection)
		}
		if len(s.OptionalProperties) > 0 && !req.IDsOnly {
			q.Set("optional_properties", strings.Join(s.OptionalProperties, ","))
		}
	case V2:
		q.Set("page_size", strconv.Itoa(size))
		if tok := pageToken(req.Cursor.Token); tok != "" {
			q.Set("page_token", tok)
		}
		var filter []string
		if timeBounded && !req.Since.IsZero() {
			filter = append(filter, s.SinceFilter+"=="+FormatFilterTime(req.Since))
		}
		if timeBounded && s.UntilFilter != "" && !req.Until.IsZero() {
			filter = append(filter, s.UntilFilter+"=="+FormatFilterTime(req.Until))
		}
		if req.AfterID > 0 {
			filter = append(filter, s.AfterIDFilter+">"+strconv.FormatInt(req.AfterID, 10))
		}
		if req.BeforeID > 0 {
			filter = append(filter, s.AfterIDFilter+"<"+strconv.FormatInt(req.BeforeID, 10))
		}
		if len(filter) > 0 {
			q.Set("filter", strings.Join(filter, ";"))
		}
		switch {
		case req.Descending:
			q.Set("order_by", "id desc")
		case s.OrderBy != "":
			q.Set("order_by", s.OrderBy)
		}
		fields := s.Fields
		if req.IDsOnly {
			fields = s.IDsOnlyFields
		}
		if len(fields) > 0 {
			q.Set("fields", strings.Join(fields, ","))
		}
	default:
		return "", nil, &RequestError{Reason: fmt.Sprintf("stream %s has unknown API version %d", s.Name, s.Version)}
	}
	return s.Path, q, nil
}

// checkIDRequest refuses the id options a stream cannot serve: AfterID
// needs an id keyset, BeforeID an IDRange stream, Descending a keyset
// ordered by id, and a model (ModeSingle) takes none of them.
func checkIDRequest(s Stream, req PageRequest) error {
	if req.AfterID < 0 || req.BeforeID < 0 {
		return &RequestError{Reason: "negative id bound"}
	}
	if s.Mode == ModeSingle && (req.BeforeID > 0 || req.Descending || req.IDsOnly) {
		return &RequestError{Reason: "stream " + s.Name + " is one unpaginated call: no id range, order or ids-only listing"}
	}
	if req.AfterID > 0 && (s.Version != V2 || s.AfterIDFilter == "") {
		return &RequestError{Reason: "stream " + s.Name + " has no id keyset"}
	}
	if req.BeforeID > 0 && !s.IDRange {
		return &RequestError{Reason: "stream " + s.Name + " has no id range filter"}
	}
	if req.Descending && !s.KeysetByID() {
		return &RequestError{Reason: "stream " + s.Name + " cannot be ordered by id descending"}
	}
	if req.AfterID > 0 && req.BeforeID > 0 && req.BeforeID <= req.AfterID {
		return &RequestError{Reason: fmt.Sprintf("empty id range: before %d is not above after %d", req.BeforeID, req.AfterID)}
	}
	return nil
}

// pageToken returns the opaque token to send. Keap's tokens are opaque, but
// one recorded response held a URL; its page_token parameter is the token.
func pageToken(tok string) string {
	if !strings.Contains(tok, "://") && !strings.Contains(tok, "page_token=") {
		return tok
	}
	u, err := url.Parse(tok)
	if err != nil {
		return tok
	}
	if v := u.Query().Get("page_token"); v != "" {
		return v
	}
	return tok
}

// decodePage decodes a list body into a Page. Records stay byte-exact. The
// envelope is streamed, so a page costs its body plus its records, not
// copies of the whole records array.
func decodePage(s Stream, req PageRequest, status int, contentType string, body []byte) (*Page, error) {
	bad := func(format string, args ...any) error {
		return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyInvalidJSON, Detail: fmt.Sprintf(format, args...)}
	}
	noProgress := func(detail string) error {
		return &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyNoProgress, Detail: detail}
	}
	syntax := func(err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the body ended inside the envelope
		}
		return classifyBadBody(status, contentType, bytes.TrimSpace(body), err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil {
		return nil, syntax(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, bad("not a JSON object")
	}
	size, _ := pageSize(s, req)
	page := &Page{Count: -1}
	var haveRecords bool
	var count, token json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax(err)
		}
		switch key, _ := tok.(string); key {
		case s.RecordsKey:
			if haveRecords {
				return nil, bad("%q twice", key)
			}
			haveRecords = true
			tok, err := dec.Token()
			if err != nil {
				return nil, syntax(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				// null included: the spec has an array, and reading null
				// as "no records" would end the listing (and let a
				// reconciliation soft-delete everything).
				return nil, bad("%q is not an array", key)
			}
			page.Records = make([]Record, 0, min(size, 1000))
			for dec.More() {
				if s.Mode != ModeSingle && len(page.Records) == size {
					// Decoding stops here: memory stays bounded by the
					// page size, whatever the server sends.
					return nil, bad("more than the %d records asked for", size)
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, syntax(err)
				}
				rec, err := decodeRecord(s, raw)
				if err != nil {
					return nil, &BodyError{StatusCode: status, ContentType: contentType, Problem: BodyBadRecord,
						Detail: fmt.Sprintf("record %d", len(page.Records)), Err: err}
				}
				page.Records = append(page.Records, rec)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, syntax(err)
			}
		case "count":
			err = dec.Decode(&count)
		case "next_page_token":
			err = dec.Decode(&token)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, syntax(err)
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("data after the JSON object")
	}
	if !haveRecords {
		return nil, bad("no %q array in the response", s.RecordsKey)
	}

	if err := checkKeysetBounds(req, page.Records); err != nil {
		return nil, noProgress(err.Error())
	}
	n := int64(len(page.Records))
	switch {
	case s.Mode == ModeSingle:
		page.Done = true
	case s.Version == V1:
		if len(count) > 0 && string(count) != "null" {
			c, err := strconv.ParseInt(string(count), 10, 64)
			if err != nil || c < 0 {
				return nil, bad("count is not a non-negative integer")
			}
			page.Count = c
		}
		next := req.Cursor.Offset + n
		page.Next = Cursor{Offset: next}
		page.Done = n < int64(size) || (page.Count >= 0 && next >= page.Count)
	default:
		var tok string
		if len(token) > 0 && string(token) != "null" {
			if err := json.Unmarshal(token, &tok); err != nil {
				return nil, bad("next_page_token is not a string")
			}
		}
		tok = pageToken(tok)
		if tok != "" && tok == req.Cursor.Token && n > 0 {
			return nil, noProgress("next_page_token repeats the token of this page")
		}
		page.Next = Cursor{Token: tok}
		// An empty page ends the listing even if a token came with it:
		// following it could loop for ever.
		page.Done = tok == "" || n == 0
	}
	return page, nil
}

// checkKeysetBounds refuses records outside the id range a keyset request
// asked for (ids above AfterID, below BeforeID): a page of them does not
// advance past the cursor, and its last id would lead back to the same page
// for ever.
func checkKeysetBounds(req PageRequest, recs []Record) error {
	for i, r := range recs {
		if req.AfterID > 0 && r.ID <= req.AfterID {
			return fmt.Errorf("record %d has id %d, not after the cursor's %d", i, r.ID, req.AfterID)
		}
		if req.BeforeID > 0 && r.ID >= req.BeforeID {
			return fmt.Errorf("record %d has id %d, not before the cursor's %d", i, r.ID, req.BeforeID)
		}
	}
	return nil
}

// decodeRecord extracts a record's id and update time.
func decodeRecord(s Stream, raw json.RawMessage) (Record, error) {
	idField := s.IDField
	if idField == "" {
		idField = "id"
	}
	idRaw, updatedRaw, ok := memberPair(raw, idField, s.UpdatedField)
	if !ok {
		return Record{}, fmt.Errorf("not a JSON object")
	}
	id, err := recordID(idRaw)
	if err != nil {
		return Record{}, fmt.Errorf("%s: %w", idField, err)
	}
	rec := Record{ID: id, Raw: raw}
	if s.UpdatedField != "" {
		rec.Updated, err = recordTime(updatedRaw)
		if err != nil {
			return Record{}, fmt.Errorf("%s: %w", s.UpdatedField, err)
		}
	}
	return rec, nil
}

// recordID reads an id: a string of digits (v2) or an integer (v1). Every
// Keap id is a positive integer; anything else makes the record unusable.
func recordID(v json.RawMessage) (int64, error) {
	if len(v) == 0 || string(v) == "null" {
		return 0, fmt.Errorf("missing id")
	}
	digits := string(v)
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, fmt.Errorf("bad id")
		}
		digits = strings.TrimSpace(s)
		if digits == "" {
			return 0, fmt.Errorf("empty id")
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("id %.40q is not a positive integer", digits)
	}
	return n, nil
}

// recordTime reads an update time: a timestamp string in any Keap format,
// or epoch milliseconds as a number. Absent or null is the zero time.
func recordTime(v json.RawMessage) (time.Time, error) {
	if len(v) == 0 || string(v) == "null" {
		return time.Time{}, nil
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return time.Time{}, fmt.Errorf("bad timestamp")
		}
		if strings.TrimSpace(s) == "" {
			return time.Time{}, nil
		}
		return ParseTime(s)
	}
	ms, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || ms < 0 || ms > 1e15 {
		return time.Time{}, fmt.Errorf("%w: not epoch milliseconds", ErrBadTime)
	}
	return time.UnixMilli(ms).UTC(), nil
}
