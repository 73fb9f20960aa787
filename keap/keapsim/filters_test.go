package keapsim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// truthFields decodes a stream's truth into maps.
func truthMaps(t *testing.T, s *keapsim.Server, stream string) []map[string]any {
	t.Helper()
	recs, err := s.Records(stream, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		if err := json.Unmarshal(r.Raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestFilters_MatchWhatTheRecordsSay(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 600, Seed: 11}))
	contacts := truthMaps(t, s, "contacts")
	email := func(m map[string]any) string {
		if e, ok := m["email_addresses"].([]any); ok && len(e) > 0 {
			return e[0].(map[string]any)["email"].(string)
		}
		return ""
	}
	someone := contacts[17]
	given := someone["given_name"].(string)
	tags := truthMaps(t, s, "tags")
	campaigns := truthMaps(t, s, "campaigns")
	orders := truthMaps(t, s, "orders")
	orderContact := orders[3]["contact"].(map[string]any)["id"].(string)
	tests := []struct {
		name, path, key, filter string
		want                    func(m map[string]any) bool
	}{
		{"contacts given_name equality", "/v2/contacts", "contacts", "given_name==" + given,
			func(m map[string]any) bool { return m["given_name"] == given }},
		{"contacts email prefix wildcard", "/v2/contacts", "contacts", "email==" + email(someone)[:3] + "*",
			func(m map[string]any) bool { return strings.HasPrefix(strings.ToLower(email(m)), email(someone)[:3]) }},
		{"contacts ids list", "/v2/contacts", "contacts", "ids==" + contacts[1]["id"].(string) + "," + contacts[5]["id"].(string),
			func(m map[string]any) bool { return m["id"] == contacts[1]["id"] || m["id"] == contacts[5]["id"] }},
		{"contacts id range", "/v2/contacts", "contacts", "contact_id>=" + contacts[10]["id"].(string) + ";contact_id<" + contacts[20]["id"].(string),
			func(m map[string]any) bool {
				id, _ := strconv.Atoi(m["id"].(string))
				lo, _ := strconv.Atoi(contacts[10]["id"].(string))
				hi, _ := strconv.Atoi(contacts[20]["id"].(string))
				return id >= lo && id < hi
			}},
		{"tags without a category", "/v2/tags", "tags", "category_id==NONE",
			func(m map[string]any) bool { return m["category"] == nil }},
		{"orders not one id", "/v2/orders", "orders", "id!=" + orders[0]["id"].(string),
			func(m map[string]any) bool { return m["id"] != orders[0]["id"] }},
		{"orders of a contact", "/v2/orders", "orders", "contact_id==" + orderContact,
			func(m map[string]any) bool { return m["contact"].(map[string]any)["id"] == orderContact }},
		{"campaign name contains", "/v2/campaigns", "campaigns", "name==CAMPAIGN",
			func(m map[string]any) bool { return strings.Contains(strings.ToLower(m["name"].(string)), "campaign") }},
		{"tags created since", "/v2/tags", "tags", "since_create_time==" + strings.Replace(tags[len(tags)/2]["create_time"].(string), "Z", ".000Z", 1),
			func(m map[string]any) bool {
				return m["create_time"].(string) >= tags[len(tags)/2]["create_time"].(string)
			}},
	}
	truth := map[string][]map[string]any{"/v2/contacts": contacts, "/v2/tags": tags, "/v2/campaigns": campaigns, "/v2/orders": orders}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := scan(t, s, tt.path, url.Values{"filter": {tt.filter}, "page_size": {"50"}}, tt.key)
			var want []string
			for _, m := range truth[tt.path] {
				if tt.want(m) {
					want = append(want, m["id"].(string))
				}
			}
			var gotIDs []string
			for _, m := range got {
				gotIDs = append(gotIDs, m["id"].(string))
			}
			if len(want) == 0 || !slices.Equal(gotIDs, want) {
				t.Fatalf("filter %q: got %d records %v, want %d %v", tt.filter, len(gotIDs), gotIDs, len(want), want)
			}
		})
	}
}

func TestOrdering_ContentOrderIDDescAndV1Order(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 250}))
	byEmail, pages := scan(t, s, "/v2/contacts", url.Values{"order_by": {"email asc"}, "page_size": {"7"}, "fields": {"id,email_addresses"}}, "contacts")
	if len(byEmail) != 250 || pages != 36 {
		t.Fatalf("%d contacts in %d pages", len(byEmail), pages)
	}
	var emails []string
	for _, m := range byEmail {
		e := ""
		if l, ok := m["email_addresses"].([]any); ok && len(l) > 0 {
			e = strings.ToLower(l[0].(map[string]any)["email"].(string))
		}
		emails = append(emails, e)
	}
	if !slices.IsSorted(emails) {
		t.Fatal("order_by email asc is not sorted by email")
	}
	// The sorted order is cached; a mutation must invalidate it.
	if _, err := s.Create("contacts"); err != nil {
		t.Fatal(err)
	}
	if again, _ := scan(t, s, "/v2/contacts", url.Values{"order_by": {"email desc"}, "page_size": {"100"}}, "contacts"); len(again) != 251 {
		t.Fatalf("after a create, email order lists %d contacts", len(again))
	}
	if err := s.Delete("contacts", ids(t, byEmail)[0]); err != nil {
		t.Fatal(err)
	}
	desc, _ := scan(t, s, "/v2/contacts", url.Values{"order_by": {"id desc"}, "page_size": {"40"}}, "contacts")
	d := ids(t, desc)
	if len(d) != 250 || !slices.IsSortedFunc(d, func(a, b int64) int { return int(b - a) }) {
		t.Fatal("id desc is not descending over every contact")
	}
	m := decode(t, get(t, s, "/v1/contacts?order=id&order_direction=DESCENDING&limit=5"))
	recs := records(t, m, "contacts")
	if int64(recs[0]["id"].(float64)) != d[0] {
		t.Fatalf("v1 DESCENDING starts at %v, want %d", recs[0]["id"], d[0])
	}
	if r := get(t, s, "/v1/contacts?order=shoe_size"); r.status != http.StatusBadRequest {
		t.Fatalf("v1 unknown order: %d", r.status)
	}
}

func TestPagination_V1StopsOnShortPageAndV2TokenIsOpaqueAndValidated(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 500}))
	// v1: limit above the cap is served at the cap.
	m := decode(t, get(t, s, "/v1/transactions?limit=5000"))
	if n := len(records(t, m, "transactions")); n != 100 || m["count"] != float64(100) {
		t.Fatalf("transactions: %d records, count %v", n, m["count"])
	}
	// v2: users are capped at 100 a page.
	for _, size := range []string{"101", "0", "-1"} {
		if r := get(t, s, "/v2/users?page_size="+size); r.status != http.StatusBadRequest {
			t.Fatalf("users page_size %s: %d", size, r.status)
		}
	}
	if r := get(t, s, "/v2/tags?page_size=0"); r.status != http.StatusOK {
		t.Fatalf("tags page_size 0 (spec minimum): %d", r.status)
	}
	for _, tok := range []string{"garbage", "azox", "bzoxOjE"} {
		if r := get(t, s, "/v2/contacts?page_token="+tok); r.status != http.StatusBadRequest {
			t.Fatalf("token %q: %d", tok, r.status)
		}
	}
}

func TestQuota_ClientKeepingToTheQuotaGetsNo429s(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := keapsim.New(t, keapsim.Options{Contacts: 10, Now: c.Now})
	for i := range 300 {
		if r := get(t, s, "/v2/campaigns"); r.status != http.StatusOK {
			t.Fatalf("request %d at %v: %d", i, c.Now(), r.status)
		}
		c.Advance(500 * time.Millisecond) // 120 a minute, evenly spaced
	}
	st := s.Stats()
	if st.Rejected != 0 || st.PeakMinute != 120 || st.PeakSecond != 2 {
		t.Fatalf("stats %+v", st)
	}
	// One more burst request is caught by the spike arrest.
	get(t, s, "/v2/campaigns")
	c.Advance(100 * time.Millisecond)
	if r := get(t, s, "/v2/campaigns"); r.status != http.StatusTooManyRequests {
		t.Fatalf("burst: %d", r.status)
	}
}
