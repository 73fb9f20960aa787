package keap

import (
	"errors"
	"testing"
	"time"
)

func TestParseTime_EveryKeapFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-11-20T18:34:12.000+0000", time.Date(2024, 11, 20, 18, 34, 12, 0, time.UTC)},
		{"2024-11-20T18:34:12.123+0000", time.Date(2024, 11, 20, 18, 34, 12, 123e6, time.UTC)},
		{"2024-11-20T18:34:12+0000", time.Date(2024, 11, 20, 18, 34, 12, 0, time.UTC)},
		{"2024-11-20T13:34:12.000-0500", time.Date(2024, 11, 20, 18, 34, 12, 0, time.UTC)},
		{"2017-04-24T17:26:26Z", time.Date(2017, 4, 24, 17, 26, 26, 0, time.UTC)},
		{"2025-04-16T20:33:02.321Z", time.Date(2025, 4, 16, 20, 33, 2, 321e6, time.UTC)},
		{"2025-04-16T20:33:02.321456Z", time.Date(2025, 4, 16, 20, 33, 2, 321456e3, time.UTC)},
		{"2025-04-16T22:33:02+02:00", time.Date(2025, 4, 16, 20, 33, 2, 0, time.UTC)},
		{"2025-04-16T22:33:02.500+02:00", time.Date(2025, 4, 16, 20, 33, 2, 500e6, time.UTC)},
		{"2025-04-16T20:33:02", time.Date(2025, 4, 16, 20, 33, 2, 0, time.UTC)},
		{"2025-04-16 20:33:02", time.Date(2025, 4, 16, 20, 33, 2, 0, time.UTC)},
		{"2025-04-16", time.Date(2025, 4, 16, 0, 0, 0, 0, time.UTC)},
		{" 2017-04-24T17:26:26Z ", time.Date(2017, 4, 24, 17, 26, 26, 0, time.UTC)},
		{"1732127652123", time.Date(2024, 11, 20, 18, 34, 12, 123e6, time.UTC)}, // last_updated_utc_millis
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, want %v in UTC", tt.in, got, tt.want)
		}
	}
}

func TestParseTime_RejectsGarbageWithTypedError(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "   ", "yesterday", "2024-13-40T99:99:99Z", "2024-11-20T18:34:12.000+00", "12345678901234567890", "2024/11/20"} {
		if _, err := ParseTime(in); !errors.Is(err, ErrBadTime) {
			t.Errorf("ParseTime(%q) error = %v, want ErrBadTime", in, err)
		}
	}
}

func TestFormatFilterTime_MillisecondsAndZ(t *testing.T) {
	t.Parallel()
	in := time.Date(2025, 4, 16, 22, 33, 2, 321_999_000, time.FixedZone("x", 2*3600))
	if got, want := FormatFilterTime(in), "2025-04-16T20:33:02.321Z"; got != want {
		t.Errorf("FormatFilterTime = %q, want %q", got, want)
	}
	if got, want := FormatFilterTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)), "2025-01-02T03:04:05.000Z"; got != want {
		t.Errorf("FormatFilterTime = %q, want %q", got, want)
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2024-11-20T18:34:12.000+0000", "2017-04-24T17:26:26Z", "2025-04-16T20:33:02.321Z",
		"2025-04-16T22:33:02+02:00", "1732127652123", "2025-04-16", "", "9999-12-31T23:59:59.999999999-2359",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			if !errors.Is(err, ErrBadTime) {
				t.Fatalf("ParseTime(%q) error %v does not wrap ErrBadTime", s, err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) not in UTC", s)
		}
		// Whatever parses must survive our own round trip.
		again, err := ParseTime(got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
