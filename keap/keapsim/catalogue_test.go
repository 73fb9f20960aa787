package keapsim_test

import (
	"cmp"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
)

// listed is one record of a scan: its id and update time.
type listed struct {
	id      int64
	updated time.Time
}

// recordID reads a v2 string id or a v1 integer id.
func recordID(t *testing.T, r map[string]any, field string) int64 {
	t.Helper()
	switch v := r[field].(type) {
	case string:
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("id %q: %v", v, err)
		}
		return id
	case float64:
		return int64(v)
	}
	t.Fatalf("record has no id %q: %v", field, r)
	return 0
}

func recordTime(t *testing.T, r map[string]any, field string) time.Time {
	t.Helper()
	s, ok := r[field].(string)
	if !ok {
		t.Fatalf("record has no %q: %v", field, r)
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05.000-0700"} {
		if tm, err := time.Parse(layout, s); err == nil {
			return tm
		}
	}
	t.Fatalf("%s %q is neither a v2 nor a v1 timestamp", field, s)
	return time.Time{}
}

// catalogueQuery is what the client sends for a stream: page size, order,
// fields, plus extra filter terms.
func catalogueQuery(st keap.Stream, filter []string) url.Values {
	q := url.Values{}
	if st.Version == keap.V1 {
		q.Set("limit", strconv.Itoa(st.MaxPageSize))
		if st.OrderBy != "" {
			q.Set("order", st.OrderBy)
			q.Set("order_direction", st.OrderDirection)
		}
		if len(st.OptionalProperties) > 0 {
			q.Set("optional_properties", strings.Join(st.OptionalProperties, ","))
		}
		return q
	}
	if st.MaxPageSize > 0 {
		q.Set("page_size", strconv.Itoa(st.MaxPageSize))
	}
	if st.OrderBy != "" {
		q.Set("order_by", st.OrderBy)
	}
	if len(st.Fields) > 0 {
		q.Set("fields", strings.Join(st.Fields, ","))
	}
	if len(filter) > 0 {
		q.Set("filter", strings.Join(filter, ";"))
	}
	return q
}

// scanStream reads every page of a stream the way the catalogue says.
func scanStream(t *testing.T, s *keapsim.Server, st keap.Stream, filter []string, v1Extra url.Values) []listed {
	t.Helper()
	q := catalogueQuery(st, filter)
	for k, v := range v1Extra {
		q[k] = v
	}
	var out []listed
	tok := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("%s: pagination does not end", st.Name)
		}
		if st.Version == keap.V1 {
			q.Set("offset", strconv.Itoa(len(out)))
		} else if tok != "" {
			q.Set("page_token", tok)
		}
		r := get(t, s, st.Path+"?"+q.Encode())
		if r.status != http.StatusOK {
			t.Fatalf("%s?%s: %d %s", st.Path, q.Encode(), r.status, truncate(r.body))
		}
		m := decode(t, r)
		recs := records(t, m, st.RecordsKey)
		for _, rec := range recs {
			l := listed{id: recordID(t, rec, st.IDField)}
			switch {
			case st.UpdatedField != "":
				l.updated = recordTime(t, rec, st.UpdatedField)
			case st.CreatedField != "": // the time its filter bounds
				l.updated = recordTime(t, rec, st.CreatedField)
			}
			out = append(out, l)
		}
		if st.Version == keap.V1 {
			count := int(m["count"].(float64))
			if len(recs) < st.MaxPageSize || len(out) >= count {
				if len(out) != count {
					t.Fatalf("%s: read %d records, count says %d", st.Name, len(out), count)
				}
				return out
			}
			continue
		}
		tok = m["next_page_token"].(string)
		if tok == "" {
			return out
		}
	}
}

// TestCatalogue_EveryStreamIsServedWithTheSemanticsTheCatalogueReliesOn
// checks each keap.Streams entry: path, records key, page size cap, order,
// fields, time filters with inclusive bounds, and keyset by id.
func TestCatalogue_EveryStreamIsServedWithTheSemanticsTheCatalogueReliesOn(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 3000, Seed: 7}))
	for _, st := range keap.Streams {
		t.Run(st.Name, func(t *testing.T) {
			if st.Mode == keap.ModeSingle {
				r := get(t, s, st.Path)
				if r.status != http.StatusOK {
					t.Fatalf("%d %s", r.status, r.body)
				}
				defs := records(t, decode(t, r), st.RecordsKey)
				if len(defs) == 0 {
					t.Fatal("no custom field definitions")
				}
				for _, d := range defs {
					recordID(t, d, st.IDField)
				}
				return
			}
			all := scanStream(t, s, st, nil, nil)
			if len(all) == 0 {
				t.Fatal("no records")
			}
			seen := map[int64]bool{}
			for _, l := range all {
				if seen[l.id] {
					t.Fatalf("id %d listed twice in a full scan", l.id)
				}
				seen[l.id] = true
			}
			if st.Version == keap.V2 {
				r := get(t, s, st.Path+"?page_size="+strconv.Itoa(st.MaxPageSize+1))
				if r.status != http.StatusBadRequest {
					t.Fatalf("page_size above the cap: %d", r.status)
				}
			}
			switch {
			case strings.HasSuffix(st.OrderBy, " desc"):
				for i := 1; i < len(all); i++ {
					if all[i].updated.After(all[i-1].updated) {
						t.Fatalf("order_by %q: record %d updated %v after %v", st.OrderBy, i, all[i].updated, all[i-1].updated)
					}
				}
			case st.OrderBy == "id asc" || st.OrderBy == "":
				if st.OrderBy == "id asc" || st.Version == keap.V1 {
					if !slices.IsSortedFunc(all, func(a, b listed) int { return int(a.id - b.id) }) {
						t.Fatal("not in id order")
					}
				}
			case strings.HasPrefix(st.OrderBy, "update_time asc"):
				if !slices.IsSortedFunc(all, func(a, b listed) int { return a.updated.Compare(b.updated) }) {
					t.Fatal("not in update order")
				}
			}
			if st.SinceFilter != "" {
				checkTimeFilter(t, s, st, all)
			}
			if st.AfterIDFilter != "" {
				ids := make([]int64, len(all))
				for i, l := range all {
					ids[i] = l.id
				}
				slices.Sort(ids)
				pivot := ids[len(ids)/2]
				got := scanStream(t, s, st, []string{st.AfterIDFilter + ">" + strconv.FormatInt(pivot, 10)}, nil)
				want := ids[len(ids)/2+1:]
				gotIDs := make([]int64, len(got))
				for i, l := range got {
					gotIDs[i] = l.id
				}
				if !slices.Equal(gotIDs, want) {
					t.Fatalf("%s>%d: %d records, want %d", st.AfterIDFilter, pivot, len(gotIDs), len(want))
				}
				if st.IDRange {
					below := listedIDs(scanStream(t, s, st, []string{st.AfterIDFilter + "<" + strconv.FormatInt(pivot, 10)}, nil))
					if want := ids[:len(ids)/2]; !slices.Equal(below, want) {
						t.Fatalf("%s<%d: %d records, want %d", st.AfterIDFilter, pivot, len(below), len(want))
					}
				}
				if st.KeysetByID() {
					desc := listedIDs(scanStream(t, s, st, nil, url.Values{"order_by": {"id desc"}}))
					want := slices.Clone(ids)
					slices.Reverse(want)
					if !slices.Equal(desc, want) {
						t.Fatal("order_by=id desc is not every id, descending")
					}
				}
			}
			if st.IDsOnlyFields != nil {
				q := url.Values{"fields": {strings.Join(st.IDsOnlyFields, ",")}, "page_size": {"5"}}
				for _, rec := range records(t, decode(t, get(t, s, st.Path+"?"+q.Encode())), st.RecordsKey) {
					if len(rec) != 1 || rec[st.IDField] == nil {
						t.Fatalf("fields=%s gives %v", q.Get("fields"), rec)
					}
				}
			}
			if st.CountPath != "" {
				m := decode(t, get(t, s, st.CountPath+"?limit=1"))
				if n := len(records(t, m, st.CountRecordsKey)); n != 1 {
					t.Fatalf("%s?limit=1 holds %d records", st.CountPath, n)
				}
				if count := int(m["count"].(float64)); count != len(all) {
					t.Fatalf("%s counts %d records, the stream lists %d", st.CountPath, count, len(all))
				}
			}
		})
	}
}

func listedIDs(l []listed) []int64 {
	out := make([]int64, len(l))
	for i, r := range l {
		out[i] = r.id
	}
	return out
}

// TestCatalogue_IDAndCountChoicesFollowTheSpecs checks the catalogue's id
// and count fields against the official specs: IDRange where the id
// filter takes "<", KeysetByID where order_by takes id and desc,
// IDsOnlyFields where the endpoint takes fields, and each CountPath a v1
// list with count, its records key and exactly the time filters the spec
// gives it.
func TestCatalogue_IDAndCountChoicesFollowTheSpecs(t *testing.T) {
	t.Parallel()
	v1, v2 := loadSpecs(t)
	param := func(op *openapi3.Operation, name string) *openapi3.Parameter {
		for _, p := range op.Parameters {
			if p.Value != nil && p.Value.Name == name {
				return p.Value
			}
		}
		return nil
	}
	for _, st := range keap.Streams {
		if st.Mode == keap.ModeSingle {
			continue
		}
		if st.Version == keap.V2 {
			item := v2.Paths.Value("/rest" + st.Path)
			if item == nil || item.Get == nil {
				t.Fatalf("%s: spec has no GET %s", st.Name, st.Path)
			}
			op := item.Get
			if st.AfterIDFilter != "" {
				// The filter's line, e.g. "- (String) `contact_id` — supports
				// comparison operators: `==`, `>`, `<`, `>=`, `<=`".
				var line string
				for _, l := range strings.Split(param(op, "filter").Description, "\n") {
					if strings.Contains(l, "`"+st.AfterIDFilter+"`") && strings.HasPrefix(strings.TrimSpace(l), "- (") {
						line = l
					}
				}
				takesLess := strings.Contains(line, "`<`") || strings.Contains(line, `"<"`)
				if line == "" || !strings.Contains(line, ">") {
					t.Errorf("%s: spec's filter has no %s with >: %q", st.Name, st.AfterIDFilter, line)
				}
				if takesLess != st.IDRange {
					t.Errorf("%s: IDRange %v, but the spec's %s line says %q", st.Name, st.IDRange, st.AfterIDFilter, line)
				}
			}
			if st.KeysetByID() {
				d := param(op, "order_by").Description
				if !strings.Contains(d, "`id`") || !strings.Contains(d, "`desc`") {
					t.Errorf("%s: keyset by id, but order_by says %q", st.Name, d)
				}
			}
			if st.IDsOnlyFields != nil && param(op, "fields") == nil {
				t.Errorf("%s: IDsOnlyFields, but the endpoint takes no fields", st.Name)
			}
		}
		if st.CountPath == "" {
			continue
		}
		item := v1.Paths.Value(st.CountPath)
		if item == nil || item.Get == nil {
			t.Fatalf("%s: v1 spec has no GET %s", st.Name, st.CountPath)
		}
		op := item.Get
		if param(op, "limit") == nil {
			t.Errorf("%s: %s takes no limit", st.Name, st.CountPath)
		}
		env := responseSchema(t, v1, st.CountPath, 200)
		if env.Properties["count"] == nil || env.Properties[st.CountRecordsKey] == nil {
			t.Errorf("%s: %s has no count or no %q", st.Name, st.CountPath, st.CountRecordsKey)
		}
		for _, p := range []struct{ catalogue, spec string }{{st.CountSinceParam, "since"}, {st.CountUntilParam, "until"}} {
			has := param(op, p.spec) != nil
			if has != (p.catalogue == p.spec) {
				t.Errorf("%s: %s has %s: %v, the catalogue says %q", st.Name, st.CountPath, p.spec, has, p.catalogue)
			}
		}
	}
}

// checkTimeFilter bounds a window of update times and compares the result
// with what the full scan says lies inside it (both bounds inclusive, at the
// precision of the rendered timestamps).
func checkTimeFilter(t *testing.T, s *keapsim.Server, st keap.Stream, all []listed) {
	t.Helper()
	times := make([]time.Time, len(all))
	for i, l := range all {
		times[i] = l.updated
	}
	slices.SortFunc(times, time.Time.Compare)
	lo, hi := times[len(times)/3], times[2*len(times)/3]
	want := 0
	for _, tm := range times {
		if !tm.Before(lo) && !tm.After(hi) {
			want++
		}
	}
	const layout = "2006-01-02T15:04:05.000Z"
	since, until := lo.UTC().Format(layout), hi.UTC().Add(999*time.Millisecond).Format(layout)
	var got []listed
	if st.Version == keap.V1 {
		got = scanStream(t, s, st, nil, url.Values{st.SinceFilter: {since}, st.UntilFilter: {until}})
	} else {
		got = scanStream(t, s, st, []string{st.SinceFilter + "==" + since, st.UntilFilter + "==" + until}, nil)
	}
	for _, l := range got {
		if l.updated.Before(lo) || l.updated.After(hi) {
			t.Fatalf("record %d updated %v outside [%v, %v]", l.id, l.updated, lo, hi)
		}
	}
	if len(got) != want {
		t.Fatalf("%s/%s window matched %d records, want %d", st.SinceFilter, st.UntilFilter, len(got), want)
	}
	// Exclusive bounds would lose the records exactly at lo.
	if want < 2 {
		t.Fatalf("window too small to mean anything: %d", want)
	}
}

// TestTruth_MatchesAFullScanOfEveryStreamAfterChurn changes the tenant,
// then reads every stream as the catalogue does and compares the ids and
// update times with Truth.
func TestTruth_MatchesAFullScanOfEveryStreamAfterChurn(t *testing.T) {
	t.Parallel()
	c := newClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 1500, Seed: 5, Now: c.Now}))
	rng := rand.New(rand.NewPCG(9, 9))
	for range 20 {
		c.Advance(300 * time.Millisecond)
		if _, err := s.Churn(rng, 15); err != nil {
			t.Fatal(err)
		}
	}
	truth := s.Truth()
	for _, st := range keap.Streams {
		if st.Mode == keap.ModeSingle {
			continue
		}
		got := scanStream(t, s, st, nil, nil)
		want := truth[st.Name]
		if len(got) != len(want) {
			t.Fatalf("%s: scanned %d records, truth has %d", st.Name, len(got), len(want))
		}
		slices.SortFunc(got, func(a, b listed) int { return cmp.Compare(a.id, b.id) })
		for i := range want {
			if got[i].id != want[i].ID {
				t.Fatalf("%s: record %d is %d, truth says %d", st.Name, i, got[i].id, want[i].ID)
			}
			if st.UpdatedField != "" && !got[i].updated.Equal(want[i].Updated.Truncate(time.Second)) {
				t.Fatalf("%s %d: updated %v, truth %v", st.Name, got[i].id, got[i].updated, want[i].Updated)
			}
		}
	}
}

// TestCatalogue_PathsKeysAndPageSizesAreTheSpecs checks the client's
// catalogue against the official specs themselves, not against the
// simulator's own table: every stream's path (and count path) is a GET of
// the spec, its records key a property of the 200 body, and a v2 stream's
// page size the spec's page_size maximum. The simulator keeps its own
// table on purpose (it plays Keap, and must not share the client's
// mistakes: see TestImports_SimulatorIsIndependentOfTheClient); the
// conformance test holds that table to the same specs.
func TestCatalogue_PathsKeysAndPageSizesAreTheSpecs(t *testing.T) {
	t.Parallel()
	v1, v2 := loadSpecs(t)
	check := func(t *testing.T, path, key string, v1Path bool) *openapi3.Operation {
		t.Helper()
		doc := v2
		if v1Path {
			doc = v1
		}
		item := doc.Paths.Value(specPath(path, v1Path))
		if item == nil || item.Get == nil {
			t.Fatalf("the spec has no GET %s", path)
		}
		body := responseSchema(t, doc, specPath(path, v1Path), http.StatusOK)
		if _, ok := body.Properties[key]; !ok {
			t.Errorf("GET %s: the spec's 200 body has no %q (it has %v)", path, key, slices.Sorted(maps.Keys(body.Properties)))
		}
		return item.Get
	}
	for _, st := range keap.Streams {
		t.Run(st.Name, func(t *testing.T) {
			op := check(t, st.Path, st.RecordsKey, st.Version == keap.V1)
			if st.CountPath != "" {
				check(t, st.CountPath, st.CountRecordsKey, strings.HasPrefix(st.CountPath, "/v1/"))
			}
			if st.Version != keap.V2 || st.MaxPageSize == 0 {
				return
			}
			p := op.Parameters.GetByInAndName("query", "page_size")
			if p == nil || p.Schema == nil || p.Schema.Value.Max == nil {
				t.Fatalf("GET %s: the spec states no page_size maximum", st.Path)
			}
			if max := int(*p.Schema.Value.Max); max != st.MaxPageSize {
				t.Errorf("GET %s: page size %d, the spec's maximum is %d", st.Path, st.MaxPageSize, max)
			}
		})
	}
}
