package keapsim

import (
	"encoding/json"
	"net/http"
)

// serveSim serves the control API under /_sim/: no API key, counts
// nothing.
func (s *Server) serveSim(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_sim/stats" && r.Method == http.MethodGet:
		writeSimJSON(w, http.StatusOK, s.Stats())
	default:
		writeSimJSON(w, http.StatusNotFound, map[string]string{"error": "no such simulator endpoint"})
	}
}

func writeSimJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
