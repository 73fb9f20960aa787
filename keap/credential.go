package keap

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// Credential authenticates requests to Keap. APIKey is the implementation for
// Personal Access Tokens and Service Account Keys; an OAuth2 token source can
// implement it later by setting "Authorization: Bearer" (and refreshing the
// token under ctx).
type Credential interface {
	// Apply sets the credential's headers on req. It must not put the secret
	// anywhere else (never in the URL).
	Apply(ctx context.Context, req *http.Request) error
}

// APIKey is a Keap Personal Access Token or Service Account Key, sent as the
// X-Keap-API-Key header. Its value never appears in fmt output (%v, %+v, %#v,
// %s, %q, %x...), JSON or slog: all of them print "[redacted]".
//
// The key is held behind a pointer so that even fmt's reflection through an
// unexported field of an enclosing struct prints an address, not the key.
type APIKey struct {
	secret *string
}

// NewAPIKey returns an APIKey holding key.
func NewAPIKey(key string) APIKey {
	return APIKey{secret: &key}
}

const redacted = "[redacted]"

// errEmptyAPIKey is returned by Apply when the key is empty.
var errEmptyAPIKey = errors.New("empty API key")

// Apply sets X-Keap-API-Key on req.
func (k APIKey) Apply(_ context.Context, req *http.Request) error {
	if k.secret == nil || *k.secret == "" {
		return errEmptyAPIKey
	}
	req.Header.Set("X-Keap-API-Key", *k.secret)
	return nil
}

// Fingerprinter is a Credential that can say whether two processes hold
// the same secret without showing it.
type Fingerprinter interface {
	// Fingerprint returns a short value that is equal for equal secrets
	// and tells nothing about the secret: the same purpose string gives
	// the same fingerprint.
	Fingerprint(purpose string) string
}

// Fingerprint returns the first 8 bytes, in hex, of HMAC-SHA-256 keyed by
// the key over purpose: equal keys give equal fingerprints, and nothing
// about the key can be read back from one.
func (k APIKey) Fingerprint(purpose string) string {
	if k.empty() {
		return ""
	}
	m := hmac.New(sha256.New, []byte(*k.secret))
	m.Write([]byte(purpose))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// empty reports whether the key holds nothing, for config validation.
func (k APIKey) empty() bool { return k.secret == nil || *k.secret == "" }

// String returns "[redacted]".
func (k APIKey) String() string { return redacted }

// GoString returns a redacted Go-syntax form, for %#v.
func (k APIKey) GoString() string { return "keap.APIKey{" + redacted + "}" }

// Format prints "[redacted]" for every verb, so no verb (%x, %q, %d...)
// reaches the key.
func (k APIKey) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(k.GoString()))
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// MarshalJSON returns "[redacted]" as a JSON string.
func (k APIKey) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]", for encoders that prefer text.
func (k APIKey) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue returns "[redacted]", so slog never logs the key.
func (k APIKey) LogValue() slog.Value { return slog.StringValue(redacted) }
