package keapsim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keapsync/keapsync/keap/keapsim"
)

func TestFaults_ASpecificRequestNumberFails(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 10, Faults: []keapsim.Fault{{Kind: keapsim.Fault503, Request: 2}}}))
	for i, want := range []int{200, 503, 200} {
		r := get(t, s, "/v2/tags")
		if r.status != want {
			t.Fatalf("request %d: %d, want %d", i+1, r.status, want)
		}
		if want == 503 && !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("503 is not an HTML page: %s", r.header.Get("Content-Type"))
		}
	}
	if st := s.Stats(); st.Faults != 1 || st.Accepted != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFaults_EachKindDamagesTheResponseAsDescribed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind   keapsim.FaultKind
		status int
		html   bool
		json   bool // body is valid JSON
	}{
		{keapsim.Fault500, 500, false, true},
		{keapsim.Fault502, 502, true, false},
		{keapsim.Fault503, 503, true, false},
		{keapsim.FaultHTML, 500, true, false},
		{keapsim.FaultTruncated, 200, false, false},
		{keapsim.FaultContentType, 200, true, true},
		{keapsim.FaultSlow, 200, false, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			t.Parallel()
			s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 10}))
			if err := s.AddFault(keapsim.Fault{Kind: tt.kind, Probability: 1, PathPrefix: "/v2/tags", Delay: 10 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			r := get(t, s, "/v2/tags")
			if r.status != tt.status {
				t.Fatalf("status %d", r.status)
			}
			if got := strings.HasPrefix(r.header.Get("Content-Type"), "text/html"); got != tt.html {
				t.Fatalf("content type %q", r.header.Get("Content-Type"))
			}
			if got := json.Valid(r.body); got != tt.json {
				t.Fatalf("valid JSON = %v: %s", got, truncate(r.body))
			}
			if r := get(t, s, "/v2/users"); r.status != 200 {
				t.Fatalf("fault escaped its path prefix: %d", r.status)
			}
		})
	}
}

func TestFaults_ConnectionResetGivesTheClientATransportError(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 10, Faults: []keapsim.Fault{{Kind: keapsim.FaultReset, Request: 1}}}))
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/v2/tags", nil)
	req.Header.Set("X-Keap-API-Key", s.APIKey())
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("got a response: %d", res.StatusCode)
	}
	if r := get(t, s, "/v2/tags"); r.status != 200 {
		t.Fatalf("after the reset: %d", r.status)
	}
}

func TestFaults_ProbabilisticFaultsReplayWithTheSameSeed(t *testing.T) {
	t.Parallel()
	run := func() []int {
		s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 10, FaultSeed: 42, Faults: []keapsim.Fault{{Kind: keapsim.Fault500, Probability: 0.5}}}))
		var out []int
		for range 20 {
			out = append(out, get(t, s, "/v2/campaigns").status)
		}
		return out
	}
	a, b := run(), run()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("runs differ at %d: %v vs %v", i, a, b)
		}
		if a[i] == 500 {
			fails++
		}
	}
	if fails == 0 || fails == 20 {
		t.Fatalf("probability 0.5 failed %d of 20", fails)
	}
}

func TestFaults_InvalidFaultsAreRejected(t *testing.T) {
	t.Parallel()
	for _, f := range []keapsim.Fault{{Kind: "boom", Request: 1}, {Kind: keapsim.Fault500}, {Kind: keapsim.Fault500, Probability: 2}} {
		if _, err := keapsim.Start(keapsim.Options{Faults: []keapsim.Fault{f}}); err == nil {
			t.Fatalf("%+v accepted", f)
		}
	}
}

// TestFaults_APathFaultHitsThatPathOnly: Path is exact where PathPrefix is
// not (/v2/notes and /v2/notes/model).
func TestFaults_APathFaultHitsThatPathOnly(t *testing.T) {
	t.Parallel()
	s := keapsim.New(t, unlimited(keapsim.Options{Contacts: 10}))
	if err := s.AddFault(keapsim.Fault{Kind: keapsim.Fault503, Probability: 1, Path: "/v2/notes"}); err != nil {
		t.Fatal(err)
	}
	if r := get(t, s, "/v2/notes"); r.status != 503 {
		t.Errorf("/v2/notes: %d, want the fault's 503", r.status)
	}
	if r := get(t, s, "/v2/notes/model"); r.status != 200 {
		t.Errorf("/v2/notes/model: %d, want 200 (a path fault is exact)", r.status)
	}
	s.ClearFaults()
	if err := s.AddFault(keapsim.Fault{Kind: keapsim.Fault503, Probability: 1, PathPrefix: "/v2/notes"}); err != nil {
		t.Fatal(err)
	}
	if r := get(t, s, "/v2/notes/model"); r.status != 503 {
		t.Errorf("/v2/notes/model under a prefix fault: %d, want 503", r.status)
	}
}
