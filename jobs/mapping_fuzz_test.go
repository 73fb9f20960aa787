package jobs

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keapsync/keapsync/internal/quickfuzz"
	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/keap/keapsim"
	"github.com/keapsync/keapsync/warehouse"
)

// checkRow asserts what holds for any input: the row is the stream's, Raw
// is the input byte for byte, and problems are short.
func checkRow(t *testing.T, s keap.Stream, raw []byte, row warehouse.Row) {
	t.Helper()
	if !bytes.Equal(row.Raw, raw) {
		t.Fatalf("%s: raw not kept byte for byte", s.Name)
	}
	if row.Values == nil || row.Values.TableName() != s.Name {
		t.Fatalf("%s: values %T", s.Name, row.Values)
	}
	for _, p := range row.Problems {
		if p.Field == "" || len(p.Reason) > 120 || !utf8.ValidString(p.Reason) || strings.ContainsRune(p.Reason, 0) {
			t.Fatalf("%s: problem %q: %q (%d bytes): want a named field and a short, clean reason", s.Name, p.Field, p.Reason, len(p.Reason))
		}
	}
}

func FuzzMapRecord(f *testing.F) {
	sim := keapsim.New(f, keapsim.Options{Contacts: 40})
	for i, s := range keap.Streams {
		if s.CustomFieldsOf != "" {
			f.Add(uint8(i), []byte(`{"id":"1","label":"x","options":[{"id":"1","label":"a"}],"group_id":"2"}`))
			continue
		}
		recs, err := sim.Records(s.Name, simFields(s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), []byte(recs[0].Raw))
	}
	for _, raw := range []string{
		`{"email_addresses":"x","tag_ids":[1,"a",null],"company":[]}`,
		`{"total":{"amount":"1e99999999"},"order_items":[null,"x",{"product":5}]}`,
		"{\"given_name\":\"\xff\",\"family_name\":\"\\u0000\"}",
		`[]`, `null`, `"x"`, `{`,
	} {
		f.Add(uint8(0), []byte(raw))
	}
	f.Fuzz(func(t *testing.T, n uint8, raw []byte) {
		s := keap.Streams[int(n)%len(keap.Streams)]
		in := bytes.Clone(raw)
		row := mapRecord(s, 1, keap.Record{ID: 1, Raw: raw})
		checkRow(t, s, in, row)
	})
}

// hostileValues replace one field of a valid record at a time.
var hostileValues = []string{
	`null`, `true`, `0`, `-1`, `1.5`, `1e999`, `99999999999999999999999`, `""`, `"x"`, `"31/02/1990"`,
	`"\u0000"`, "\"\xff\xfe\"", `"` + strings.Repeat("é", 300) + `"`, `{}`, `{"id":"x","amount":"abc"}`,
	`[]`, `[null,"x",{},[[[]]]]`, `[{"id":{}}]`, strings.Repeat("[", 300) + strings.Repeat("]", 300),
}

// TestMapRecord_AHostileFieldLosesOnlyItsOwnColumns replaces each field of a
// simulator record of every stream with each hostile value: mapping never
// panics, keeps Raw, names only that field in its problems, and every
// column the field does not feed keeps its value (it equals the mapping
// of the record without the field).
func TestMapRecord_AHostileFieldLosesOnlyItsOwnColumns(t *testing.T) {
	t.Parallel()
	sim := keapsim.New(t, keapsim.Options{Contacts: 40})
	for _, s := range keap.Streams {
		if s.CustomFieldsOf != "" {
			continue
		}
		recs, err := sim.Records(s.Name, simFields(s))
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(recs[len(recs)/2].Raw, &rec); err != nil {
			t.Fatal(err)
		}
		for key := range rec {
			without := encodeWithout(rec, key, "")
			base := mapRecord(s, 1, keap.Record{Raw: without}).Values
			for _, h := range hostileValues {
				raw := encodeWithout(rec, key, h)
				row := mapRecord(s, 1, keap.Record{Raw: raw})
				checkRow(t, s, raw, row)
				for _, p := range row.Problems {
					if p.Field != key && !strings.HasPrefix(p.Field, key+".") && !strings.HasPrefix(p.Field, key+"[") {
						t.Errorf("%s: %s = %.40s: problem named %s", s.Name, key, h, p.Field)
					}
				}
				for _, col := range changedColumns(base, row.Values) {
					t.Errorf("%s: %s = %.40s changed column %s, which the field does not feed", s.Name, key, h, col)
				}
			}
		}
	}
}

// encodeWithout re-encodes rec without key, or with key set to value.
func encodeWithout(rec map[string]json.RawMessage, key, value string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for k, v := range rec {
		if k == key {
			if value == "" {
				continue
			}
			v = json.RawMessage(value)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// changedColumns lists the columns of got that hold a value other than
// base's where base has one: a hostile field may fill a column the record
// without it left NULL (a value read as text), never change another.
func changedColumns(base, got warehouse.TableRow) []string {
	bv, gv := reflect.ValueOf(base).Elem(), reflect.ValueOf(got).Elem()
	var out []string
	for i := range bv.NumField() {
		b, g := bv.Field(i), gv.Field(i)
		if b.IsNil() || reflect.DeepEqual(b.Interface(), g.Interface()) {
			continue
		}
		out = append(out, bv.Type().Field(i).Name)
	}
	return out
}

// TestMapRecord_FuzzedBriefly gives FuzzMapRecord's property a few seconds
// of random inputs in the normal test run.
func TestMapRecord_FuzzedBriefly(t *testing.T) {
	t.Parallel()
	sim := keapsim.New(t, keapsim.Options{Contacts: 40})
	var seeds [][]byte
	for _, s := range keap.Streams {
		if s.CustomFieldsOf != "" {
			seeds = append(seeds, []byte(`{"id":"1","label":"x","field_name":"y","field_type":"TEXT","options":[{"id":"1","label":"a"}],"group_id":"2"}`))
			continue
		}
		recs, err := sim.Records(s.Name, simFields(s))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, recs[0].Raw)
	}
	n := 0
	quickfuzz.Run(t, 3*time.Second, seeds, func(tb testing.TB, raw []byte) {
		s := keap.Streams[n%len(keap.Streams)]
		n++
		in := bytes.Clone(raw)
		checkRow(tb.(*testing.T), s, in, mapRecord(s, 1, keap.Record{ID: 1, Raw: raw}))
	})
}
