package keapsim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// field reads a dotted path ("stage.name", "total.amount") of a decoded
// record; "" when absent.
func field(m map[string]any, path string) string {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[k]
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// TestV1Lists_ShowTheSameRecordsAsV2 compares each v1 list with its v2
// stream record by record, on the properties both versions carry: the v1
// renderings draw from the same sources, so they must agree.
func TestV1Lists_ShowTheSameRecordsAsV2(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 300, Seed: 13}))
	cents := func(v string) string { // v2 money amounts are cents; v1 shows dollars
		var c float64
		fmt.Sscan(v, &c)
		return fmt.Sprint(c / 100)
	}
	same := func(v string) string { return v }
	tests := []struct {
		v1, v2, key, v2Fields string
		pairs                 [][2]string // v1 path, v2 path
		v2Value               func(string) string
	}{
		{"/v1/companies", "/v2/companies", "companies", "id,company_name,website,email_address,address", [][2]string{
			{"company_name", "company_name"}, {"website", "website"}, {"email_address", "email_address.email"},
			{"address.locality", "address.locality"}, {"address.zip_code", "address.postal_code"}}, same},
		{"/v1/orders", "/v2/orders", "orders", "", [][2]string{{"title", "title"}, {"status", "status"}, {"contact.id", "contact.id"}}, same},
		{"/v1/orders", "/v2/orders", "orders", "", [][2]string{{"total", "total.amount"}, {"total_due", "total_due.amount"}}, cents},
		{"/v1/tasks", "/v2/tasks", "tasks", "", [][2]string{{"title", "title"}, {"description", "description"}, {"completed", "completed"},
			{"contact.id", "contact_id"}, {"user_id", "assigned_to_user_id"}}, same},
		{"/v1/notes", "/v2/notes", "notes", "", [][2]string{{"title", "title"}, {"body", "text"}, {"type", "type"}, {"contact_id", "contact_id"},
			{"user_id", "created_by_user_id"}}, same},
		{"/v1/opportunities", "/v2/opportunities", "opportunities", "", [][2]string{{"opportunity_title", "opportunity_title"},
			{"stage.name", "stage.name"}, {"contact.id", "contact.id"}, {"user.id", "user.id"}, {"next_action_notes", "next_action_notes"},
			{"projected_revenue_low", "projected_revenue_low"}, {"projected_revenue_high", "projected_revenue_high"}}, same},
		{"/v1/products", "/v2/products", "products", "", [][2]string{{"product_name", "name"}, {"sku", "sku"},
			{"product_short_desc", "short_description"}, {"subscription_only", "subscription_only"}}, same},
		{"/v1/products", "/v2/products", "products", "", [][2]string{{"product_price", "price.amount"}}, cents},
		{"/v1/subscriptions", "/v2/subscriptions", "subscriptions", "", [][2]string{{"active", "active"}, {"billing_amount", "billing_amount"},
			{"billing_cycle", "billing_cycle"}, {"contact_id", "contact_id"}, {"product_id", "product_id"}, {"end_date", "end_date"}}, same},
		{"/v1/tags", "/v2/tags", "tags", "", [][2]string{{"name", "name"}, {"description", "description"}, {"category.id", "category.id"}}, same},
		{"/v1/users", "/v2/users", "users", "", [][2]string{{"given_name", "given_name"}, {"family_name", "family_name"},
			{"email_address", "email_addresses.0"}}, same},
		{"/v1/campaigns", "/v2/campaigns", "campaigns", "", [][2]string{{"name", "name"}, {"locked", "locked"},
			{"published_status", "published_status"}}, same},
	}
	for _, tt := range tests {
		t.Run(tt.v1+" "+tt.pairs[0][0], func(t *testing.T) {
			t.Parallel()
			v1 := records(t, decode(t, get(t, s, tt.v1+"?limit=1000")), tt.key)
			q := url.Values{"page_size": {"100"}}
			if tt.v2Fields != "" {
				q.Set("fields", tt.v2Fields)
			}
			v2, _ := scan(t, s, tt.v2, q, tt.key)
			byID := map[string]map[string]any{}
			for _, r := range v2 {
				byID[field(r, "id")] = r
			}
			if len(v1) != len(v2) || len(v1) == 0 {
				t.Fatalf("v1 lists %d, v2 %d", len(v1), len(v2))
			}
			differ := 0
			for _, r1 := range v1 {
				r2 := byID[field(r1, "id")]
				if r2 == nil {
					t.Fatalf("v1 record %s is not in v2", field(r1, "id"))
				}
				for _, p := range tt.pairs {
					a, b := field(r1, p[0]), field(r2, p[1])
					if strings.HasPrefix(p[1], "email_addresses") {
						b = field(r2["email_addresses"].([]any)[0].(map[string]any), "email")
					}
					if b != "" {
						b = tt.v2Value(b)
					}
					if a != b {
						t.Fatalf("record %s: v1 %s %q, v2 %s %q", field(r1, "id"), p[0], a, p[1], b)
					}
					if a != "" {
						differ++
					}
				}
			}
			if differ == 0 {
				t.Fatal("no property compared holds a value")
			}
		})
	}
}

func TestV1Lists_FiltersAndOrders(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 400, Seed: 17}))
	list := func(t *testing.T, path, key string, q url.Values) []map[string]any {
		t.Helper()
		q.Set("limit", "1000")
		r := get(t, s, path+"?"+q.Encode())
		if r.status != http.StatusOK {
			t.Fatalf("%s?%s: %d %s", path, q.Encode(), r.status, truncate(r.body))
		}
		m := decode(t, r)
		recs := records(t, m, key)
		if int(m["count"].(float64)) != len(recs) {
			t.Fatalf("count %v for %d records", m["count"], len(recs))
		}
		return recs
	}
	ids := func(recs []map[string]any) []string {
		var out []string
		for _, r := range recs {
			out = append(out, field(r, "id"))
		}
		return out
	}

	orders := list(t, "/v1/orders", "orders", url.Values{})
	paid := list(t, "/v1/orders", "orders", url.Values{"paid": {"true"}})
	if len(paid) == 0 || len(paid) == len(orders) {
		t.Fatalf("paid=true keeps %d of %d orders", len(paid), len(orders))
	}
	for _, o := range paid {
		if o["status"] != "PAID" {
			t.Fatalf("paid=true lists a %v order", o["status"])
		}
	}
	newest := list(t, "/v1/orders", "orders", url.Values{"order": {"update_date"}})
	var updated []string
	for _, o := range newest {
		updated = append(updated, field(o, "modification_date"))
	}
	if !slices.IsSortedFunc(updated, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Fatal("order=update_date is not most recent first")
	}
	byDate := ids(list(t, "/v1/orders", "orders", url.Values{"order": {"order_date"}, "order_direction": {"ASCENDING"}}))
	if !slices.Equal(byDate, ids(orders)) {
		t.Fatal("order_direction=ASCENDING does not override most recent first")
	}

	someone := field(list(t, "/v1/notes", "notes", url.Values{})[7], "contact_id")
	for _, n := range list(t, "/v1/notes", "notes", url.Values{"contact_id": {someone}}) {
		if field(n, "contact_id") != someone {
			t.Fatalf("contact_id=%s lists a note of %s", someone, field(n, "contact_id"))
		}
	}
	campaigns := list(t, "/v1/campaigns", "campaigns", url.Values{"search_text": {"CAMPAIGN"}})
	if len(campaigns) == 0 {
		t.Fatal("search_text matches no campaign")
	}
	for _, c := range campaigns {
		if !strings.Contains(strings.ToLower(field(c, "name")), "campaign") {
			t.Fatalf("search_text=CAMPAIGN lists %q", field(c, "name"))
		}
	}
	users := list(t, "/v1/users", "users", url.Values{})
	if got := list(t, "/v1/users", "users", url.Values{"include_inactive": {"false"}}); len(got) != len(users) {
		t.Fatalf("include_inactive narrowed %d users to %d", len(users), len(got))
	}
	tasks := list(t, "/v1/tasks", "tasks", url.Values{})
	done := list(t, "/v1/tasks", "tasks", url.Values{"completed": {"true"}})
	if len(done) == 0 || len(done) == len(tasks) {
		t.Fatalf("completed=true keeps %d of %d tasks", len(done), len(tasks))
	}
	if r := get(t, s, "/v1/opportunities?order=next_action"); r.status != http.StatusBadRequest {
		t.Fatalf("an order the simulator does not map: %d, want 400", r.status)
	}
}
