package jobs

// Helpers of the mapper tests.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// stream is the catalogue's stream name.
func stream(t testing.TB, name string) keap.Stream {
	t.Helper()
	s, ok := keap.StreamByName(name)
	if !ok {
		t.Fatalf("no stream %q in the catalogue", name)
	}
	return s
}

// ts parses an RFC 3339 time, in UTC.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// day parses a date.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dec(s string) *warehouse.Decimal { return new(warehouse.Decimal(s)) }

// mapRaw maps raw as a record of stream name with id 1.
func mapRaw(t testing.TB, name string, raw string) warehouse.Row {
	t.Helper()
	return mapRecord(stream(t, name), 1, keap.Record{ID: 1, Raw: []byte(raw)})
}

// rowDiff lists the columns (and child rows) where got and want differ,
// with their values dereferenced.
func rowDiff(got, want any) []string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	if gv.Type() != wv.Type() {
		return []string{fmt.Sprintf("row type %s, want %s", gv.Type(), wv.Type())}
	}
	if gv.Kind() == reflect.Pointer {
		gv, wv = gv.Elem(), wv.Elem()
	}
	var diffs []string
	for i := range gv.NumField() {
		g, w := gv.Field(i), wv.Field(i)
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			diffs = append(diffs, fmt.Sprintf("%s = %s, want %s", gv.Type().Field(i).Name, show(g), show(w)))
		}
	}
	return diffs
}

// show formats a column value: a pointer's target, nil as NULL.
func show(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return "NULL"
		}
		return show(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return "NULL"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = show(v.Index(i))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t.Format(time.RFC3339Nano)
		}
		parts := make([]string, 0, v.NumField())
		for i := range v.NumField() {
			if f := v.Field(i); !(f.Kind() == reflect.Pointer && f.IsNil()) {
				parts = append(parts, v.Type().Field(i).Name+":"+show(f))
			}
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return fmt.Sprintf("%q", fmt.Sprint(v.Interface()))
}

func problemFields(ps []warehouse.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Field
	}
	return out
}

// simFields is what keapsync asks of a stream, as the simulator's Records
// takes it.
func simFields(s keap.Stream) []string {
	switch {
	case s.Version == keap.V1 && len(s.OptionalProperties) > 0:
		return s.OptionalProperties
	case len(s.Fields) > 0:
		return s.Fields
	}
	return []string{}
}

// jrec is a record decoded independently of the mappers, numbers kept as
// json.Number.
type jrec map[string]any

func decodeRec(t *testing.T, raw []byte) jrec {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var r jrec
	if err := d.Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// get follows keys and list indexes; nil when a step is missing.
func (r jrec) get(path ...any) any {
	var v any = map[string]any(r)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func (r jrec) list(path ...any) []any { l, _ := r.get(path...).([]any); return l }

// str is a string or number as text; nil when absent.
func (r jrec) str(path ...any) *string {
	switch v := r.get(path...).(type) {
	case string:
		return &v
	case json.Number:
		s := v.String()
		return &s
	}
	return nil
}

func (r jrec) id(t *testing.T, path ...any) *int64 {
	s := r.str(path...)
	if s == nil {
		return nil
	}
	n, err := strconv.ParseInt(*s, 10, 64)
	if err != nil {
		t.Fatalf("%v: %v", path, err)
	}
	return &n
}

func (r jrec) time(t *testing.T, path ...any) *time.Time {
	s := r.str(path...)
	if s == nil {
		return nil
	}
	v, err := keap.ParseTime(*s)
	if err != nil {
		t.Fatalf("%v: %v", path, err)
	}
	return &v
}

// money is a CurrencyValue's formatted amount without its "$": what the
// mapped amount in main units must read.
// num is the digits of a JSON number at path, as the record wrote them.
func (r jrec) num(path ...any) *string {
	n, ok := r.get(path...).(json.Number)
	if !ok {
		return nil
	}
	s := n.String()
	return &s
}

func (r jrec) money(path ...any) *string {
	s := r.str(append(path, "formatted_amount")...)
	if s == nil {
		return nil
	}
	v := strings.TrimPrefix(*s, "$")
	return &v
}

// eq reports a column that differs from what the record says.
func eq[T comparable](t *testing.T, id int64, col string, got, want *T) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("record %d: %s = %s, want %s", id, col, show(reflect.ValueOf(got)), show(reflect.ValueOf(want)))
	case *got != *want:
		t.Errorf("record %d: %s = %v, want %v", id, col, *got, *want)
	}
}

func eqTime(t *testing.T, id int64, col string, got, want *time.Time) {
	t.Helper()
	if (got == nil) != (want == nil) || got != nil && !got.Equal(*want) {
		t.Errorf("record %d: %s = %s, want %s", id, col, show(reflect.ValueOf(got)), show(reflect.ValueOf(want)))
	}
}

func eqDec(t *testing.T, id int64, col string, got *warehouse.Decimal, want *string) {
	t.Helper()
	eq(t, id, col, (*string)(got), want)
}

// cents reads a main-unit amount ("123.45") as cents.
func cents(t *testing.T, d warehouse.Decimal) *big.Int {
	t.Helper()
	r, ok := new(big.Rat).SetString(string(d))
	if !ok {
		t.Fatalf("amount %q", d)
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() {
		t.Fatalf("amount %q has fractions of a cent", d)
	}
	return r.Num()
}
