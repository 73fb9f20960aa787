package keapsim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

func TestMutation_UpdatesMoveUpdateTimeToNowIncludingSeveralInTheSameSecond(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 200, Now: c.Now}))
	c.Advance(time.Hour)
	before, err := s.Records("contacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := before[10].ID, before[20].ID
	c.Advance(250 * time.Millisecond) // 13:00:00.250
	if err := s.Update("contacts", b); err != nil {
		t.Fatal(err)
	}
	c.Advance(500 * time.Millisecond) // 13:00:00.750, the same second
	if err := s.Update("contacts", a); err != nil {
		t.Fatal(err)
	}
	f := "start_update_time==2026-03-01T13:00:00.000Z;end_update_time==2026-03-01T13:00:00.999Z"
	m := decode(t, get(t, s, "/v2/contacts?"+url.Values{"filter": {f}, "order_by": {"update_time asc"}, "fields": {"id,update_time"}}.Encode()))
	recs := records(t, m, "contacts")
	if got := ids(t, recs); !slices.Equal(got, []int64{b, a}) {
		t.Fatalf("updated in that second: %v, want [%d %d] (update order)", got, b, a)
	}
	for _, r := range recs {
		if r["update_time"] != "2026-03-01T13:00:00Z" {
			t.Fatalf("update_time %v", r["update_time"])
		}
	}
	after, _ := s.Records("contacts", nil)
	if bytes.Equal(before[10].Raw, after[10].Raw) || after[10].Version != 1 {
		t.Fatal("an update did not change the content or version")
	}
	if !bytes.Equal(before[11].Raw, after[11].Raw) {
		t.Fatal("an untouched record changed")
	}
}

func TestMutation_CreateAndDeleteShowInListsAndTruth(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 100, Now: c.Now}))
	orig, _ := s.Records("companies", nil)
	id, err := s.Create("companies")
	if err != nil {
		t.Fatal(err)
	}
	if id <= orig[len(orig)-1].ID {
		t.Fatalf("new id %d not after %d", id, orig[len(orig)-1].ID)
	}
	if err := s.Delete("companies", orig[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Update("companies", orig[0].ID); !errors.Is(err, keapsim.ErrNoRecord) {
		t.Fatalf("update of a deleted record: %v", err)
	}
	if _, err := s.Create("nope"); !errors.Is(err, keapsim.ErrUnknownStream) {
		t.Fatalf("unknown stream: %v", err)
	}
	listed, _ := scan(t, s, "/v2/companies", url.Values{"fields": {"id"}}, "companies")
	got := ids(t, listed)
	truth := s.Truth()["companies"]
	want := make([]int64, len(truth))
	for i, r := range truth {
		want[i] = r.ID
	}
	if !slices.Equal(got, want) || slices.Contains(got, orig[0].ID) || !slices.Contains(got, id) {
		t.Fatalf("listed %v, truth %v", got, want)
	}
	if st := s.Stats(); st.Mutations != 2 {
		t.Fatalf("mutations %d", st.Mutations)
	}
}

func TestTruth_RawEqualsWhatTheAPIReturns(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 40}))
	fields := []string{"id", "given_name", "custom_fields", "tag_ids", "update_time", "email_addresses"}
	truth, err := s.Records("contacts", fields)
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, s, "/v2/contacts?"+url.Values{"fields": {strings.Join(fields, ",")}}.Encode())
	var page struct {
		Contacts []json.RawMessage `json:"contacts"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Contacts) != len(truth) {
		t.Fatalf("%d listed, %d in truth", len(page.Contacts), len(truth))
	}
	for i := range truth {
		if !bytes.Equal(page.Contacts[i], truth[i].Raw) {
			t.Fatalf("record %d:\n api   %s\n truth %s", i, page.Contacts[i], truth[i].Raw)
		}
	}
}

func TestMutation_ChurnAndSimHTTPControl(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, keapsim.Options{Contacts: 100})
	ms, err := s.Churn(rand.New(rand.NewPCG(1, 2)), 50)
	if err != nil || len(ms) != 50 {
		t.Fatalf("%d mutations: %v", len(ms), err)
	}
	base := strings.TrimSuffix(s.URL(), "/crm/rest")
	post := func(method, path string) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		return res.StatusCode, buf.Bytes()
	}
	status, body := post(http.MethodPost, "/_sim/records/notes")
	var created struct{ ID int64 }
	if status != http.StatusOK || json.Unmarshal(body, &created) != nil || created.ID == 0 {
		t.Fatalf("create: %d %s", status, body)
	}
	id := strconv.FormatInt(created.ID, 10)
	if status, body := post(http.MethodPatch, "/_sim/records/notes/"+id); status != http.StatusOK {
		t.Fatalf("update: %d %s", status, body)
	}
	if status, _ := post(http.MethodDelete, "/_sim/records/notes/"+id); status != http.StatusOK {
		t.Fatal("delete")
	}
	if status, _ := post(http.MethodDelete, "/_sim/records/notes/"+id); status != http.StatusNotFound {
		t.Fatal("second delete")
	}
	if status, body := post(http.MethodPost, "/_sim/churn?n=5&seed=3"); status != http.StatusOK || bytes.Count(body, []byte(`"op"`)) != 5 {
		t.Fatalf("churn: %d %s", status, body)
	}
	status, body = post(http.MethodGet, "/_sim/truth/tags")
	var truth []keapsim.TruthRecord
	if status != http.StatusOK || json.Unmarshal(body, &truth) != nil || len(truth) == 0 {
		t.Fatalf("truth: %d %s", status, body)
	}
	// Asked with fields, the truth is rendered as a list asking for them.
	status, body = post(http.MethodGet, "/_sim/truth/contacts?fields=id,owner_id")
	if status != http.StatusOK || json.Unmarshal(body, &truth) != nil || len(truth) == 0 {
		t.Fatalf("truth with fields: %d %s", status, body)
	}
	var rec map[string]any
	if err := json.Unmarshal(truth[0].Raw, &rec); err != nil || rec["custom_fields"] != nil {
		t.Fatalf("truth with fields id,owner_id holds %v (%v)", rec, err)
	}
	if st := s.Stats(); st.Requests != 0 || st.Mutations < 58 {
		t.Fatalf("/_sim counted as API requests or mutations missing: %+v", st)
	}
}

// TestContent_ValuesDoNotDependOnTheFieldsAsked checks that asking for fewer
// properties returns the same values for the ones asked, and that v1 and
// v2 agree on a contact.
func TestContent_ValuesDoNotDependOnTheFieldsAsked(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 60}))
	for _, tc := range []struct{ stream, all, some string }{
		{"contacts", contactFields, "id,phone_numbers,tag_ids,custom_fields,owner_id"},
		{"companies", "id,company_name,address,email_address,phone_number,fax_number,website,notes,owner_id,custom_fields", "id,phone_number,custom_fields"},
	} {
		full, err := s.Records(tc.stream, strings.Split(tc.all, ","))
		if err != nil {
			t.Fatal(err)
		}
		part, err := s.Records(tc.stream, strings.Split(tc.some, ","))
		if err != nil {
			t.Fatal(err)
		}
		for i := range part {
			var a, b map[string]any
			_ = json.Unmarshal(full[i].Raw, &a)
			_ = json.Unmarshal(part[i].Raw, &b)
			for k, v := range b {
				if !reflectEqual(a[k], v) {
					t.Fatalf("%s %d: %s is %v with fields=%s but %v with every field", tc.stream, part[i].ID, k, v, tc.some, a[k])
				}
			}
		}
	}
	v2 := records(t, decode(t, get(t, s, "/v2/contacts?fields=id,phone_numbers,tag_ids,owner_id")), "contacts")
	v1 := records(t, decode(t, get(t, s, "/v1/contacts?limit=1000")), "contacts")
	for i := range v2 {
		p2, _ := json.Marshal(v2[i]["phone_numbers"])
		p1, _ := json.Marshal(v1[i]["phone_numbers"])
		t2, _ := json.Marshal(v2[i]["tag_ids"])
		t1, _ := json.Marshal(v1[i]["tag_ids"])
		if string(p1) != string(p2) || strings.ReplaceAll(string(t2), `"`, "") != string(t1) {
			t.Fatalf("contact %v: v1 %s %s, v2 %s %s", v2[i]["id"], p1, t1, p2, t2)
		}
	}
}

func reflectEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestMutate_StageMovesAreHistory: a stage move is created, never changed
// or deleted, through the API or by churn.
func TestMutate_StageMovesAreHistory(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 500, Seed: 4}))
	recs, err := s.Records("opportunity_stage_moves", nil)
	if err != nil || len(recs) == 0 {
		t.Fatalf("stage moves: %d, %v", len(recs), err)
	}
	id := recs[0].ID
	if err := s.Update("opportunity_stage_moves", id); !errors.Is(err, keapsim.ErrAppendOnly) {
		t.Errorf("update of a stage move: %v, want ErrAppendOnly", err)
	}
	if err := s.Delete("opportunity_stage_moves", id); !errors.Is(err, keapsim.ErrAppendOnly) {
		t.Errorf("delete of a stage move: %v, want ErrAppendOnly", err)
	}
	muts, err := s.Churn(rand.New(rand.NewPCG(1, 2)), 3000)
	if err != nil {
		t.Fatal(err)
	}
	var created int
	for _, m := range muts {
		if m.Stream != "opportunity_stage_moves" {
			continue
		}
		if m.Op != keapsim.OpCreate {
			t.Errorf("churn made %s of stage move %d", m.Op, m.ID)
		}
		created++
	}
	if created == 0 {
		t.Error("churn never added a stage move")
	}
}
