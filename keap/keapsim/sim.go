package keapsim

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveSim serves the control API under /_sim/. It needs no API key and
// counts nothing, so a test or the demo can drive and watch the simulator
// without disturbing the quotas it measures:
//
//	GET    /_sim/stats                       Stats as JSON
//	GET    /_sim/arrivals                    when each accepted request arrived: [time...]
//	POST   /_sim/records/{stream}            create a record: {"id":..}
//	PATCH  /_sim/records/{stream}/{id}       update a record
//	DELETE /_sim/records/{stream}/{id}       delete a record
//	POST   /_sim/churn?n=N&seed=S            N random changes: [Mutation...]
//	GET    /_sim/truth/{stream}[?fields=a,b] live records: [TruthRecord...], rendered
//	                                         as a list asking for fields would (absent:
//	                                         every optional property; empty: none)
//	POST   /_sim/faults                      add a fault: {"kind","probability","request","path_prefix","delay_ms"}
//	DELETE /_sim/faults                      remove every fault
func (s *Server) serveSim(w http.ResponseWriter, r *http.Request) {
	p := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/_sim/"), "/"), "/")
	switch {
	case len(p) == 1 && p[0] == "stats" && r.Method == http.MethodGet:
		writeSimJSON(w, http.StatusOK, s.Stats())
	case len(p) == 1 && p[0] == "arrivals" && r.Method == http.MethodGet:
		writeSimJSON(w, http.StatusOK, s.Arrivals())
	case len(p) == 2 && p[0] == "records" && r.Method == http.MethodPost:
		id, err := s.Create(p[1])
		s.simResult(w, map[string]int64{"id": id}, err)
	case len(p) == 3 && p[0] == "records" && (r.Method == http.MethodPatch || r.Method == http.MethodDelete):
		id, err := strconv.ParseInt(p[2], 10, 64)
		if err != nil {
			writeSimJSON(w, http.StatusBadRequest, simError("id is not a number"))
			return
		}
		if r.Method == http.MethodPatch {
			err = s.Update(p[1], id)
		} else {
			err = s.Delete(p[1], id)
		}
		s.simResult(w, map[string]int64{"id": id}, err)
	case len(p) == 1 && p[0] == "churn" && r.Method == http.MethodPost:
		n, err1 := strconv.Atoi(r.URL.Query().Get("n"))
		seed, err2 := strconv.ParseUint(r.URL.Query().Get("seed"), 10, 64)
		if err1 != nil || n < 0 || n > 1_000_000 || (err2 != nil && r.URL.Query().Get("seed") != "") {
			writeSimJSON(w, http.StatusBadRequest, simError("n must be 0..1000000 and seed a number"))
			return
		}
		if r.URL.Query().Get("seed") == "" {
			seed = uint64(time.Now().UnixNano())
		}
		ms, err := s.Churn(rand.New(rand.NewPCG(seed, 1)), n)
		s.simResult(w, ms, err)
	case len(p) == 2 && p[0] == "truth" && r.Method == http.MethodGet:
		var fields []string
		if q := r.URL.Query(); q.Has("fields") {
			fields = []string{}
			for _, f := range strings.Split(q.Get("fields"), ",") {
				if f != "" {
					fields = append(fields, f)
				}
			}
		}
		recs, err := s.Records(p[1], fields)
		s.simResult(w, recs, err)
	case len(p) == 1 && p[0] == "faults" && r.Method == http.MethodPost:
		var in struct {
			Kind        FaultKind `json:"kind"`
			Probability float64   `json:"probability"`
			Request     int64     `json:"request"`
			PathPrefix  string    `json:"path_prefix"`
			Path        string    `json:"path"`
			DelayMS     int64     `json:"delay_ms"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil {
			writeSimJSON(w, http.StatusBadRequest, simError("body must be a JSON fault"))
			return
		}
		err := s.AddFault(Fault{Kind: in.Kind, Probability: in.Probability, Request: in.Request,
			PathPrefix: in.PathPrefix, Path: in.Path, Delay: time.Duration(in.DelayMS) * time.Millisecond})
		s.simResult(w, in, err)
	case len(p) == 1 && p[0] == "faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		writeSimJSON(w, http.StatusOK, map[string]bool{"cleared": true})
	default:
		writeSimJSON(w, http.StatusNotFound, simError("no such simulator endpoint"))
	}
}

func simError(msg string) map[string]string { return map[string]string{"error": msg} }

func (s *Server) simResult(w http.ResponseWriter, v any, err error) {
	switch {
	case err == nil:
		writeSimJSON(w, http.StatusOK, v)
	case errors.Is(err, ErrUnknownStream), errors.Is(err, ErrNoRecord):
		writeSimJSON(w, http.StatusNotFound, simError(err.Error()))
	default:
		writeSimJSON(w, http.StatusBadRequest, simError(err.Error()))
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
