package keap

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustStream(t testing.TB, name string) Stream {
	t.Helper()
	s, ok := StreamByName(name)
	if !ok {
		t.Fatalf("no stream %q", name)
	}
	return s
}

// v1Contacts is a v1 stream shaped like the catalogue's, for tests of the
// v1 paths (the catalogue reads contacts from v2).
var v1Contacts = Stream{
	Name: "contacts_v1", Version: V1, Path: "/v1/contacts", RecordsKey: "contacts", MaxPageSize: 1000,
	Mode: ModeTimeFilter, SinceFilter: "since", UntilFilter: "until", OrderBy: "id", OrderDirection: "ASCENDING",
	IDField: "id", UpdatedField: "last_updated", OptionalProperties: []string{"custom_fields", "job_title"},
}

func TestBuildListQuery(t *testing.T) {
	t.Parallel()
	since := time.Date(2025, 4, 16, 20, 33, 2, 321e6, time.UTC)
	until := time.Date(2025, 8, 16, 22, 33, 2, 321e6, time.FixedZone("CEST", 2*3600))
	contacts := mustStream(t, "contacts")
	tests := []struct {
		name string
		s    Stream
		req  PageRequest
		want url.Values
	}{
		{
			name: "v2 time filter, keyset, order and fields",
			s:    contacts,
			req:  PageRequest{Since: since, Until: until, AfterID: 123},
			want: url.Values{
				"page_size": {"1000"},
				"filter":    {"start_update_time==2025-04-16T20:33:02.321Z;end_update_time==2025-08-16T20:33:02.321Z;contact_id>123"},
				"order_by":  {"id asc"},
				"fields":    {strings.Join(contacts.Fields, ",")},
			},
		},
		{
			name: "v2 next page with a URL-shaped token and a smaller page",
			s:    mustStream(t, "tags"),
			req:  PageRequest{PageSize: 50, Cursor: Cursor{Token: "https://api.keap.com/crm/rest/v2/tags?page_size=50&page_token=abc%3D%3D"}},
			want: url.Values{"page_size": {"50"}, "page_token": {"abc=="}, "order_by": {"update_time asc"}},
		},
		{
			name: "v2 opaque token kept as is",
			s:    mustStream(t, "users"),
			req:  PageRequest{Cursor: Cursor{Token: "eyJpZCI6MTAyfQ=="}},
			want: url.Values{"page_size": {"100"}, "page_token": {"eyJpZCI6MTAyfQ=="}, "order_by": {"create_time asc"}},
		},
		{
			name: "v1 offset, since/until, order and optional properties",
			s:    v1Contacts,
			req:  PageRequest{Since: since, Until: until, PageSize: 500, Cursor: Cursor{Offset: 1500}},
			want: url.Values{
				"limit": {"500"}, "offset": {"1500"},
				"since": {"2025-04-16T20:33:02.321Z"}, "until": {"2025-08-16T20:33:02.321Z"},
				"order": {"id"}, "order_direction": {"ASCENDING"}, "optional_properties": {"custom_fields,job_title"},
			},
		},
		{
			name: "v1 transactions without bounds",
			s:    mustStream(t, "transactions"),
			req:  PageRequest{},
			want: url.Values{"limit": {"1000"}, "offset": {"0"}},
		},
		{
			name: "v2 id range ordered descending, ids only",
			s:    contacts,
			req:  PageRequest{AfterID: 100, BeforeID: 200, Descending: true, IDsOnly: true, PageSize: 1},
			want: url.Values{
				"page_size": {"1"},
				"filter":    {"contact_id>100;contact_id<200"},
				"order_by":  {"id desc"},
				"fields":    {"id"},
			},
		},
		{
			name: "v2 ids only where fields only adds properties: no fields",
			s:    mustStream(t, "notes"),
			req:  PageRequest{BeforeID: 50, IDsOnly: true},
			want: url.Values{"page_size": {"1000"}, "filter": {"id<50"}, "order_by": {"id asc"}},
		},
		{
			name: "v1 ids only drops the optional properties",
			s:    v1Contacts,
			req:  PageRequest{IDsOnly: true},
			want: url.Values{"limit": {"1000"}, "offset": {"0"}, "order": {"id"}, "order_direction": {"ASCENDING"}},
		},
		{
			name: "background changes nothing in the query",
			s:    mustStream(t, "tags"),
			req:  PageRequest{Background: true},
			want: url.Values{"page_size": {"1000"}, "order_by": {"update_time asc"}},
		},
		{
			name: "single call has no parameters",
			s:    mustStream(t, "contact_custom_fields"),
			req:  PageRequest{PageSize: 5},
			want: url.Values{},
		},
	}
	for _, tt := range tests {
		path, q, err := buildListQuery(tt.s, tt.req)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if path != tt.s.Path || q.Encode() != tt.want.Encode() {
			t.Errorf("%s:\n got %s?%s\nwant %s?%s", tt.name, path, q.Encode(), tt.s.Path, tt.want.Encode())
		}
	}
	// The operators travel URL-encoded, as Keap's examples show.
	_, q, _ := buildListQuery(contacts, PageRequest{AfterID: 5})
	if !strings.Contains(q.Encode(), "filter=contact_id%3E5") {
		t.Errorf("filter not encoded like Keap's examples: %s", q.Encode())
	}
}

func TestBuildListQuery_RejectsBadRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    Stream
		req  PageRequest
	}{
		{"page size above the maximum", mustStream(t, "users"), PageRequest{PageSize: 101}},
		{"negative page size", mustStream(t, "tags"), PageRequest{PageSize: -1}},
		{"time bound on a full scan", mustStream(t, "products"), PageRequest{Since: time.Now()}},
		{"keyset on a stream without one", mustStream(t, "tags"), PageRequest{AfterID: 1}},
		{"keyset on v1", v1Contacts, PageRequest{AfterID: 1}},
		{"negative offset", v1Contacts, PageRequest{Cursor: Cursor{Offset: -1}}},
		{"before id on a stream without id range", mustStream(t, "users"), PageRequest{BeforeID: 9}},
		{"before id on v1", mustStream(t, "transactions"), PageRequest{BeforeID: 9}},
		{"empty id range", mustStream(t, "payments"), PageRequest{AfterID: 20, BeforeID: 20}},
		{"descending on an update-order stream", mustStream(t, "opportunities"), PageRequest{Descending: true}},
		{"descending on an id order without keyset", mustStream(t, "campaigns"), PageRequest{Descending: true}},
		{"descending on v1", mustStream(t, "transactions"), PageRequest{Descending: true}},
		{"ids only on a model", mustStream(t, "contact_custom_fields"), PageRequest{IDsOnly: true}},
		{"id range on a model", mustStream(t, "contact_custom_fields"), PageRequest{BeforeID: 3}},
		{"no path", Stream{Name: "x", Version: V2, RecordsKey: "x"}, PageRequest{}},
		{"unknown version", Stream{Name: "x", Version: 3, Path: "/v3/x", RecordsKey: "x"}, PageRequest{}},
	}
	for _, tt := range tests {
		_, _, err := buildListQuery(tt.s, tt.req)
		var re *RequestError
		if !errors.As(err, &re) || !IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent *RequestError", tt.name, err)
		}
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodePage_FixturesKeepRecordsByteExact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		s       Stream
		req     PageRequest
		ids     []int64
		updated []time.Time
		next    Cursor
		done    bool
		count   int64
	}{
		{
			fixture: "v1_contacts_page.json", s: v1Contacts, req: PageRequest{PageSize: 2},
			ids:     []int64{9007199254740993, 2},
			updated: []time.Time{time.Date(2024, 11, 20, 18, 34, 12, 0, time.UTC), time.Date(2024, 11, 21, 8, 0, 0, 123e6, time.UTC)},
			next:    Cursor{Offset: 2}, done: false, count: 5,
		},
		{
			fixture: "v2_contacts_page.json", s: mustStream(t, "contacts"), req: PageRequest{PageSize: 2},
			ids:     []int64{101, 102},
			updated: []time.Time{time.Date(2017, 4, 24, 17, 26, 26, 0, time.UTC), time.Date(2025, 4, 16, 20, 33, 2, 321e6, time.UTC)},
			next:    Cursor{Token: "eyJpZCI6MTAyfQ=="}, done: false, count: -1,
		},
		{
			fixture: "v2_contacts_model.json", s: mustStream(t, "contact_custom_fields"),
			ids: []int64{7, 9}, updated: []time.Time{{}, {}}, done: true, count: -1,
		},
	}
	for _, tt := range tests {
		body := readFixture(t, tt.fixture)
		page, err := decodePage(tt.s, tt.req, 200, "application/json", body)
		if err != nil {
			t.Errorf("%s: %v", tt.fixture, err)
			continue
		}
		if len(page.Records) != len(tt.ids) {
			t.Errorf("%s: %d records", tt.fixture, len(page.Records))
			continue
		}
		for i, rec := range page.Records {
			if rec.ID != tt.ids[i] || !rec.Updated.Equal(tt.updated[i]) {
				t.Errorf("%s record %d: id %d updated %v, want %d %v", tt.fixture, i, rec.ID, rec.Updated, tt.ids[i], tt.updated[i])
			}
			if !bytes.Contains(body, rec.Raw) || !json.Valid(rec.Raw) || rec.Raw[0] != '{' {
				t.Errorf("%s record %d not byte-exact: %s", tt.fixture, i, rec.Raw)
			}
		}
		if page.Next != tt.next || page.Done != tt.done || page.Count != tt.count {
			t.Errorf("%s: next %+v done %v count %d; want %+v %v %d", tt.fixture, page.Next, page.Done, page.Count, tt.next, tt.done, tt.count)
		}
	}
}

func TestDecodePage_StopRules(t *testing.T) {
	t.Parallel()
	v2 := mustStream(t, "tags")
	tests := []struct {
		name string
		s    Stream
		req  PageRequest
		body string
		next Cursor
		done bool
	}{
		{"v1 full page, more counted", v1Contacts, PageRequest{PageSize: 2, Cursor: Cursor{Offset: 4}},
			`{"contacts":[{"id":5},{"id":6}],"count":9,"next":"x"}`, Cursor{Offset: 6}, false},
		{"v1 short page ends", v1Contacts, PageRequest{PageSize: 2, Cursor: Cursor{Offset: 4}},
			`{"contacts":[{"id":5}],"count":900,"next":"x"}`, Cursor{Offset: 5}, true},
		{"v1 full page reaching count ends", v1Contacts, PageRequest{PageSize: 2, Cursor: Cursor{Offset: 4}},
			`{"contacts":[{"id":5},{"id":6}],"count":6,"next":"https://api.infusionsoft.com/crm/rest/v1/contacts/?limit=2&offset=6"}`, Cursor{Offset: 6}, true},
		{"v1 empty page ends despite next", v1Contacts, PageRequest{PageSize: 2, Cursor: Cursor{Offset: 6}},
			`{"contacts":[],"count":6,"next":"https://api.infusionsoft.com/crm/rest/v1/contacts/?limit=2&offset=8"}`, Cursor{Offset: 6}, true},
		{"v1 offset past count ends", v1Contacts, PageRequest{PageSize: 2, Cursor: Cursor{Offset: 10}},
			`{"contacts":[{"id":5},{"id":6}],"count":3}`, Cursor{Offset: 12}, true},
		{"v1 without count: full page continues", v1Contacts, PageRequest{PageSize: 2},
			`{"contacts":[{"id":5},{"id":6}]}`, Cursor{Offset: 2}, false},
		{"v2 token continues", v2, PageRequest{}, `{"tags":[{"id":"1"}],"next_page_token":"t2"}`, Cursor{Token: "t2"}, false},
		{"v2 empty token ends", v2, PageRequest{}, `{"tags":[{"id":"1"}],"next_page_token":""}`, Cursor{}, true},
		{"v2 null token ends", v2, PageRequest{}, `{"tags":[{"id":"1"}],"next_page_token":null}`, Cursor{}, true},
		{"v2 missing token ends", v2, PageRequest{}, `{"tags":[{"id":"1"}]}`, Cursor{}, true},
		{"v2 empty page ends despite a token", v2, PageRequest{}, `{"tags":[],"next_page_token":"t9"}`, Cursor{Token: "t9"}, true},
		{"v2 URL token", v2, PageRequest{}, `{"tags":[{"id":"1"}],"next_page_token":"https://api.keap.com/crm/rest/v2/tags?page_token=t%2B3"}`, Cursor{Token: "t+3"}, false},
	}
	for _, tt := range tests {
		page, err := decodePage(tt.s, tt.req, 200, "application/json", []byte(tt.body))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if page.Next != tt.next || page.Done != tt.done {
			t.Errorf("%s: next %+v done %v; want %+v %v", tt.name, page.Next, page.Done, tt.next, tt.done)
		}
	}
}

// TestDecodePage_APageThatCannotBeRightIsRefused covers the hostile pages
// that were followed: null where the spec has an array (read as an empty,
// final page: a reconciliation then soft-deleted the whole table), a token
// that repeats the one just sent, keyset ids that do not advance past the
// cursor (both followed for ever, spending the day's quota every day), and
// a page of more records than asked for (a million tiny records took a
// process to 893 MB).
func TestDecodePage_APageThatCannotBeRightIsRefused(t *testing.T) {
	t.Parallel()
	tags := mustStream(t, "tags")
	contacts := mustStream(t, "contacts")
	big := `{"tags":[` + strings.Repeat(`{"id":"1"},`, 1000) + `{"id":"2"}],"next_page_token":"t"}`
	for _, tc := range []struct {
		name    string
		s       Stream
		req     PageRequest
		body    string
		problem BodyProblem
	}{
		{"null records", tags, PageRequest{}, `{"tags":null,"next_page_token":""}`, BodyInvalidJSON},
		{"null records with a token", tags, PageRequest{Cursor: Cursor{Token: "t1"}}, `{"tags":null,"next_page_token":"t2"}`, BodyInvalidJSON},
		{"the same token again", tags, PageRequest{Cursor: Cursor{Token: "t7"}}, `{"tags":[{"id":"1"}],"next_page_token":"t7"}`, BodyNoProgress},
		{"the same token as a URL", tags, PageRequest{Cursor: Cursor{Token: "t7"}},
			`{"tags":[{"id":"1"}],"next_page_token":"https://api.infusionsoft.com/crm/rest/v2/tags?page_token=t7"}`, BodyNoProgress},
		{"ids not after the cursor", contacts, PageRequest{AfterID: 500}, `{"contacts":[{"id":"501"},{"id":"500"}],"next_page_token":"x"}`, BodyNoProgress},
		{"ids not before the cursor", contacts, PageRequest{BeforeID: 500, Descending: true}, `{"contacts":[{"id":"499"},{"id":"700"}],"next_page_token":"x"}`, BodyNoProgress},
		{"more records than asked for", tags, PageRequest{PageSize: 2}, `{"tags":[{"id":"1"},{"id":"2"},{"id":"3"}],"next_page_token":"t"}`, BodyInvalidJSON},
		{"more than the largest page", tags, PageRequest{}, big, BodyInvalidJSON},
	} {
		_, err := decodePage(tc.s, tc.req, 200, "application/json", []byte(tc.body))
		var be *BodyError
		if !errors.As(err, &be) || be.Problem != tc.problem {
			t.Errorf("%s: %v, want a %s body error", tc.name, err, tc.problem)
			continue
		}
		if !IsPermanent(err) {
			t.Errorf("%s: %v is retried: the same page would come again", tc.name, err)
		}
	}
	// Pages that do advance still pass.
	for _, tc := range []struct {
		name string
		s    Stream
		req  PageRequest
		body string
	}{
		{"a new token", tags, PageRequest{Cursor: Cursor{Token: "t7"}}, `{"tags":[{"id":"1"}],"next_page_token":"t8"}`},
		{"ids after the cursor", contacts, PageRequest{AfterID: 500}, `{"contacts":[{"id":"501"},{"id":"502"}],"next_page_token":"x"}`},
		{"ids within a range", contacts, PageRequest{AfterID: 500, BeforeID: 600}, `{"contacts":[{"id":"501"},{"id":"599"}],"next_page_token":"x"}`},
		{"exactly the page size", tags, PageRequest{PageSize: 2}, `{"tags":[{"id":"1"},{"id":"2"}],"next_page_token":"t"}`},
	} {
		if _, err := decodePage(tc.s, tc.req, 200, "application/json", []byte(tc.body)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestDecodePage_BadBodies(t *testing.T) {
	t.Parallel()
	v2 := mustStream(t, "tags")
	tests := []struct {
		name    string
		s       Stream
		body    string
		problem BodyProblem
	}{
		{"html", v2, "<!DOCTYPE html><html><title>Keap - Page Not Found</title></html>", BodyHTML},
		{"truncated", v2, `{"tags":[{"id":"1"},{"id":`, BodyTruncated},
		{"empty", v2, ``, BodyTruncated},
		{"not an object", v2, `[1,2]`, BodyInvalidJSON},
		{"missing records key", v2, `{"things":[]}`, BodyInvalidJSON},
		{"records not an array", v2, `{"tags":"x"}`, BodyInvalidJSON},
		{"record not an object", v2, `{"tags":[1]}`, BodyBadRecord},
		{"record without id", v2, `{"tags":[{"name":"x"}]}`, BodyBadRecord},
		{"record with empty id", v2, `{"tags":[{"id":""}]}`, BodyBadRecord},
		{"record with float id", v1Contacts, `{"contacts":[{"id":1.5}],"count":1}`, BodyBadRecord},
		{"record with bad time", v2, `{"tags":[{"id":"1","update_time":"last tuesday"}]}`, BodyBadRecord},
		{"token not a string", v2, `{"tags":[],"next_page_token":5}`, BodyInvalidJSON},
		{"count not a number", v1Contacts, `{"contacts":[],"count":"many"}`, BodyInvalidJSON},
		{"records twice", v2, `{"tags":[{"id":"1"}],"tags":[{"id":"2"}]}`, BodyInvalidJSON},
		{"data after the object", v2, `{"tags":[]} {"tags":[]}`, BodyInvalidJSON},
		{"cut inside the envelope", v2, `{"tags":[{"id":"1"}],`, BodyTruncated},
		{"cut between records", v2, `{"tags":[{"id":"1"},`, BodyTruncated},
	}
	for _, tt := range tests {
		_, err := decodePage(tt.s, PageRequest{}, 200, "application/json", []byte(tt.body))
		var be *BodyError
		if !errors.As(err, &be) || be.Problem != tt.problem {
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.problem)
		}
		if err != nil && strings.Contains(err.Error(), `"name":"x"`) {
			t.Errorf("%s: error carries the record payload: %v", tt.name, err)
		}
	}
}

func TestDecodePage_UpdateTimeFormats(t *testing.T) {
	t.Parallel()
	s := Stream{Name: "x", Version: V1, Path: "/v1/x", RecordsKey: "x", MaxPageSize: 10, Mode: ModeFullScan, IDField: "id", UpdatedField: "u"}
	body := `{"x":[{"id":1,"u":"2024-11-20T18:34:12.000+0000"},{"id":2,"u":1732127652000},{"id":3,"u":null},{"id":4},{"id":5,"u":""},{"id":"6","u":"2017-04-24T17:26:26Z"}],"count":6}`
	page, err := decodePage(s, PageRequest{}, 200, "", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		time.Date(2024, 11, 20, 18, 34, 12, 0, time.UTC), time.Date(2024, 11, 20, 18, 34, 12, 0, time.UTC),
		{}, {}, {}, time.Date(2017, 4, 24, 17, 26, 26, 0, time.UTC),
	}
	for i, rec := range page.Records {
		if !rec.Updated.Equal(want[i]) {
			t.Errorf("record %d updated %v, want %v", i, rec.Updated, want[i])
		}
	}
}

func FuzzDecodePage(f *testing.F) {
	for _, name := range []string{"v1_contacts_page.json", "v2_contacts_page.json", "v2_contacts_model.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"tags":[{"id":"1","update_time":"2017-04-24T17:26:26Z"}],"next_page_token":"x"}`))
	f.Add([]byte(`{"contacts":[{"id":1}],"count":1}`))
	f.Add([]byte(`<html><title>x</title></html>`))
	streams := []Stream{v1Contacts, mustStream(f, "contacts"), mustStream(f, "tags"), mustStream(f, "contact_custom_fields"), mustStream(f, "transactions")}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range streams {
			page, err := decodePage(s, PageRequest{PageSize: 2}, 200, "application/json", body)
			if err != nil {
				var be *BodyError
				if !errors.As(err, &be) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			for _, rec := range page.Records {
				if rec.ID == 0 || !json.Valid(rec.Raw) || !bytes.Contains(body, rec.Raw) {
					t.Fatalf("bad record %+v", rec)
				}
			}
			if s.Version == V1 && s.Mode != ModeSingle && page.Next.Offset != int64(len(page.Records)) {
				t.Fatalf("next offset %d after %d records", page.Next.Offset, len(page.Records))
			}
		}
	})
}
