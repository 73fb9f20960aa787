package keap

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are every timestamp shape Keap sends. When parsing, Go accepts
// a fractional second after the seconds even when the layout has none, so
// each layout covers both "...:12Z" and "...:12.000Z".
var timeLayouts = []string{
	"2006-01-02T15:04:05Z07:00", // v2: 2017-04-24T17:26:26Z, also +00:00 offsets
	"2006-01-02T15:04:05Z0700",  // v1: 2024-11-20T18:34:12.000+0000
	"2006-01-02T15:04:05",       // no zone: Keap means UTC
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// ErrBadTime is wrapped by ParseTime's errors.
var ErrBadTime = errors.New("unrecognised Keap timestamp")

// ParseTime parses a timestamp in any format Keap uses: ISO-8601 with "Z",
// "+00:00" or "+0000" offsets, with or without fractional seconds, without a
// zone (read as UTC), a bare date, or epoch milliseconds
// (last_updated_utc_millis). The result is in UTC.
func ParseTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return time.Time{}, fmt.Errorf("%w: empty", ErrBadTime)
	}
	if isDigits(v) {
		if len(v) > 15 {
			return time.Time{}, fmt.Errorf("%w: epoch milliseconds out of range", ErrBadTime)
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %q", ErrBadTime, clip(v, 40))
		}
		return inRange(time.UnixMilli(ms).UTC())
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return inRange(t.UTC())
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q", ErrBadTime, clip(v, 40))
}

// inRange rejects times whose UTC year has not four digits: an offset can
// push 9999-12-31 into year 10000, which no ISO-8601 consumer reads back.
func inRange(t time.Time) (time.Time, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("%w: year %d out of range", ErrBadTime, y)
	}
	return t, nil
}

// FormatFilterTime formats t the way Keap's filters and since/until
// parameters want it: full ISO-8601 in UTC with milliseconds and "Z"
// (2025-04-16T20:33:02.321Z).
func FormatFilterTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
