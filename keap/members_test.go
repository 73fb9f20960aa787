package keap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// unmarshalPair is what memberPair must equal: json.Unmarshal into a map.
func unmarshalPair(raw []byte, a, b string) (va, vb json.RawMessage, ok bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, nil, false
	}
	if b == "" {
		return fields[a], nil, true
	}
	return fields[a], fields[b], true
}

func checkMemberPair(t *testing.T, raw []byte, a, b string) {
	t.Helper()
	va, vb, ok := memberPair(raw, a, b)
	wa, wb, wok := unmarshalPair(raw, a, b)
	if ok != wok || !bytes.Equal(va, wa) || !bytes.Equal(vb, wb) {
		t.Fatalf("memberPair(%q, %q, %q) = %q, %q, %v; json.Unmarshal says %q, %q, %v", raw, a, b, va, vb, ok, wa, wb, wok)
	}
}

func TestMemberPair_AgreesWithUnmarshal(t *testing.T) {
	for _, raw := range []string{
		`{"id":1,"last_updated":"2024-01-02T03:04:05Z"}`,
		` { "id" : "7" , "x" : [1, {"id": 2}, "}"] , "last_updated" : null } `,
		`{"x":{"id":9,"last_updated":"no"},"id":3}`,
		`{"id":1,"id":2}`,
		`{"\u0069d":5,"last_\u0075pdated":"2024-01-02T03:04:05Z"}`,
		`{"i\"d":1,"id":"a\"b\\"}`,
		`{"s":"\\","id":-1.5e3}`,
		`{}`, `{ }`, `null`, `[]`, `[{"id":1}]`, `"id"`, `12`, `true`,
		`{"id":[]}`, `{"id":{}}`, `{"id":"ünï😀"}`, "{\"id\":\"\xff\",\"\xffid\":1}",
		`{"nested":[[[[{"a":"]"}]]]],"id":8}`,
	} {
		checkMemberPair(t, []byte(raw), "id", "last_updated")
		checkMemberPair(t, []byte(raw), "id", "")
	}

	// Random objects: nested values, escapes, duplicate and look-alike keys.
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"id", "last_updated", "Id", "id ", `i\u0064`, `last_\u0075pdated`, "x", `\"`, "ü"}
	var value func(depth int) string
	value = func(depth int) string {
		switch n := rng.IntN(8); {
		case n == 0 && depth < 4:
			var parts []string
			for range rng.IntN(4) {
				parts = append(parts, fmt.Sprintf("%q:%s", keys[rng.IntN(len(keys))], value(depth+1)))
			}
			return "{" + strings.Join(parts, ",") + "}"
		case n == 1 && depth < 4:
			var parts []string
			for range rng.IntN(4) {
				parts = append(parts, value(depth+1))
			}
			return "[" + strings.Join(parts, " , ") + "]"
		case n == 2:
			return `"a\"}]\\"`
		case n == 3:
			return "null"
		case n == 4:
			return "-12.5e-3"
		default:
			return fmt.Sprintf("%d", rng.Int64())
		}
	}
	for range 20_000 {
		var parts []string
		for range rng.IntN(6) {
			k := keys[rng.IntN(len(keys))]
			parts = append(parts, "\""+k+"\""+strings.Repeat(" ", rng.IntN(2))+":"+value(0))
		}
		raw := []byte("{" + strings.Join(parts, ",\n") + "}")
		if !json.Valid(raw) {
			t.Fatalf("generated invalid JSON %q", raw)
		}
		checkMemberPair(t, raw, "id", "last_updated")
	}
}

// FuzzMemberPair checks the fast path against json.Unmarshal on any valid
// JSON (the only input it gets: the page decoder has scanned it).
func FuzzMemberPair(f *testing.F) {
	for _, s := range []string{`{"id":1,"last_updated":"2024-01-02T03:04:05Z"}`, `{"a":[{"id":2}],"id":"x"}`, `null`, `{"\u0069d":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // the page decoder passes only valid JSON
		}
		checkMemberPair(t, raw, "id", "last_updated")
	})
}
