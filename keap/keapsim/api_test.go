package keapsim_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

func TestAuth_AcceptsKeyHeaderAndBearerRejectsMissingOrUnknown(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 5, APIKeys: []string{"k1", "k2"}}))
	if s.APIKey() != "k1" {
		t.Fatalf("APIKey() = %q", s.APIKey())
	}
	if r := do(t, s, http.MethodGet, "/v2/contacts", "k2", ""); r.status != http.StatusOK {
		t.Fatalf("X-Keap-API-Key: %d", r.status)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/v2/contacts", nil)
	req.Header.Set("Authorization", "Bearer k1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("Bearer: %d", res.StatusCode)
	}
	for _, key := range []string{"", "k3"} {
		r := do(t, s, http.MethodGet, "/v2/contacts", key, "")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("key %q: %d", key, r.status)
		}
		if strings.Contains(string(r.body), "k1") {
			t.Fatalf("401 body leaks a key: %s", r.body)
		}
	}
	if st := s.Stats(); st.Unauthorized != 2 || st.Accepted != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAPI_UnknownPathIsHTMLPageNotFound(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 5}))
	for _, p := range []string{"/v2/nothing", "/v3/contacts", ""} {
		r := get(t, s, p)
		if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(r.body), "Page Not Found") {
			t.Fatalf("%q: %d %s %s", p, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
}

func TestAPI_GetWithBodyIsHTML400(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 5}))
	r := do(t, s, http.MethodGet, "/v2/contacts", s.APIKey(), `{"a":1}`)
	if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestAPI_InvalidFilterOrderAndPageSizeGetV2ErrorBody(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 5}))
	for _, q := range []string{
		"filter=" + url.QueryEscape("bogus==1"),
		"filter=" + url.QueryEscape("start_update_time==2025-01-01"),
		"filter=" + url.QueryEscape("start_update_time==2025-01-01T00:00:00Z"),
		"filter=" + url.QueryEscape("contact_id>abc"),
		"order_by=" + url.QueryEscape("name asc"),
		"order_by=" + url.QueryEscape("id sideways"),
		"page_size=1001",
		"page_token=%21%21",
		"fields=nope",
	} {
		r := get(t, s, "/v2/contacts?"+q)
		if r.status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		m := decode(t, r)
		if m["code"] != float64(400) || m["status"] != "Bad Request" || m["message"] == "" {
			t.Fatalf("%s: body %s", q, r.body)
		}
		if _, ok := m["details"]; !ok {
			t.Fatalf("%s: no details: %s", q, r.body)
		}
	}
}

// scan reads every page of a v2 list and returns the records.
func scan(t *testing.T, s *keapsim.Server, path string, params url.Values, key string) (recs []map[string]any, pages int) {
	t.Helper()
	tok := ""
	for {
		p := url.Values{}
		for k, v := range params {
			p[k] = v
		}
		if tok != "" {
			p.Set("page_token", tok)
		}
		r := get(t, s, path+"?"+p.Encode())
		if r.status != http.StatusOK {
			t.Fatalf("%s?%s: %d %s", path, p.Encode(), r.status, r.body)
		}
		m := decode(t, r)
		recs = append(recs, records(t, m, key)...)
		pages++
		next, ok := m["next_page_token"].(string)
		if !ok {
			t.Fatalf("no next_page_token: %s", truncate(r.body))
		}
		if next == "" {
			return recs, pages
		}
		if pages > 10_000 {
			t.Fatal("pagination does not end")
		}
		tok = next
	}
}

func ids(t *testing.T, recs []map[string]any) []int64 {
	t.Helper()
	out := make([]int64, len(recs))
	for i, r := range recs {
		s, ok := r["id"].(string)
		if !ok {
			t.Fatalf("v2 id is not a string: %v", r["id"])
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = id
	}
	return out
}

func TestContacts_PaginationVisitsEveryContactOnceInIDOrder(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 1050}))
	recs, pages := scan(t, s, "/v2/contacts", url.Values{"page_size": {"100"}, "order_by": {"id asc"}}, "contacts")
	got := ids(t, recs)
	if len(got) != 1050 || pages != 11 {
		t.Fatalf("%d contacts in %d pages", len(got), pages)
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatal("ids not strictly ascending")
	}
	// An exactly full last page still ends with "".
	full, pages := scan(t, s, "/v2/contacts", url.Values{"page_size": {"1000"}, "filter": {"contact_id<=" + strconv.FormatInt(got[999], 10)}}, "contacts")
	if pages != 1 || len(full) != 1000 {
		t.Fatalf("a page holding every contact was followed by %d more", pages-1)
	}
	// Keyset: contact_id> the last id of the first 1000.
	r := get(t, s, "/v2/contacts?"+url.Values{"filter": {"contact_id>" + strconv.FormatInt(got[999], 10)}, "order_by": {"id asc"}}.Encode())
	rest := ids(t, records(t, decode(t, r), "contacts"))
	if !slices.Equal(rest, got[1000:]) {
		t.Fatalf("keyset page = %v, want %v", rest, got[1000:])
	}
}

func TestContacts_TimeFilterBoundsAreInclusiveAndOrderByUpdateTimeWorks(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 800}))
	all, _ := scan(t, s, "/v2/contacts", url.Values{"order_by": {"update_time asc"}, "fields": {"id,update_time"}}, "contacts")
	if len(all) != 800 {
		t.Fatalf("%d contacts", len(all))
	}
	times := make([]time.Time, len(all))
	for i, r := range all {
		tm, err := time.Parse(time.RFC3339, r["update_time"].(string))
		if err != nil {
			t.Fatal(err)
		}
		times[i] = tm
		if i > 0 && tm.Before(times[i-1]) {
			t.Fatalf("update_time asc out of order at %d", i)
		}
	}
	lo, hi := times[200], times[600]
	f := "start_update_time==" + lo.Format("2006-01-02T15:04:05.000Z") + ";end_update_time==" + hi.Add(999*time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	got, _ := scan(t, s, "/v2/contacts", url.Values{"filter": {f}, "fields": {"id,update_time"}, "page_size": {"50"}}, "contacts")
	want := 0
	for _, tm := range times {
		if !tm.Before(lo) && !tm.After(hi) {
			want++
		}
	}
	if len(got) != want || want < 401 {
		t.Fatalf("time filter matched %d, want %d (inclusive)", len(got), want)
	}
	desc, _ := scan(t, s, "/v2/contacts", url.Values{"order_by": {"update_time desc"}, "fields": {"id"}, "page_size": {"70"}}, "contacts")
	ascIDs, descIDs := ids(t, all), ids(t, desc)
	slices.Reverse(descIDs)
	if !slices.Equal(ascIDs, descIDs) {
		t.Fatal("update_time desc is not the reverse of asc")
	}
}

func TestContacts_FieldsSelectProperties(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 50}))
	def := records(t, decode(t, get(t, s, "/v2/contacts")), "contacts")
	for _, r := range def {
		if _, ok := r["custom_fields"]; ok {
			t.Fatal("custom_fields without being asked")
		}
		if _, ok := r["tag_ids"]; ok {
			t.Fatal("tag_ids without being asked")
		}
		if _, ok := r["update_time"].(string); !ok {
			t.Fatal("no update_time by default")
		}
	}
	only := records(t, decode(t, get(t, s, "/v2/contacts?fields=id")), "contacts")
	for _, r := range only {
		if len(r) != 1 {
			t.Fatalf("fields=id returned %v", r)
		}
	}
	withCF := records(t, decode(t, get(t, s, "/v2/contacts?fields=id,custom_fields,tag_ids")), "contacts")
	for _, r := range withCF {
		if _, ok := r["custom_fields"].([]any); !ok {
			t.Fatalf("custom_fields missing: %v", r)
		}
		if _, ok := r["tag_ids"].([]any); !ok {
			t.Fatalf("tag_ids missing: %v", r)
		}
	}
}

func TestContactsV1_EnvelopeCountNextAlwaysPresentAndFormats(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 30}))
	for _, off := range []int{0, 20, 30, 100} {
		m := decode(t, get(t, s, "/v1/contacts?limit=20&offset="+strconv.Itoa(off)))
		if m["count"] != float64(30) {
			t.Fatalf("offset %d: count %v", off, m["count"])
		}
		next, _ := m["next"].(string)
		if next == "" || strings.Contains(next, "email") {
			t.Fatalf("offset %d: next %q", off, next)
		}
		if _, ok := m["previous"].(string); !ok {
			t.Fatalf("offset %d: no previous", off)
		}
		recs := records(t, m, "contacts")
		want := max(0, min(20, 30-off))
		if len(recs) != want {
			t.Fatalf("offset %d: %d records", off, len(recs))
		}
		for _, r := range recs {
			if _, ok := r["id"].(float64); !ok {
				t.Fatalf("v1 id not a number: %v", r["id"])
			}
			lu := r["last_updated"].(string)
			tm, err := time.Parse("2006-01-02T15:04:05.000-0700", lu)
			if err != nil || !strings.HasSuffix(lu, ".000+0000") {
				t.Fatalf("last_updated %q: %v", lu, err)
			}
			if ms := int64(r["last_updated_utc_millis"].(float64)); ms/1000 != tm.Unix() {
				t.Fatalf("last_updated_utc_millis %d vs %s", ms, lu)
			}
		}
	}
}
