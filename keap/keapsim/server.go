package keapsim

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// basePath is where Keap serves its REST API on api.infusionsoft.com.
const basePath = "/crm/rest"

// Server is a running simulator: a synthetic Keap tenant served over HTTP
// on loopback.
type Server struct {
	opts  Options
	start time.Time

	mu     sync.RWMutex // guards tables and their records
	tables map[string]*table
	// raw holds records set to render as given bytes (SetRaw), by stream
	// and id.
	raw    map[string]map[int64][]byte
	routes map[string]route

	qmu    sync.Mutex // guards quota, stats and faults
	quota  *quota
	faults []Fault
	frand  *rand.Rand

	bufs sync.Pool

	ln   net.Listener
	srv  *http.Server
	url  string
	done chan struct{}

	closeOnce sync.Once
	closeErr  error
}

type routeKind int

const (
	routeList routeKind = iota
	routeModel
)

type route struct {
	kind   routeKind
	def    *streamDef // list: the endpoint's definition
	table  string     // list: the stream holding the records
	entity string     // model: "contacts"
	v1     bool
}

// New starts a simulator for a test and closes it in tb.Cleanup; it fails
// tb if the simulator cannot start.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("keapsim: start: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("keapsim: close: %v", err)
		}
	})
	return s
}

// Start generates the tenant and serves it on opts.Addr until Close.
func Start(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, done: make(chan struct{})}
	s.start = opts.Now()
	s.quota = newQuota(opts, s.start)
	s.faults = opts.Faults
	s.frand = rand.New(rand.NewPCG(uint64(opts.FaultSeed), 0x6b656170))
	s.bufs.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	s.generate()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("keapsim: listen: %w", err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String() + basePath
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL returns the base URL, ending in /crm/rest, e.g.
// http://127.0.0.1:4321/crm/rest.
func (s *Server) URL() string { return s.url }

// String describes the server by its URL; the API keys it holds stay out
// of %v and %+v output.
func (s *Server) String() string { return "keapsim.Server(" + s.url + ")" }

// GoString is String for %#v.
func (s *Server) GoString() string { return s.String() }

// APIKey returns the first accepted API key.
func (s *Server) APIKey() string { return s.opts.APIKeys[0] }

// Close stops the server, ending open connections.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			// Connections still busy after 5 s (a starved machine marks
			// them idle late) are closed: that is no failure of the
			// simulator's, only the forced close can be.
			if !errors.Is(err, context.DeadlineExceeded) {
				s.closeErr = err
			}
			s.closeErr = errors.Join(s.closeErr, s.srv.Close())
		}
		<-s.done
	})
	return s.closeErr
}

// Shutdown stops the server gracefully, waiting for requests in flight
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err == nil {
		<-s.done
	}
	return err
}

func (s *Server) authorized(r *http.Request) bool {
	key := r.Header.Get("X-Keap-API-Key")
	if key == "" {
		if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "Bearer ") {
			key = strings.TrimSpace(a[7:])
		}
	}
	if key == "" {
		return false
	}
	ok := false
	for _, k := range s.opts.APIKeys {
		if subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 {
			ok = true
		}
	}
	return ok
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || len(r.TransferEncoding) > 0
}

// ServeHTTP serves Keap's REST API under /crm/rest and the simulator's
// control API under /_sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveSim(w, r)
		return
	}
	now := s.opts.Now()
	s.qmu.Lock()
	st := &s.quota.stats
	st.Requests++
	reqNo := st.Requests
	switch {
	case r.Method == http.MethodGet && hasBody(r):
		// The front end rejects it before the gateway counts anything.
		st.BadRequests++
		s.quota.setHeaders(w.Header(), now)
		s.qmu.Unlock()
		writeHTML(w, http.StatusBadRequest, html400)
		return
	case !s.authorized(r):
		st.Unauthorized++
		s.quota.setHeaders(w.Header(), now)
		s.qmu.Unlock()
		// The real 401 body is unconfirmed; the gateway (Apigee) rejects the
		// key, so its fault shape is the likeliest.
		writeJSON(w, http.StatusUnauthorized, []byte(`{"fault":{"faultstring":"Invalid API key","detail":{"errorcode":"oauth.v2.InvalidApiKey"}}}`))
		return
	}
	cause, retryAfter := s.quota.admit(now)
	s.quota.setHeaders(w.Header(), now)
	var fault *Fault
	if cause == CauseNone {
		fault = s.drawFault(reqNo, r.URL.Path)
		if fault != nil {
			st.Faults++
		}
	}
	s.qmu.Unlock()
	if cause != CauseNone {
		s.write429(w, cause, retryAfter)
		return
	}
	if fault != nil && s.applyFault(w, r, fault) {
		return
	}
	s.serveAPI(w, r, fault)
}

func (s *Server) countStatus(status int) {
	if status < 400 {
		return
	}
	s.qmu.Lock()
	switch status {
	case http.StatusBadRequest:
		s.quota.stats.BadRequests++
	case http.StatusNotFound:
		s.quota.stats.NotFound++
	}
	s.qmu.Unlock()
}

// write429 answers a rejected request. Neither spec declares 429; the two
// body shapes and the optional Retry-After are as observed (keap-api.md §2).
func (s *Server) write429(w http.ResponseWriter, cause Cause, retryAfter time.Duration) {
	if s.opts.RetryAfter {
		secs := int64((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(max(1, secs)))
	}
	if s.opts.RateLimitBody == RateLimitBodyV2 {
		writeJSON(w, http.StatusTooManyRequests, []byte(`{"code":"429","message":"Quota Exceeded","status":"Request Throttled","details":null}`))
		return
	}
	if cause == CauseSpike {
		writeJSON(w, http.StatusTooManyRequests, []byte(`{"fault":{"faultstring":"Spike arrest violation. Allowed rate : MessageRate{messagesPerPeriod=`+
			fmt.Sprint(s.opts.PerSecond)+`, periodInMicroseconds=1000000, maxBurstMessageCount=1.0}","detail":{"errorcode":"policies.ratelimit.SpikeArrestViolation"}}}`))
		return
	}
	writeJSON(w, http.StatusTooManyRequests, []byte(`{"fault":{"faultstring":"Rate limit quota violation. Quota limit  exceeded. Identifier : `+cause.String()+
		`","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}`))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeHTML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// html404 is what Keap's front end answers for an unknown URL: an HTML page,
// not the JSON 404 the specs declare for unknown records (keap-api.md §5).
const html404 = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Keap - Page Not Found</title></head>
<body><h1>Page Not Found</h1><p>The page you requested could not be found.</p></body></html>
`

const html400 = `<html>
<head><title>400 Bad Request</title></head>
<body>
<center><h1>400 Bad Request</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

const html502 = `<!DOCTYPE html>
<html lang=en><meta charset=utf-8><title>Error 502 (Server Error)!!1</title>
<p><b>502.</b> <ins>That's an error.</ins><p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds. <ins>That's all we know.</ins>
`

const html503 = `<html><head><title>503 Service Temporarily Unavailable</title></head>
<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>
`

const html500 = `<!DOCTYPE html>
<html><head><title>Keap - Something went wrong</title></head>
<body><h1>Something went wrong</h1><p>We're sorry, an unexpected error occurred. Please try again later.</p></body></html>
`

// v2Error renders the v2 error body {code, message, status, details}.
func v2Error(status int, msg string) []byte {
	var o obj
	o.begin(nil)
	o.int("code", int64(status))
	o.str("message", msg)
	o.str("status", http.StatusText(status))
	o.raw("details", []byte("[]"))
	return o.end()
}

func v1Error(msg string) []byte {
	var o obj
	o.begin(nil)
	o.str("message", msg)
	return o.end()
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, fault *Fault) {
	p, ok := strings.CutPrefix(r.URL.Path, basePath)
	if ok && len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	rt, found := s.routes[p]
	if !ok || !found {
		s.countStatus(http.StatusNotFound)
		writeHTML(w, http.StatusNotFound, html404)
		return
	}
	if r.Method != http.MethodGet {
		// The simulator only reads; writes go through the mutation API.
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, v2Error(http.StatusMethodNotAllowed, "Method Not Allowed"))
		return
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	var body []byte
	var err error
	switch rt.kind {
	case routeModel:
		body = appendModel((*bp)[:0], rt.entity, rt.v1)
	case routeList:
		if rt.v1 {
			body, err = s.listV1(r, (*bp)[:0], rt)
		} else {
			body, err = s.listV2(r, (*bp)[:0], rt)
		}
	}
	if err != nil {
		var br *badRequest
		if !errors.As(err, &br) {
			br = &badRequest{msg: err.Error()}
		}
		s.countStatus(http.StatusBadRequest)
		if rt.v1 {
			writeJSON(w, http.StatusBadRequest, v1Error(br.msg))
		} else {
			writeJSON(w, http.StatusBadRequest, v2Error(http.StatusBadRequest, br.msg))
		}
		return
	}
	*bp = body[:0]
	s.writeBody(w, body, fault)
}
