package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed authentications are rate limited per client address: a burst of
// failureBurst, then one failure every failureEvery; past it a wrong
// token gets 429 instead of 401. The right token always passes (the token
// is at least 16 characters: guessing it is not what the limit is for; it
// keeps a misconfigured client from flooding the logs and slows a scan).
const (
	failureBurst   = 10
	failureEvery   = 6 * time.Second
	maxFailClients = 10_000
)

// authenticator guards handlers with the configured token, sent as
// "Authorization: Bearer <token>" (scrapers, scripts) or as the password
// of HTTP basic authentication with any user name (browsers, for River
// UI: they ask for it once and resend it with every request).
type authenticator struct {
	enabled bool
	hash    [sha256.Size]byte
	now     func() time.Time

	mu       sync.Mutex
	failures map[string]*rate.Limiter
	overflow *rate.Limiter // shared by new clients once the map is full
}

func newAuthenticator(token string, now func() time.Time) *authenticator {
	au := &authenticator{enabled: token != "", now: now, failures: map[string]*rate.Limiter{},
		overflow: rate.NewLimiter(rate.Every(failureEvery), failureBurst)}
	au.hash = sha256.Sum256([]byte(token))
	return au
}

// wrap lets requests through to h when they carry the token (or when no
// token is configured).
func (au *authenticator) wrap(h http.Handler) http.Handler {
	if !au.enabled {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The token is checked first: a client that has it always passes,
		// whatever others behind the same address (a NAT, a proxy, this
		// host) have tried. Only failures are limited.
		if au.valid(r) {
			h.ServeHTTP(w, r)
			return
		}
		client := clientAddr(r)
		now := au.now()
		if wait := au.blocked(client, now); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			http.Error(w, "too many failed authentications; retry later", http.StatusTooManyRequests)
			return
		}
		au.fail(client, now)
		w.Header().Add("WWW-Authenticate", `Basic realm="keapsync", charset="UTF-8"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="keapsync"`)
		http.Error(w, "unauthorized: send Authorization: Bearer <http.auth_token>, or the token as the basic-auth password", http.StatusUnauthorized)
	})
}

// valid reports whether r carries the token, compared in constant time
// (hashes of equal length, so not even the token's length leaks).
func (au *authenticator) valid(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok {
		return false
	}
	var candidate string
	switch strings.ToLower(scheme) {
	case "bearer":
		candidate = strings.TrimSpace(cred)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return false
		}
		_, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return false
		}
		candidate = pass
	default:
		return false
	}
	sum := sha256.Sum256([]byte(candidate))
	return subtle.ConstantTimeCompare(sum[:], au.hash[:]) == 1
}

// blocked returns how long client must wait before its next attempt, 0
// when it may try now.
func (au *authenticator) blocked(client string, now time.Time) time.Duration {
	au.mu.Lock()
	defer au.mu.Unlock()
	lim, ok := au.failures[client]
	if !ok {
		if len(au.failures) < maxFailClients {
			return 0
		}
		lim = au.overflow
	}
	if lim.TokensAt(now) >= 1 {
		return 0
	}
	res := lim.ReserveN(now, 1)
	defer res.CancelAt(now)
	return max(res.DelayFrom(now), time.Second)
}

// fail spends one of client's attempts.
func (au *authenticator) fail(client string, now time.Time) {
	au.mu.Lock()
	defer au.mu.Unlock()
	lim, ok := au.failures[client]
	if !ok {
		if len(au.failures) >= maxFailClients {
			au.sweep(now)
		}
		if len(au.failures) >= maxFailClients {
			au.overflow.AllowN(now, 1)
			return
		}
		lim = rate.NewLimiter(rate.Every(failureEvery), failureBurst)
		au.failures[client] = lim
	}
	lim.AllowN(now, 1)
}

// sweep forgets clients whose attempts have all come back.
func (au *authenticator) sweep(now time.Time) {
	for c, lim := range au.failures {
		if lim.TokensAt(now) >= failureBurst {
			delete(au.failures, c)
		}
	}
}

// clientAddr is the request's remote IP. Behind a reverse proxy every
// client shares the proxy's address (X-Forwarded-For is not trusted).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
