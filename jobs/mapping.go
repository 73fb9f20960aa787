package jobs

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"time"

	"github.com/keapsync/keapsync/keap"
	"github.com/keapsync/keapsync/warehouse"
)

// mappedPage is a page's records as the warehouse takes them.
type mappedPage struct {
	rows     []warehouse.Row
	ids      []int64
	problems int
}

// mapPage maps a page's records: to rows for a sync, to ids alone for a
// reconciliation (keap hands the ids over typed; a record without a usable
// one failed the page there).
func mapPage(s keap.Stream, kind warehouse.RunKind, recs []keap.Record) mappedPage {
	m := mappedPage{ids: make([]int64, 0, len(recs))}
	for _, r := range recs {
		m.ids = append(m.ids, r.ID)
		if kind == warehouse.RunReconcile {
			continue
		}
		row := mapRecord(s, r.ID, r)
		m.problems += len(row.Problems)
		m.rows = append(m.rows, row)
	}
	return m
}

// recordMapper types one stream's record: it decodes raw once and returns
// the stream's row type, recording in m what it could not type.
type recordMapper func(m *rowMapper, raw []byte) warehouse.TableRow

// recordMappers holds a mapper for every stream of the catalogue
// (TestMapRecord_EveryStreamHasAMapper checks it), generated from the
// migrations' json notes (map_gen.go, go generate ./warehouse/), each
// calling its table's hand-written hook where it has one.
var recordMappers = generatedMappers

// mapRecord turns a record into its row: the typed columns and child rows
// of the stream's table, and a problem for each value that could not be
// typed (its column NULL). Raw stays the record exactly as received.
func mapRecord(s keap.Stream, id int64, r keap.Record) warehouse.Row {
	row := warehouse.Row{ID: id, Raw: r.Raw}
	mapper := recordMappers[s.Name]
	if mapper == nil {
		row.Problems = []warehouse.Problem{{Field: "$", Reason: "no mapper for stream " + strconv.Quote(s.Name)}}
		return row
	}
	var m rowMapper
	row.Values = mapper(&m, r.Raw)
	row.Problems = m.problems
	return row
}

// rowMapper reads a decoded record's fields into typed values, collecting
// a problem, named by the field's JSON path, for each that cannot be typed.
// A typed value points into the decoded record: no copies.
type rowMapper struct {
	problems []warehouse.Problem
	list     string // the list whose element is being read; "" at the top
	index    int
}

// decode decodes raw into rec, a pointer to a stream's struct of tolerant
// fields. A nested object or list of the wrong shape is left zero and
// becomes a problem; a record that is not valid JSON leaves every column
// NULL.
func (m *rowMapper) decode(raw []byte, rec any) {
	err := json.Unmarshal(raw, rec)
	if err == nil {
		return
	}
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		m.problems = append(m.problems, warehouse.Problem{Field: "$", Reason: "not valid JSON"})
		return
	}
	m.shapeProblems("", raw, reflect.TypeOf(rec).Elem())
}

// enter starts reading element i of list; leave returns to the top.
// Elements of lists are read only at the record's top level.
func (m *rowMapper) enter(list string, i int) { m.list, m.index = list, i }
func (m *rowMapper) leave()                   { m.list = "" }

// childRows maps the elements of the JSON array list (nil when absent) to
// child rows, each element's problems named by its path ("list[i].field").
func childRows[E, R any](m *rowMapper, list string, elems []E, build func(*E) R) []R {
	if elems == nil {
		return nil
	}
	rows := make([]R, len(elems))
	for i := range elems {
		m.enter(list, i)
		rows[i] = build(&elems[i])
	}
	m.leave()
	return rows
}

// path is the JSON path of field name in the current element.
func (m *rowMapper) path(name string) string {
	if m.list == "" {
		return name
	}
	p := m.list + "[" + strconv.Itoa(m.index) + "]"
	if name == "" {
		return p
	}
	return p + "." + name
}

func (m *rowMapper) problem(name, why string) {
	m.problems = append(m.problems, warehouse.Problem{Field: m.path(name), Reason: why})
}

// usable reports whether a field holds a usable value, recording a problem
// when it holds a wrong one.
func (m *rowMapper) usable(name string, st presence, why string) bool {
	if st == invalid {
		m.problem(name, why)
	}
	return st == present
}

func (m *rowMapper) text(name string, v *jText) *string {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return &v.v
}

func (m *rowMapper) bigint(name string, v *jInt) *int64 {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return &v.v
}

func (m *rowMapper) integer(name string, v *jInt) *int32 {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	if v.v < -1<<31 || v.v > 1<<31-1 {
		m.problem(name, "out of the integer range: "+strconv.FormatInt(v.v, 10))
		return nil
	}
	n := int32(v.v)
	return &n
}

func (m *rowMapper) decimal(name string, v *jNum) *warehouse.Decimal {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return &v.v
}

func (m *rowMapper) money(name string, v *jMoney) *warehouse.Decimal {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return &v.v
}

func (m *rowMapper) boolean(name string, v *jBool) *bool {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return &v.v
}

func (m *rowMapper) timestamp(name string, v *jTime) *time.Time {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return &v.v
}

func (m *rowMapper) date(name string, v *jDate) *time.Time {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return &v.v
}

// idList returns a list of ids, for a bigint[] column.
func (m *rowMapper) idList(name string, v *jIDList) []int64 {
	if !m.usable(name, v.st, v.why) {
		return nil
	}
	return v.v
}

// held reports whether a field held a value, usable or not: the one of a
// column's alternative keys that is read (generated mappers).
func held(st presence) bool { return st == present || st == invalid }
