package keapsim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keapsync/keapsync/keap/keapsim"
)

// FuzzListQuery sends arbitrary query strings to the list endpoints: the
// answer is always a 200 with valid JSON or a 400 with the error body,
// never a panic.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"filter=contact_id%3C-9223372036854775808",
		"filter=contact_id%3E9223372036854775807&order_by=id+desc",
		"filter=%3D%3D%3B%3B%3E&page_token=bzo5OTk5OTk5OTk5",
		"page_token=azotOTIyMzM3MjAzNjg1NDc3NTgwODoxMg",
		"fields=id,,id&order_by=email+desc&page_size=0",
		"filter=start_update_time%3D%3D9999-12-31T23:59:59.999Z",
		"limit=-5&offset=99999999999&order=email&order_direction=descending",
	} {
		f.Add("/v2/contacts", seed)
		f.Add("/v1/contacts", seed)
	}
	s, err := keapsim.Start(keapsim.Options{Contacts: 50, PerSecond: -1, PerMinute: -1, PerDay: -1, TenantPerMinute: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	paths := s.Endpoints()
	f.Fuzz(func(t *testing.T, path, query string) {
		if !strings.HasPrefix(path, "/v") {
			path = paths[len(path)%len(paths)]
		}
		req := httptest.NewRequest(http.MethodGet, "http://sim/crm/rest/x", nil)
		req.URL.Path = "/crm/rest" + path
		req.URL.RawQuery = query
		req.Header.Set("X-Keap-API-Key", s.APIKey())
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusBadRequest:
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s?%s: %d with invalid JSON %q", path, query, w.Code, w.Body.String())
			}
		case http.StatusNotFound:
		default:
			t.Fatalf("%s?%s: status %d", path, query, w.Code)
		}
	})
}

func TestOptions_FormatRedactsAPIKeys(t *testing.T) {
	t.Parallel()
	o := keapsim.Options{APIKeys: []string{"super-secret-key"}, Contacts: 3}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, o); strings.Contains(out, "super-secret") || !strings.Contains(out, "redacted") {
			t.Fatalf("%s: %s", verb, out)
		}
	}
	s := keapsim.New(t, keapsim.Options{APIKeys: []string{"super-secret-key"}, Contacts: 3})
	if out := fmt.Sprintf("%+v", s); strings.Contains(out, "super-secret") {
		t.Fatalf("server printed the key: %.300s", out)
	}
}
