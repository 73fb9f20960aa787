package keapsim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a kind of failure the simulator can inject.
type FaultKind string

// The injectable faults.
const (
	Fault500         FaultKind = "500"          // 500 with the v2 error body
	Fault502         FaultKind = "502"          // 502 HTML page from the front end
	Fault503         FaultKind = "503"          // 503 HTML page from the front end
	FaultHTML        FaultKind = "html"         // 500 with Keap's HTML error page
	FaultSlow        FaultKind = "slow"         // the normal response after Delay
	FaultReset       FaultKind = "reset"        // the connection is reset without a response
	FaultTruncated   FaultKind = "truncated"    // 200 whose JSON body is cut in half
	FaultContentType FaultKind = "content_type" // 200 with the JSON body labelled text/html
	FaultHuge        FaultKind = "huge"         // 200 with a 100 MB JSON body (one record with a 100 MB string)
	FaultManyTiny    FaultKind = "many_tiny"    // 200 with 700,000 tiny records (12 MB), far more than any page size
)

// Fault injects a failure into accepted API requests (a 429 is never
// replaced by a fault; faulted requests still count against the quota, as
// they do at Keap where the gateway counted them before the backend
// failed).
type Fault struct {
	Kind FaultKind
	// Probability is the chance, in [0, 1], that an accepted request fails.
	Probability float64
	// Request, when not 0, fails exactly the Request-th API request (1-based,
	// numbered like Stats.Requests).
	Request int64
	// PathPrefix limits the fault to paths below /crm/rest starting with it
	// ("/v2/contacts"). Default: every path.
	PathPrefix string
	// Path, when set, limits the fault to exactly this path ("/v2/notes",
	// not "/v2/notes/model").
	Path string
	// Delay is the added latency of FaultSlow. Default 2s.
	Delay time.Duration
}

// ErrInvalidFault is wrapped by errors about a Fault that cannot apply.
var ErrInvalidFault = errors.New("keapsim: invalid fault")

func (f Fault) validate() error {
	switch f.Kind {
	case Fault500, Fault502, Fault503, FaultHTML, FaultSlow, FaultReset, FaultTruncated, FaultContentType, FaultHuge, FaultManyTiny:
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidFault, f.Kind)
	}
	if f.Probability < 0 || f.Probability > 1 {
		return fmt.Errorf("%w: probability %v outside [0, 1]", ErrInvalidFault, f.Probability)
	}
	if f.Probability == 0 && f.Request <= 0 {
		return fmt.Errorf("%w: %s needs a probability or a request number", ErrInvalidFault, f.Kind)
	}
	return nil
}

// ParseFaultKind returns the kind named s ("500", "reset", ...).
func ParseFaultKind(s string) (FaultKind, error) {
	k := FaultKind(s)
	if err := (Fault{Kind: k, Request: 1}).validate(); err != nil {
		return "", err
	}
	return k, nil
}

// AddFault injects f from now on.
func (s *Server) AddFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.qmu.Lock()
	s.faults = append(s.faults, f)
	s.qmu.Unlock()
	return nil
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.qmu.Lock()
	s.faults = nil
	s.qmu.Unlock()
}

// drawFault picks the fault for request reqNo, if any. Called with qmu held.
func (s *Server) drawFault(reqNo int64, path string) *Fault {
	below := strings.TrimPrefix(path, basePath)
	for i := range s.faults {
		f := &s.faults[i]
		if f.PathPrefix != "" && !strings.HasPrefix(below, f.PathPrefix) || f.Path != "" && below != f.Path {
			continue
		}
		if f.Request == reqNo || (f.Probability > 0 && s.frand.Float64() < f.Probability) {
			c := *f
			return &c
		}
	}
	return nil
}

// applyFault writes the faulty response; it returns false when the normal
// response must still be served (slow, truncated, wrong content type).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	switch f.Kind {
	case Fault500:
		writeJSON(w, http.StatusInternalServerError, v2Error(http.StatusInternalServerError, "Internal Server Error"))
	case Fault502:
		writeHTML(w, http.StatusBadGateway, html502)
	case Fault503:
		writeHTML(w, http.StatusServiceUnavailable, html503)
	case FaultHTML:
		writeHTML(w, http.StatusInternalServerError, html500)
	case FaultReset:
		rc := http.NewResponseController(w)
		conn, _, err := rc.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST rather than FIN
		}
		_ = conn.Close()
	case FaultHuge:
		writeHuge(w, r)
	case FaultManyTiny:
		writeManyTiny(w, r)
	case FaultSlow:
		d := f.Delay
		if d <= 0 {
			d = 2 * time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
		return false
	default:
		return false
	}
	return true
}

// hugeSize is the body size of FaultHuge.
const hugeSize = 100 << 20

// writeHuge writes a 200 whose JSON body is 100 MB: a list envelope keyed by
// the path's last element, holding one record with a 100 MB string, written
// in chunks (never held in memory whole).
func writeHuge(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	head := `{"` + key + `":[{"id":"1","notes":"`
	tail := `"}],"next_page_token":""}`
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(head)+hugeSize+len(tail)))
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range hugeSize >> 20 {
		if _, err := w.Write(chunk); err != nil {
			return // the client stopped reading
		}
	}
	_, _ = io.WriteString(w, tail)
}

// manyTiny is the number of records of FaultManyTiny.
const manyTiny = 700_000

// writeManyTiny writes a page of manyTiny records of an id alone, each
// past the last (so only the page size can refuse them), under the
// path's records key: small enough to pass a body limit, and each record
// costs a decoder far more than its bytes.
func writeManyTiny(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, `{"`+key+`":[`...)
	for i := range manyTiny {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"id":"`...)
		buf = strconv.AppendInt(buf, int64(1_000_000_000+i), 10)
		buf = append(buf, `"}`...)
		if len(buf) > 60<<10 {
			if _, err := w.Write(buf); err != nil {
				return // the client stopped reading
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, `],"next_page_token":"more"}`...)
	_, _ = w.Write(buf)
}

// writeBody writes a 200 JSON body, damaged if the fault says so.
func (s *Server) writeBody(w http.ResponseWriter, body []byte, f *Fault) {
	ct := "application/json;charset=UTF-8"
	if f != nil {
		switch f.Kind {
		case FaultTruncated:
			body = body[:len(body)/2]
		case FaultContentType:
			ct = "text/html; charset=UTF-8"
		}
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
