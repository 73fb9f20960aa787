package warehouse

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestConvert_AcceptsDocumentedTypesAndFlagsUnstorableValues(t *testing.T) {
	t.Parallel()
	day := time.Date(1990, 2, 28, 23, 30, 0, 0, time.FixedZone("X", -5*3600))
	tests := []struct {
		name        string
		typ         ColumnType
		in          any
		want        any
		wantProblem bool
		wantReject  bool
	}{
		{"nil is NULL", Text, nil, nil, false, false},
		{"text", Text, "Zoë 🎉", "Zoë 🎉", false, false},
		{"text with NUL", Text, "a\x00b", nil, true, false},
		{"text not UTF-8", Text, "\xff", nil, true, false},
		{"text rejects int", Text, 5, nil, false, true},
		{"bigint from int64", BigInt, int64(1 << 40), int64(1 << 40), false, false},
		{"bigint from int", BigInt, 7, int64(7), false, false},
		{"bigint rejects string", BigInt, "7", nil, false, true},
		{"integer in range", Integer, int64(12), int32(12), false, false},
		{"integer out of range", Integer, int64(math.MaxInt32) + 1, nil, true, false},
		{"numeric float", Numeric, 12.5, 12.5, false, false},
		{"numeric NaN", Numeric, math.NaN(), nil, true, false},
		{"numeric decimal string", Numeric, "12.50", pgtype.Numeric{}, false, false},
		{"numeric bad string", Numeric, "12,50", nil, true, false},
		{"boolean", Boolean, true, true, false, false},
		{"boolean rejects string", Boolean, "true", nil, false, true},
		{"zero time is NULL", Timestamptz, time.Time{}, nil, false, false},
		{"date keeps the local date", Date, day, pgtype.Date{Time: time.Date(1990, 2, 28, 0, 0, 0, 0, time.UTC), Valid: true}, false, false},
		{"jsonb", JSONB, json.RawMessage(`{"a":1}`), `{"a":1}`, false, false},
		{"jsonb invalid", JSONB, []byte(`{"a":`), nil, true, false},
		{"jsonb with NUL escape", JSONB, []byte(`"a\u0000"`), `"a\ufffd"`, true, false},
		{"bigint array", BigIntArray, []int64{1, 2}, []int64{1, 2}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem, ok := convert(tt.typ, tt.in)
			if ok == tt.wantReject {
				t.Fatalf("accepted = %v, want %v", ok, !tt.wantReject)
			}
			if (problem != "") != tt.wantProblem {
				t.Fatalf("problem = %q, want problem %v", problem, tt.wantProblem)
			}
			if _, isNum := tt.want.(pgtype.Numeric); isNum {
				if n, ok := got.(pgtype.Numeric); !ok || !n.Valid {
					t.Fatalf("got %#v, want a valid pgtype.Numeric", got)
				}
				return
			}
			if a, isSlice := tt.want.([]int64); isSlice {
				if b, ok := got.([]int64); !ok || len(a) != len(b) {
					t.Fatalf("got %#v, want %#v", got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestReplaceNULEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		replaced bool
	}{
		{`{"a":"plain"}`, `{"a":"plain"}`, false},
		{`{"a":"x\u0000y"}`, `{"a":"x\ufffdy"}`, true},
		{`{"a":"\\u0000"}`, `{"a":"\\u0000"}`, false},
		{`{"a":"\\\u0000"}`, `{"a":"\\\ufffd"}`, true},
		{`["\u0000","\u0000"]`, `["\ufffd","\ufffd"]`, true},
		{`"\"\u00001"`, `"\"\ufffd1"`, true},
	}
	for _, tt := range tests {
		got, replaced := replaceNULEscapes([]byte(tt.in))
		if string(got) != tt.want || replaced != tt.replaced {
			t.Errorf("replaceNULEscapes(%s) = %s, %v; want %s, %v", tt.in, got, replaced, tt.want, tt.replaced)
		}
	}
}
