package keap

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// errLate is the error of a request held back by its gate: it would have
// left later than its slot allows, and nothing of it was written.
var errLate = errors.New("the call would leave too late after its slot")

// gate holds one request until it is written, and refuses to let it be
// written after deadline: the last check of a call's lateness, made on the
// connection itself, after the connection was dialled or taken from the
// pool, just before the first byte goes out.
type gate struct {
	clock    Clock
	slot     time.Time
	deadline time.Time
	// beforeWrite, when set (tests), runs between the grant and the check:
	// where a goroutine woken late or a slow dial would delay the call.
	beforeWrite func()

	mu       sync.Mutex
	hooked   bool          // beforeWrite ran
	checked  bool          // the request passed (or failed) its check
	late     bool          // it failed: nothing was written
	lateness time.Duration // how late after the slot the check came
}

// check reports whether the request may be written now; only its first
// write is checked.
func (g *gate) check() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.checked {
		if g.late {
			return errLate
		}
		return nil
	}
	g.checked = true
	now := g.clock.Now()
	g.lateness = max(now.Sub(g.slot), 0)
	if !g.deadline.IsZero() && now.After(g.deadline) {
		g.late = true
		return errLate
	}
	return nil
}

// refused reports whether the gate held the request back.
func (g *gate) refused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.late
}

// gateConn is a connection whose writes pass the gate of the request
// using it. HTTP/1.1 sends one request at a time on a connection, so the
// gate armed when the transport hands the connection to a request (the
// GotConn trace hook) is that request's.
type gateConn struct {
	net.Conn

	mu   sync.Mutex
	gate *gate
}

func (c *gateConn) arm(g *gate) {
	c.mu.Lock()
	c.gate = g
	c.mu.Unlock()
}

// Write writes p unless the request it belongs to is too late, in which
// case nothing is written and the transport fails the request (and closes
// the connection).
func (c *gateConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	g := c.gate
	c.mu.Unlock()
	if g != nil {
		if err := g.check(); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// gateOf finds the gateConn under a connection the transport handed over
// (a *tls.Conn for https wraps it).
func gateOf(c net.Conn) *gateConn {
	for c != nil {
		switch v := c.(type) {
		case *gateConn:
			return v
		case *tls.Conn:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// newTransport is the client's HTTP transport: every connection it dials
// is a gateConn, and it speaks HTTP/1.1 only, so that a connection carries
// one request at a time (HTTP/2 would interleave requests on one
// connection, and a gate could not tell whose bytes it holds). At Keap's
// few calls a second, a kept-alive connection per concurrent call costs
// nothing.
func newTransport(t Timeouts) *http.Transport {
	dialer := &net.Dialer{Timeout: t.Dial, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &gateConn{Conn: c}, nil
		},
		TLSHandshakeTimeout:   t.TLSHandshake,
		ResponseHeaderTimeout: t.ResponseHeader,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     false,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
}

// withGate arms g on whichever connection the request gets (the
// transport dials nothing but gateConns; it may try a second connection
// when a kept-alive one fails before anything was written).
func withGate(ctx context.Context, g *gate) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if gc := gateOf(info.Conn); gc != nil {
				gc.arm(g)
			}
			g.mu.Lock()
			hook := g.beforeWrite != nil && !g.hooked
			g.hooked = true
			g.mu.Unlock()
			if hook {
				g.beforeWrite()
			}
		},
	})
}
