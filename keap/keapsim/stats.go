package keapsim

import "time"

// Stats is a snapshot of the simulator's accounting of API requests (the
// /_sim control endpoints are not counted).
type Stats struct {
	// Requests is every API request received, accepted or not.
	Requests int64 `json:"requests"`
	// Accepted is every request the quotas let through (and counted).
	Accepted int64 `json:"accepted"`
	// Rejected is every 429; the Rejected* fields split it by cause.
	Rejected       int64 `json:"rejected"`
	RejectedSpike  int64 `json:"rejected_spike"`
	RejectedMinute int64 `json:"rejected_minute"`
	RejectedTenant int64 `json:"rejected_tenant"`
	RejectedDay    int64 `json:"rejected_day"`
	// PeakSecond is the most requests accepted in any Second-long window.
	PeakSecond int64 `json:"peak_second"`
	// PeakMinute is the most requests accepted in any rolling Minute.
	PeakMinute int64 `json:"peak_minute"`
	// Unauthorized counts 401s (missing or unknown key).
	Unauthorized int64 `json:"unauthorized"`
	// BadRequests counts 400s (invalid parameters, GET with a body).
	BadRequests int64 `json:"bad_requests"`
	// NotFound counts 404s (unknown paths).
	NotFound int64 `json:"not_found"`
	// Faults counts injected faults.
	Faults int64 `json:"faults"`
	// DayUsed is the daily quota used so far in the current day, and
	// DayResetAt when it resets.
	DayUsed    int64     `json:"day_used"`
	DayResetAt time.Time `json:"day_reset_at"`
	// Mutations counts records created, updated and deleted through the
	// mutation API.
	Mutations int64 `json:"mutations"`
}

// Arrivals returns when each accepted request arrived, in order (the first
// million): what a test of pacing measures, timestamped by the simulator
// as Keap's gateway would, not by the process under test.
func (s *Server) Arrivals() []time.Time {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return append([]time.Time(nil), s.quota.arrivals...)
}

// Stats returns a snapshot of the accounting.
func (s *Server) Stats() Stats {
	now := s.opts.Now()
	s.qmu.Lock()
	defer s.qmu.Unlock()
	s.quota.roll(now)
	st := s.quota.stats
	st.DayUsed = int64(s.quota.dayUsed)
	st.DayResetAt = s.quota.dayReset.UTC()
	return st
}
