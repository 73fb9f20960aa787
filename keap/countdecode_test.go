package keap

import (
	"errors"
	"testing"
)

func TestDecodeCount(t *testing.T) {
	t.Parallel()
	s := mustStream(t, "contacts")
	tests := []struct {
		name    string
		body    string
		want    int64
		problem BodyProblem // "" when the body is good
	}{
		{"count with one record", `{"contacts":[{"id":1}],"count":1234,"next":"x","previous":"y"}`, 1234, ""},
		{"no matches", `{"contacts":[],"count":0}`, 0, ""},
		{"null records", `{"contacts":null,"count":0}`, 0, ""},
		{"no count", `{"contacts":[]}`, 0, BodyInvalidJSON},
		{"negative count", `{"contacts":[],"count":-1}`, 0, BodyInvalidJSON},
		{"count as a string", `{"contacts":[],"count":"12"}`, 0, BodyInvalidJSON},
		{"another envelope", `{"companies":[],"count":3}`, 0, BodyInvalidJSON},
		{"records not an array", `{"contacts":{},"count":3}`, 0, BodyInvalidJSON},
		{"null body", `null`, 0, BodyInvalidJSON},
		{"html", `<html><title>Keap - Page Not Found</title></html>`, 0, BodyHTML},
		{"truncated", `{"contacts":[],"cou`, 0, BodyTruncated},
	}
	for _, tt := range tests {
		n, err := decodeCount(s, 200, "application/json", []byte(tt.body))
		if tt.problem == "" {
			if err != nil || n != tt.want {
				t.Errorf("%s: %d, %v; want %d", tt.name, n, err, tt.want)
			}
			continue
		}
		var be *BodyError
		if !errors.As(err, &be) || be.Problem != tt.problem {
			t.Errorf("%s: err = %v, want a %s *BodyError", tt.name, err, tt.problem)
		}
	}
}
