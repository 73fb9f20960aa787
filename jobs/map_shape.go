package jobs

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// shapeProblems runs only for the rare record holding a nested object or
// list of the wrong shape, which encoding/json skips, reporting the first
// alone: it walks the record against the stream's struct t and records a
// problem for every such value, by path. Field names match keys as
// encoding/json matches them (exactly, else case-insensitively).
func (m *rowMapper) shapeProblems(path string, raw []byte, t reflect.Type) {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 || raw[0] == 'n' {
		return // null leaves the object zero, as if absent
	}
	if raw[0] != '{' {
		name := path
		if name == "" {
			name = "$"
		}
		m.problem(name, "not an object: "+excerpt(raw))
		return
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return // not reached: the record was valid JSON
	}
	fields := shapeFieldsOf(t)
	for key, val := range obj {
		f, ok := fields.lookup(key)
		if !ok {
			continue
		}
		p := f.name
		if path != "" {
			p = path + "." + f.name
		}
		m.checkShape(p, val, f.typ)
	}
}

// checkShape records a problem when val, at path, does not have the shape
// of Go type t.
func (m *rowMapper) checkShape(path string, val json.RawMessage, t reflect.Type) {
	val = bytes.TrimLeft(val, " \t\r\n")
	if len(val) == 0 || val[0] == 'n' || tolerant(t) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m.shapeProblems(path, val, t)
	case reflect.Slice:
		if val[0] != '[' {
			m.problem(path, "not a list: "+excerpt(val))
			return
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(val, &elems); err != nil {
			return
		}
		for i, e := range elems {
			m.checkShape(path+"["+strconv.Itoa(i)+"]", e, t.Elem())
		}
	}
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// tolerant reports whether t decodes any JSON value without an error.
func tolerant(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(unmarshalerType)
}

// shapeField is a struct field as encoding/json matches it to a key.
type shapeField struct {
	name string
	typ  reflect.Type
}

type shapeFields []shapeField

// lookup finds the field key decodes into.
func (fs shapeFields) lookup(key string) (shapeField, bool) {
	for _, f := range fs {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return shapeField{}, false
}

var shapeCache sync.Map // reflect.Type -> shapeFields

// shapeFieldsOf lists the JSON fields of struct t.
func shapeFieldsOf(t reflect.Type) shapeFields {
	if fs, ok := shapeCache.Load(t); ok {
		return fs.(shapeFields)
	}
	var fs shapeFields
	for f := range t.Fields() {
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			// An embedded struct's fields are the record's, as
			// encoding/json promotes them (a hook's extras).
			fs = append(fs, shapeFieldsOf(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fs = append(fs, shapeField{name: name, typ: f.Type})
	}
	shapeCache.Store(t, fs)
	return fs
}
