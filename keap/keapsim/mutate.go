package keapsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// ErrUnknownStream is returned for a stream name the simulator does not
// serve.
var ErrUnknownStream = errors.New("keapsim: unknown stream")

// ErrNoRecord is returned when a record does not exist or was deleted.
var ErrNoRecord = errors.New("keapsim: no such record")

// ErrAppendOnly is returned for an update or delete of a record of a
// history stream (stage moves), which Keap never changes.
var ErrAppendOnly = errors.New("keapsim: the stream is append-only")

// Op is a kind of change to a record.
type Op string

// The changes the mutation API makes.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// Mutation is one change made to the tenant.
type Mutation struct {
	Stream string    `json:"stream"`
	Op     Op        `json:"op"`
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
}

// Streams returns the names of the streams the simulator holds (the names
// of keapsync's catalogue: "contacts", "companies", "payments", ...).
func (s *Server) Streams() []string { return s.sortedNames() }

func (s *Server) mutableTable(stream string) (*table, error) {
	t := s.tables[stream]
	if t == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownStream, stream)
	}
	return t, nil
}

// Create adds a record to stream, created and updated now, and returns its
// id: the next id after the largest ever given, as Keap's auto-increment
// ids are.
func (s *Server) Create(stream string) (int64, error) {
	now := s.opts.Now().UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mutableTable(stream)
	if err != nil {
		return 0, err
	}
	id := t.def.firstID
	created := now
	if n := len(t.recs); n > 0 {
		last := t.recs[n-1]
		id = last.id + 1
		// Creation order stays id order even if the clock steps back.
		created = max(now, last.created)
	}
	t.recs = append(t.recs, rec{id: id, created: created, updated: created})
	t.index(len(t.recs) - 1)
	t.live++
	t.gen++
	s.countMutation()
	return id, nil
}

// Update changes a record's content (its version) and sets its update time
// to now. Several updates within the same second, or the same
// millisecond, keep the same update time, as they do at Keap.
func (s *Server) Update(stream string, id int64) error {
	now := s.opts.Now().UnixMilli()
	return s.change(stream, id, func(t *table, i int) {
		r := &t.recs[i]
		r.version++
		r.updated = max(now, r.created)
		t.index(i)
	})
}

// Delete removes a record. Like Keap, lists simply stop returning it: there
// is no feed of deletes.
func (s *Server) Delete(stream string, id int64) error {
	return s.change(stream, id, func(t *table, i int) {
		t.recs[i].deleted = true
		t.live--
	})
}

// change applies fn to a live record, taken out of the update index (fn
// puts it back if it stays live), and counts the mutation.
func (s *Server) change(stream string, id int64, fn func(t *table, i int)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mutableTable(stream)
	if err != nil {
		return err
	}
	if t.def.appendOnly {
		return fmt.Errorf("%w: %s", ErrAppendOnly, stream)
	}
	i, ok := t.find(id)
	if !ok || t.recs[i].deleted {
		return fmt.Errorf("%w: %s %d", ErrNoRecord, stream, id)
	}
	t.unindex(i)
	fn(t, i)
	t.gen++
	s.countMutation()
	return nil
}

func (s *Server) countMutation() {
	s.qmu.Lock()
	s.quota.stats.Mutations++
	s.qmu.Unlock()
}

// Churn makes n random changes across the streams with records (70%
// updates, 20% creates, 10% deletes; only creates in an append-only
// stream, and changes of recent records only where records change only
// while recent), drawn from rng, and returns them.
// Streams are weighted by size, so contacts change most.
func (s *Server) Churn(rng *rand.Rand, n int) ([]Mutation, error) {
	out := make([]Mutation, 0, n)
	for range n {
		m, err := s.churnOne(rng)
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Server) churnOne(rng *rand.Rand) (Mutation, error) {
	s.mu.RLock()
	names := s.sortedNames()
	total := 0
	for _, n := range names {
		total += s.tables[n].live + 1
	}
	k := rng.IntN(total)
	var stream string
	for _, n := range names {
		k -= s.tables[n].live + 1
		if k < 0 {
			stream = n
			break
		}
	}
	t := s.tables[stream]
	var id int64
	if t.live > 0 {
		id = t.recs[t.byUpdate[rng.IntN(len(t.byUpdate))]].id
	}
	if w := t.def.updateWithinDays; w > 0 && id != 0 {
		// Only a recent record changes (an email is opened within days of
		// sending); with none, a new one is made.
		recent := s.opts.Now().UnixMilli() - int64(w)*dayMs
		from := sort.Search(len(t.recs), func(i int) bool { return t.recs[i].created >= recent })
		id = 0
		if from < len(t.recs) {
			if r := t.recs[from+rng.IntN(len(t.recs)-from)]; !r.deleted {
				id = r.id
			}
		}
	}
	s.mu.RUnlock()

	m := Mutation{Stream: stream, ID: id, At: s.opts.Now()}
	var err error
	switch p := rng.IntN(100); {
	case id == 0 || p < 20 || t.def.appendOnly:
		m.Op = OpCreate
		m.ID, err = s.Create(stream)
	case p < 90:
		m.Op = OpUpdate
		err = s.Update(stream, id)
	default:
		m.Op = OpDelete
		err = s.Delete(stream, id)
	}
	if errors.Is(err, ErrNoRecord) {
		// Raced with another mutation of the same record: make it an update
		// of a fresh record instead.
		m.Op = OpCreate
		m.ID, err = s.Create(stream)
	}
	return m, err
}

// TruthRecord is one live record as the API would return it.
type TruthRecord struct {
	ID      int64           `json:"id"`
	Updated time.Time       `json:"updated"`
	Created time.Time       `json:"created"`
	Version uint32          `json:"version"`
	Raw     json.RawMessage `json:"record"`
}

// Truth is a snapshot of every stream's live records, by stream name, in
// id order, each rendered with every property the simulator serves (all
// optional fields requested).
type Truth map[string][]TruthRecord

// Truth snapshots every stream. For large tenants prefer Records, one
// stream at a time.
func (s *Server) Truth() Truth {
	t := Truth{}
	for _, n := range s.Streams() {
		recs, err := s.Records(n, nil)
		if err != nil {
			panic(err) // the names come from the tables themselves
		}
		t[n] = recs
	}
	return t
}

// Records returns the live records of a stream in id order, rendered as a
// list request with fields (v2; optional_properties on v1 streams) would
// return them; nil fields means every optional property.
func (s *Server) Records(stream string, fields []string) ([]TruthRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.mutableTable(stream)
	if err != nil {
		return nil, err
	}
	d := t.def
	mask := d.all()
	if fields != nil {
		var bad string
		if mask, bad = d.fieldsMask(strings.Join(fields, ",")); bad != "" {
			return nil, fmt.Errorf("keapsim: records of %s: unknown field %q", stream, bad)
		}
	}
	out := make([]TruthRecord, 0, t.live)
	for i := range t.recs {
		r := &t.recs[i]
		if r.deleted {
			continue
		}
		var o obj
		o.begin(nil)
		d.render(s, &o, r, mask)
		rendered := o.end()
		if raw, ok := s.raw[stream][r.id]; ok {
			rendered = append([]byte(nil), raw...)
		}
		out = append(out, TruthRecord{
			ID: r.id, Version: r.version,
			Updated: time.UnixMilli(r.updated).UTC(), Created: time.UnixMilli(r.created).UTC(),
			Raw: rendered,
		})
	}
	return out, nil
}

// SetRaw makes the record id of stream render as raw, byte for byte, in
// every list (v1 and v2) and in Records, whatever fields are asked: hostile
// or malformed content for tests (NUL bytes, invalid UTF-8, huge numbers,
// deep nesting). The record keeps its place in filters and orders. Nil raw
// restores the generated rendering.
func (s *Server) SetRaw(stream string, id int64, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.mutableTable(stream)
	if err != nil {
		return err
	}
	if i, ok := t.find(id); !ok || t.recs[i].deleted {
		return fmt.Errorf("%w: %s %d", ErrNoRecord, stream, id)
	}
	if raw == nil {
		delete(s.raw[stream], id)
		return nil
	}
	if s.raw == nil {
		s.raw = map[string]map[int64][]byte{}
	}
	if s.raw[stream] == nil {
		s.raw[stream] = map[int64][]byte{}
	}
	s.raw[stream][id] = append([]byte(nil), raw...)
	return nil
}

// Live returns the number of live records of a stream.
func (s *Server) Live(stream string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.mutableTable(stream)
	if err != nil {
		return 0, err
	}
	return t.live, nil
}
