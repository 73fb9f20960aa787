package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// maxRequestBody bounds what a request may send: River UI's job actions
// take a list of ids, nothing else here reads a body.
const maxRequestBody = 1 << 20

// hostGuard refuses requests whose Host header names none of the names
// this server answers to, with 421 Misdirected Request. That defeats DNS
// rebinding: a page on evil.example whose name is made to resolve to
// 127.0.0.1 reaches the port, but its requests say Host: evil.example.
// IP literals are allowed (a browser sends one only when the page itself
// was loaded from that address; cross-origin protection covers the rest).
type hostGuard struct {
	names map[string]bool // lower-case host names, without ports
	next  http.Handler
}

// newHostGuard lets through requests for localhost, this machine's host
// name, the listen address's host and every allowed host.
func newHostGuard(listen string, allowed []string, next http.Handler) *hostGuard {
	g := &hostGuard{names: map[string]bool{"localhost": true}, next: next}
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" {
		g.names[strings.ToLower(host)] = true
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		g.names[strings.ToLower(name)] = true
	}
	for _, h := range allowed {
		g.names[strings.ToLower(hostOnly(h))] = true
	}
	return g
}

func (g *hostGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.allows(r.Host) {
		http.Error(w, "misdirected request: this server does not answer to that host name (add it to http.allowed_hosts)", http.StatusMisdirectedRequest)
		return
	}
	g.next.ServeHTTP(w, r)
}

// allows reports whether a request's Host header (host or host:port)
// names this server.
func (g *hostGuard) allows(hostHeader string) bool {
	host := strings.ToLower(strings.TrimSuffix(hostOnly(hostHeader), "."))
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	return g.names[host]
}

// hostOnly is the host of host:port (or of [v6]:port), or s itself when
// it has no port.
func hostOnly(s string) string {
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
}

// newCrossOriginGuard puts every state-changing request (anything but GET,
// HEAD and OPTIONS) behind the standard library's cross-origin
// protection: a browser's request from another site is refused with 403,
// whatever credentials the browser attaches. Allowed hosts are trusted
// origins over https and http, for a reverse proxy that rewrites Host.
func newCrossOriginGuard(allowed []string, next http.Handler) (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	for _, h := range allowed {
		for _, scheme := range []string{"https://", "http://"} {
			if err := cop.AddTrustedOrigin(scheme + h); err != nil {
				return nil, fmt.Errorf("http.allowed_hosts %q: %w", h, err)
			}
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "forbidden: a cross-origin request may not change anything", http.StatusForbidden)
	}))
	return cop.Handler(next), nil
}

// limitBody caps the body a handler may read at maxRequestBody.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		}
		next.ServeHTTP(w, r)
	})
}

// newHTTPServer is the server for h with limits on every phase of a
// request, so a slow or stuck client cannot hold connections for ever.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // a /metrics or River UI answer; none streams
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
