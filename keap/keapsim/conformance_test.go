package keapsim_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// The official specs, copied from ../shared/keap-openapi (MIT licensed, the
// licences sit next to them). Loading them takes seconds, so each is
// loaded once per test binary.
var specs struct {
	once   sync.Once
	v1, v2 *openapi3.T
	err    error
}

func loadSpecs(t *testing.T) (v1, v2 *openapi3.T) {
	t.Helper()
	specs.once.Do(func() {
		load := func(path string) (*openapi3.T, error) {
			l := openapi3.NewLoader()
			l.Context = context.Background()
			return l.LoadFromFile(path)
		}
		var err1, err2 error
		var wg sync.WaitGroup
		wg.Go(func() { specs.v1, err1 = load("testdata/keap-openapi/rest-v1.json") })
		wg.Go(func() { specs.v2, err2 = load("testdata/keap-openapi/rest-v2.yml") })
		wg.Wait()
		specs.err = errors.Join(err1, err2)
		if specs.err == nil {
			patchSpecs(specs.v1, specs.v2)
		}
	})
	if specs.err != nil {
		t.Fatalf("load specs: %v", specs.err)
	}
	return specs.v1, specs.v2
}

func responseSchema(t *testing.T, doc *openapi3.T, path string, status int) *openapi3.Schema {
	t.Helper()
	item := doc.Paths.Value(path)
	if item == nil || item.Get == nil {
		t.Fatalf("spec has no GET %s", path)
	}
	res := item.Get.Responses.Status(status)
	if res == nil || res.Value == nil {
		t.Fatalf("spec has no %d response for GET %s", status, path)
	}
	mt := res.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		t.Fatalf("spec has no application/json %d body for GET %s", status, path)
	}
	return mt.Schema.Value
}

// patchSpecs corrects the few places where the specs contradict recorded
// real responses (keap-api.md); the simulator follows the real behaviour.
func patchSpecs(v1, v2 *openapi3.T) {
	contacts := v1.Paths.Value("/v1/contacts").Get.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	rec := contacts.Properties["contacts"].Value.Items.Value
	// Real v1 contact lists carry "ScoreValue": null for most contacts; the
	// spec declares a plain string.
	rec.Properties["ScoreValue"].Value.Nullable = true
	// Custom field values are strings, numbers, booleans or null in real
	// responses; the spec says "object".
	for _, list := range []struct{ path, key string }{{"/v1/contacts", "contacts"}, {"/v1/companies", "companies"}} {
		env := v1.Paths.Value(list.path).Get.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
		cf := env.Properties[list.key].Value.Items.Value.Properties["custom_fields"].Value.Items.Value
		cf.Properties["content"] = openapi3.NewSchemaRef("", &openapi3.Schema{Nullable: true})
	}

	// v2 declares custom field content without a type, which in JSON Schema
	// 2020-12 (OpenAPI 3.1) accepts anything, null included, as real
	// responses hold for empty fields. kin-openapi falls back to its 3.0
	// validator for these schemas and rejects null in an untyped schema, so
	// spell "anything" out as a type list.
	anything := openapi3.Types{"null", "boolean", "number", "string", "array", "object"}
	for _, name := range []string{"CustomFieldValue", "CustomField", "CustomFieldValueObject"} {
		v2.Components.Schemas[name].Value.Properties["content"].Value.Type = &anything
	}
}

// v1DateTime accepts RFC 3339 and the form real v1 responses use,
// "2024-11-20T18:34:12.000+0000" (no colon in the offset), which the spec
// labels date-time but RFC 3339 does not allow.
type v1DateTime struct{}

var v1DateTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$`)

func (v1DateTime) Validate(v string) error {
	if !v1DateTimeRe.MatchString(v) {
		return errors.New("not a date-time")
	}
	return nil
}

// endpoint is one list endpoint under test.
type endpoint struct {
	path     string
	key      string
	v1       bool
	optional string     // every optional property (fields / optional_properties)
	maxPage  string     // the page size cap; default 1000
	empty    url.Values // parameters giving an empty page
}

var futureV2 = "2099-01-01T00:00:00.000Z"

var endpoints = []endpoint{
	{path: "/v2/contacts", key: "contacts", optional: contactFields + ",created_by,last_updated_by",
		empty: url.Values{"filter": {"start_update_time==" + futureV2}}},
	{path: "/v2/companies", key: "companies", optional: "id,company_name,address,email_address,phone_number,fax_number,website,notes,owner_id,custom_fields,create_time,update_time",
		empty: url.Values{"filter": {"since_time==" + futureV2}}},
	{path: "/v2/users", key: "users", maxPage: "100", empty: url.Values{"filter": {"user_ids==999999999"}}},
	{path: "/v2/tags", key: "tags", empty: url.Values{"filter": {"since_update_time==" + futureV2}}},
	{path: "/v2/tags/categories", key: "tag_categories", empty: url.Values{"filter": {"since_update_time==" + futureV2}}},
	{path: "/v2/products", key: "products", empty: url.Values{"filter": {"product_id>999999999"}}},
	{path: "/v2/opportunities", key: "opportunities", optional: "custom_fields,created_by,last_updated_by,status_id",
		empty: url.Values{"filter": {"opportunity_id>999999999"}}},
	{path: "/v2/opportunities/stages", key: "stages", empty: url.Values{"filter": {"opportunity_stage_id>999999999"}}},
	{path: "/v2/opportunities/stageMoves", key: "stage_moves", empty: url.Values{"filter": {"opportunity_id==999999999"}}},
	{path: "/v2/emails", key: "emails", empty: url.Values{"filter": {"contact_id==999999999"}}},
	{path: "/v2/affiliates", key: "affiliates", empty: url.Values{"filter": {"id>999999999"}}},
	{path: "/v2/affiliates/summaries", key: "affiliate_summaries", empty: url.Values{"filter": {"affiliate_ids==999999999"}}},
	{path: "/v2/affiliates/commissionPrograms", key: "commission_programs", empty: url.Values{"filter": {"name==No such program"}}},
	{path: "/v2/affiliates/redirects", key: "affiliate_links", empty: url.Values{"filter": {"affiliate_id==999999999"}}},
	{path: "/v2/referrals", key: "referrals", empty: url.Values{"filter": {"contact_id==999999999"}}},
	{path: "/v2/automations", key: "automations", maxPage: "25", empty: url.Values{"filter": {"name==No such automation"}}},
	{path: "/v2/merchants", key: "merchant_accounts", empty: url.Values{"filter": {"name==No such merchant"}}},
	{path: "/v2/webforms", key: "webforms", empty: url.Values{"filter": {"webform_type==SURVEY"}}},
	{path: "/v2/emails/templates", key: "email_templates"}, // the spec names no filter to empty it
	{path: "/v2/leadSourceCategories", key: "lead_source_categories", empty: url.Values{"filter": {"name==No such category"}}},
	{path: "/v2/leadSources", key: "lead_sources", empty: url.Values{"filter": {"id>999999999"}}},
	{path: "/v2/productCategories", key: "product_categories", empty: url.Values{"filter": {"product_category_id>999999999"}}},
	{path: "/v2/contacts/links/types", key: "contact_link_types", empty: url.Values{"filter": {"name==No such type"}}},
	{path: "/v2/orders", key: "orders", empty: url.Values{"filter": {"modified_since_time==" + futureV2}}},
	{path: "/v2/subscriptions", key: "subscriptions", empty: url.Values{"filter": {"id>999999999"}}},
	{path: "/v2/sales/payments", key: "payments", empty: url.Values{"filter": {"since_time==" + futureV2}}},
	{path: "/v2/notes", key: "notes", optional: "custom_fields", empty: url.Values{"filter": {"since_time==" + futureV2}}},
	{path: "/v2/tasks", key: "tasks", optional: "custom_fields", empty: url.Values{"filter": {"since_time==" + futureV2}}},
	{path: "/v2/campaigns", key: "campaigns", empty: url.Values{"filter": {"name==no such campaign"}}},
	{path: "/v1/contacts", key: "contacts", v1: true, optional: "custom_fields,job_title,lead_source_id,website,time_zone,spouse_name,fax_numbers",
		empty: url.Values{"since": {"2099-01-01T00:00:00.000Z"}}},
	{path: "/v1/transactions", key: "transactions", v1: true, empty: url.Values{"since": {"2099-01-01T00:00:00.000Z"}}},
	{path: "/v1/companies", key: "companies", v1: true, optional: "notes,fax_number,custom_fields",
		empty: url.Values{"company_name": {"no such company"}}},
	{path: "/v1/orders", key: "orders", v1: true, empty: url.Values{"since": {"2099-01-01T00:00:00.000Z"}}},
	{path: "/v1/tasks", key: "tasks", v1: true, empty: url.Values{"until": {"1999-01-01T00:00:00.000Z"}}},
	{path: "/v1/notes", key: "notes", v1: true, empty: url.Values{"contact_id": {"999999999"}}},
	{path: "/v1/opportunities", key: "opportunities", v1: true, empty: url.Values{"offset": {"1000000"}}},
	{path: "/v1/emails", key: "emails", v1: true, empty: url.Values{"offset": {"1000000"}}},
	{path: "/v1/products", key: "products", v1: true, empty: url.Values{"offset": {"1000000"}}},
	{path: "/v1/subscriptions", key: "subscriptions", v1: true, empty: url.Values{"contact_id": {"999999999"}}},
	{path: "/v1/tags", key: "tags", v1: true, empty: url.Values{"name": {"no such tag"}}},
	{path: "/v1/users", key: "users", v1: true, empty: url.Values{"offset": {"1000000"}}},
	{path: "/v1/campaigns", key: "campaigns", v1: true, empty: url.Values{"search_text": {"no such campaign"}}},
}

func specPath(p string, v1 bool) string {
	if v1 {
		return p
	}
	return "/rest" + p
}

// TestConformance_ResponsesMatchTheOfficialSchemas validates real
// responses of every endpoint served (first, middle, last and empty pages,
// with and without optional properties, the custom-field models and the v2
// error body) against the official OpenAPI schemas.
func TestConformance_ResponsesMatchTheOfficialSchemas(t *testing.T) {
	t.Parallel()
	v1, v2 := loadSpecs(t)
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 400, Seed: 3}))

	covered := map[string]bool{}
	for _, e := range modelPaths {
		covered[e] = true
	}
	for _, e := range endpoints {
		covered[e.path] = true
	}
	for _, p := range s.Endpoints() {
		if !covered[p] {
			t.Errorf("endpoint %s is served but not validated", p)
		}
	}

	validate := func(t *testing.T, path string, v1Spec bool, status int, q url.Values) map[string]any {
		t.Helper()
		r := get(t, s, path+"?"+q.Encode())
		if r.status != status {
			t.Fatalf("%s?%s: %d %s", path, q.Encode(), r.status, truncate(r.body))
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("content type %q", ct)
		}
		var body any
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		doc, opts := v2, []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors(),
			openapi3.EnableFormatValidation(), openapi3.EnableJSONSchema2020()}
		if v1Spec {
			doc, opts = v1, []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors(),
				openapi3.EnableFormatValidation(), openapi3.WithStringFormatValidator("date-time", v1DateTime{})}
		}
		if err := responseSchema(t, doc, specPath(path, v1Spec), status).VisitJSON(body, opts...); err != nil {
			t.Fatalf("%s?%s does not match the spec: %v\nbody: %s", path, q.Encode(), err, truncate(r.body))
		}
		m, _ := body.(map[string]any)
		return m
	}

	for _, p := range modelPaths {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			validate(t, p, strings.HasPrefix(p, "/v1/"), http.StatusOK, nil)
		})
	}
	for _, e := range endpoints {
		t.Run(e.path, func(t *testing.T) {
			t.Parallel()
			for _, withOptional := range []bool{false, true} {
				if withOptional && e.optional == "" {
					continue
				}
				base := url.Values{}
				if withOptional {
					if e.v1 {
						base.Set("optional_properties", e.optional)
					} else {
						base.Set("fields", e.optional)
					}
				}
				with := func(kv ...string) url.Values {
					q := url.Values{}
					for k, v := range base {
						q[k] = v
					}
					for i := 0; i < len(kv); i += 2 {
						q.Set(kv[i], kv[i+1])
					}
					return q
				}
				var n int
				if e.v1 {
					first := validate(t, e.path, true, 200, with("limit", "2"))
					n = int(first["count"].(float64))
					validate(t, e.path, true, 200, with("limit", "2", "offset", "2"))
					all := validate(t, e.path, true, 200, with("limit", "1000"))
					if len(records(t, all, e.key)) != n {
						t.Fatal("a page of 1000 is not the whole list")
					}
					last := validate(t, e.path, true, 200, with("limit", "2", "offset", strconv.Itoa(n-1)))
					if len(records(t, last, e.key)) != 1 {
						t.Fatal("the last page does not hold the last record")
					}
					validate(t, e.path, true, 200, with("limit", "2", "offset", "100000"))
				} else {
					first := validate(t, e.path, false, 200, with("page_size", "2"))
					tok, _ := first["next_page_token"].(string)
					if tok == "" {
						t.Fatal("first page of 2 has no next page")
					}
					validate(t, e.path, false, 200, with("page_size", "2", "page_token", tok))
					all := validate(t, e.path, false, 200, with("page_size", cmp.Or(e.maxPage, "1000")))
					if all["next_page_token"] != "" {
						t.Fatal("a page holding every record has a next page")
					}
					n = len(records(t, all, e.key))
					// A partial last page, reached through a token.
					almost := validate(t, e.path, false, 200, with("page_size", strconv.Itoa(n-1)))
					last := validate(t, e.path, false, 200, with("page_size", strconv.Itoa(n-1), "page_token", almost["next_page_token"].(string)))
					if len(records(t, last, e.key)) != 1 || last["next_page_token"] != "" {
						t.Fatalf("last page: %v", last)
					}
				}
				if e.empty != nil {
					q := with()
					for k, v := range e.empty {
						q[k] = v
					}
					empty := validate(t, e.path, e.v1, 200, q)
					if got := len(records(t, empty, e.key)); got != 0 || n < 3 {
						t.Fatalf("empty page has %d records; list has %d", got, n)
					}
				}
			}
			if !e.v1 {
				// Invalid filters get the v2 error body, as the spec's 400 says.
				validate(t, e.path, false, 400, url.Values{"filter": {"no_such_field==1"}})
			}
		})
	}
}

// TestConformance_ValidatorRejectsWrongTypes proves the validation above
// can fail: ids of the wrong type for each version are caught.
func TestConformance_ValidatorRejectsWrongTypes(t *testing.T) {
	t.Parallel()
	v1, v2 := loadSpecs(t)
	bad2 := map[string]any{"contacts": []any{map[string]any{"id": 5.0}}, "next_page_token": ""}
	if err := responseSchema(t, v2, "/rest/v2/contacts", 200).VisitJSON(bad2, openapi3.VisitAsResponse(), openapi3.EnableJSONSchema2020()); err == nil {
		t.Fatal("a v2 contact with a numeric id passed")
	}
	bad1 := map[string]any{"transactions": []any{map[string]any{"id": "5"}}, "count": 1.0}
	if err := responseSchema(t, v1, "/v1/transactions", 200).VisitJSON(bad1, openapi3.VisitAsResponse()); err == nil {
		t.Fatal("a v1 transaction with a string id passed")
	}
}

var modelPaths = []string{
	"/v1/companies/model", "/v1/contacts/model", "/v1/opportunities/model", "/v1/orders/model",
	"/v1/notes/model", "/v1/tasks/model", "/v1/subscriptions/model", "/v1/affiliates/model",
	"/v2/companies/model", "/v2/contacts/model", "/v2/opportunities/model", "/v2/orders/model",
	"/v2/notes/model", "/v2/tasks/model", "/v2/subscriptions/model", "/v2/affiliates/model",
	// Lists served whole in one call, without parameters.
	"/v2/userGroups", "/v2/automationCategory", "/v2/shipping",
}

func init() { slices.Sort(modelPaths) }
