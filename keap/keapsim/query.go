package keapsim

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// badRequest is a client error rendered as a 400 in the endpoint's error
// shape.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, args ...any) error { return &badRequest{msg: fmt.Sprintf(format, args...)} }

type eqCond struct {
	get      func(s *Server, r *rec) string
	val      string
	prefix   bool // trailing * : case-insensitive prefix match
	contains bool // case-insensitive substring match
	not      bool
}

// query is a parsed list request.
type query struct {
	updLo, updHi int64 // inclusive bounds on the update time
	creLo, creHi int64 // inclusive bounds on the creation time
	idLo, idHi   int64 // inclusive bounds on the id
	idNot        []int64
	ids          map[int64]bool // nil: any id
	eq           []eqCond

	order orderSpec
	desc  bool

	limit  int
	fields fieldMask

	// v2 continuation: after the record with this (key, id), or offset for
	// content-keyed orders. v1: offset.
	afterKey int64
	afterID  int64
	hasAfter bool
	offset   int
}

func newQuery() *query {
	return &query{
		updLo: math.MinInt64, updHi: math.MaxInt64,
		creLo: math.MinInt64, creHi: math.MaxInt64,
		idLo: math.MinInt64, idHi: math.MaxInt64,
	}
}

// parseTime accepts the full ISO-8601 date-times Keap requires, with
// fractional seconds ("2025-04-16T20:33:02.321Z"); a date alone or a time
// without milliseconds is rejected as Keap rejects it.
func parseTime(v string) (int64, error) {
	if !strings.Contains(v, ".") {
		return 0, badf("Invalid date format %q: expected ISO-8601 with milliseconds, e.g. 2025-04-16T20:33:02.321Z", v)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, badf("Invalid date format %q: expected ISO-8601 with milliseconds, e.g. 2025-04-16T20:33:02.321Z", v)
	}
	return t.UnixMilli(), nil
}

// parseV1Time is laxer: v1 examples show "2017-01-01T22:17:59.039Z".
func parseV1Time(v string) (int64, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, badf("Invalid date format %q", v)
}

var filterOps = []string{"==", "!=", ">=", "<=", ">", "<"}

// splitTerm splits "name<op>value" at its first operator.
func splitTerm(term string) (name, op, val string, ok bool) {
	best := -1
	for i := 0; i < len(term); i++ {
		c := term[i]
		if c == '=' || c == '!' || c == '<' || c == '>' {
			best = i
			break
		}
	}
	if best <= 0 {
		return "", "", "", false
	}
	for _, o := range filterOps {
		if strings.HasPrefix(term[best:], o) {
			return term[:best], o, term[best+len(o):], true
		}
	}
	return "", "", "", false
}

// parseFilter applies a v2 filter parameter to q.
func (q *query) parseFilter(d *streamDef, filter string) error {
	for _, term := range strings.Split(filter, ";") {
		if strings.TrimSpace(term) == "" {
			continue
		}
		name, op, val, ok := splitTerm(term)
		if !ok {
			return badf("Invalid filter %q: expected field==value", term)
		}
		switch {
		case hasKey(d.timeFilters, name):
			if op != "==" {
				return badf("Invalid filter operator %q for %s: only == is supported", op, name)
			}
			ms, err := parseTime(val)
			if err != nil {
				return err
			}
			q.applyTime(d.timeFilters[name], ms)
		case hasKey(d.idFilters, name):
			id, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return badf("Invalid value %q for %s: expected a number", val, name)
			}
			if err := q.applyID(op, id, d.idFilters[name]); err != nil {
				return err
			}
		case hasKey(d.listFilters, name):
			if op != "==" {
				return badf("Invalid filter operator %q for %s: only == is supported", op, name)
			}
			set := map[int64]bool{}
			for _, p := range strings.Split(val, ",") {
				id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
				if err != nil {
					return badf("Invalid value %q for %s: expected comma-separated numbers", val, name)
				}
				set[id] = true
			}
			if q.ids != nil {
				for id := range q.ids {
					if !set[id] {
						delete(q.ids, id)
					}
				}
			} else {
				q.ids = set
			}
		case d.anyValue[name]:
			if op != "==" {
				return badf("Invalid filter operator %q for %s: only == is supported", op, name)
			}
		case d.eqFilters[name] != nil:
			if op != "==" && op != "!=" {
				return badf("Invalid filter operator %q for %s: only == is supported", op, name)
			}
			c := eqCond{get: d.eqFilters[name], val: val, not: op == "!="}
			switch {
			case strings.HasSuffix(val, "*"):
				c.prefix, c.val = true, strings.ToLower(strings.TrimSuffix(val, "*"))
			case d.contains[name]:
				c.contains, c.val = true, strings.ToLower(val)
			}
			q.eq = append(q.eq, c)
		default:
			return badf("Invalid filter field %q", name)
		}
	}
	return nil
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

func (q *query) applyTime(f timeFilter, ms int64) {
	switch {
	case f.created && f.until:
		q.creHi = min(q.creHi, ms)
	case f.created:
		q.creLo = max(q.creLo, ms)
	case f.until:
		q.updHi = min(q.updHi, ms)
	default:
		q.updLo = max(q.updLo, ms)
	}
}

func (q *query) applyID(op string, id int64, allowNot bool) error {
	switch op {
	case "==":
		q.idLo, q.idHi = max(q.idLo, id), min(q.idHi, id)
	case ">":
		if id < math.MaxInt64 {
			q.idLo = max(q.idLo, id+1)
		} else {
			q.idLo = math.MaxInt64
			q.idHi = math.MinInt64
		}
	case ">=":
		q.idLo = max(q.idLo, id)
	case "<":
		if id == math.MinInt64 {
			q.idLo, q.idHi = math.MaxInt64, math.MinInt64 // nothing is below
		} else {
			q.idHi = min(q.idHi, id-1)
		}
	case "<=":
		q.idHi = min(q.idHi, id)
	case "!=":
		if !allowNot {
			return badf("Invalid filter operator %q", op)
		}
		q.idNot = append(q.idNot, id)
	}
	return nil
}

// parseOrderBy applies a v2 order_by ("update_time desc").
func (q *query) parseOrderBy(d *streamDef, v string) error {
	if v == "" {
		return nil
	}
	f := strings.Fields(v)
	if len(f) == 0 || len(f) > 2 {
		return badf("Invalid order_by %q: expected '<field> <asc|desc>'", v)
	}
	spec, ok := d.orders[f[0]]
	if !ok {
		return badf("Invalid order_by field %q", f[0])
	}
	q.order = spec
	q.order.name = f[0]
	if len(f) == 2 {
		switch strings.ToLower(f[1]) {
		case "asc":
		case "desc":
			q.desc = true
		default:
			return badf("Invalid order_by direction %q: expected asc or desc", f[1])
		}
	}
	return nil
}

// Page tokens are opaque: base64 of the last record's sort key and id, or
// of an offset for content-keyed orders.
func encodeToken(key, id int64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "k:%d:%d", key, id))
}

func encodeOffsetToken(off int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "o:%d", off))
}

func (q *query) parseToken(tok string) error {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return badf("Invalid page_token")
	}
	p := strings.Split(string(raw), ":")
	switch {
	case len(p) == 3 && p[0] == "k":
		k, err1 := strconv.ParseInt(p[1], 10, 64)
		id, err2 := strconv.ParseInt(p[2], 10, 64)
		if err1 != nil || err2 != nil {
			return badf("Invalid page_token")
		}
		q.afterKey, q.afterID, q.hasAfter = k, id, true
	case len(p) == 2 && p[0] == "o":
		off, err := strconv.Atoi(p[1])
		if err != nil || off < 0 {
			return badf("Invalid page_token")
		}
		q.offset = off
	default:
		return badf("Invalid page_token")
	}
	return nil
}

func (s *Server) match(q *query, r *rec) bool {
	if r.deleted || r.id < q.idLo || r.id > q.idHi ||
		r.updated < q.updLo || r.updated > q.updHi || r.created < q.creLo || r.created > q.creHi {
		return false
	}
	if q.ids != nil && !q.ids[r.id] {
		return false
	}
	for _, n := range q.idNot {
		if r.id == n {
			return false
		}
	}
	for _, c := range q.eq {
		v := c.get(s, r)
		var ok bool
		switch {
		case c.prefix:
			ok = strings.HasPrefix(strings.ToLower(v), c.val)
		case c.contains:
			ok = strings.Contains(strings.ToLower(v), c.val)
		default:
			ok = v == c.val
		}
		if ok == c.not {
			return false
		}
	}
	return true
}

// narrowLimit is the largest time range gathered from the update index
// before ordering: beyond it, scanning in order is cheaper.
const narrowLimit = 50_000

// candidates returns, in query order, the indexes of matching records when
// the time filter is narrow enough to gather them from the update index;
// ok is false when a scan in order is cheaper.
func (s *Server) candidates(t *table, q *query) (out []int32, ok bool) {
	if q.order.key != nil {
		// Content-keyed order: the table keeps the sorted order of its live
		// records until the next mutation; filter it.
		sorted := t.sortedBy(s, q.order)
		if q.desc {
			for p := len(sorted) - 1; p >= 0; p-- {
				if s.match(q, &t.recs[sorted[p]]) {
					out = append(out, sorted[p])
				}
			}
			return out, true
		}
		for _, i := range sorted {
			if s.match(q, &t.recs[i]) {
				out = append(out, i)
			}
		}
		return out, true
	}
	if q.order.byUpdate || (q.updLo == math.MinInt64 && q.updHi == math.MaxInt64) {
		return nil, false
	}
	lo := t.firstUpdatedAtLeast(q.updLo)
	hi := len(t.byUpdate)
	if q.updHi < math.MaxInt64 {
		hi = t.firstUpdatedAtLeast(q.updHi + 1)
	}
	if hi-lo > narrowLimit {
		return nil, false
	}
	for _, i := range t.byUpdate[lo:max(lo, hi)] {
		if s.match(q, &t.recs[i]) {
			out = append(out, i)
		}
	}
	slices.Sort(out) // recs index order is id order
	if q.desc {
		slices.Reverse(out)
	}
	return out, true
}

// iterate calls yield with the index of each matching record in query
// order, starting after the continuation point, until yield returns false.
func (s *Server) iterate(t *table, q *query, yield func(i int32) bool) {
	if list, ok := s.candidates(t, q); ok {
		start := 0
		if q.hasAfter {
			start = len(list)
			for p, i := range list {
				if q.after(t, i) {
					start = p
					break
				}
			}
		} else if q.order.key != nil {
			start = min(q.offset, len(list))
		}
		for _, i := range list[start:] {
			if !yield(i) {
				return
			}
		}
		return
	}
	if q.order.byUpdate {
		if !q.desc {
			p := t.firstUpdatedAtLeast(q.updLo)
			if q.hasAfter {
				p = max(p, t.firstAfterUpdate(q.afterKey, q.afterID))
			}
			for ; p < len(t.byUpdate); p++ {
				i := t.byUpdate[p]
				r := &t.recs[i]
				if r.updated > q.updHi {
					return
				}
				if s.match(q, r) && !yield(i) {
					return
				}
			}
			return
		}
		p := len(t.byUpdate) - 1
		if q.updHi < math.MaxInt64 {
			p = t.firstUpdatedAtLeast(q.updHi+1) - 1
		}
		if q.hasAfter {
			p = min(p, t.firstAfterUpdate(q.afterKey, q.afterID-1)-1)
		}
		for ; p >= 0; p-- {
			i := t.byUpdate[p]
			r := &t.recs[i]
			if r.updated < q.updLo {
				return
			}
			if s.match(q, r) && !yield(i) {
				return
			}
		}
		return
	}
	// Id order (also creation order).
	if !q.desc {
		lo := q.idLo
		if q.hasAfter && q.afterID >= lo {
			lo = q.afterID + 1
		}
		p, _ := t.find(lo)
		for ; p < len(t.recs); p++ {
			r := &t.recs[p]
			if r.id > q.idHi {
				return
			}
			if s.match(q, r) && !yield(int32(p)) {
				return
			}
		}
		return
	}
	hi := q.idHi
	if q.hasAfter && q.afterID <= hi {
		hi = q.afterID - 1
	}
	p, found := t.find(hi)
	if !found {
		p--
	}
	if hi == math.MaxInt64 {
		p = len(t.recs) - 1
	}
	for ; p >= 0; p-- {
		r := &t.recs[p]
		if r.id < q.idLo {
			return
		}
		if s.match(q, r) && !yield(int32(p)) {
			return
		}
	}
}

// after reports whether recs[i] comes after the continuation point.
func (q *query) after(t *table, i int32) bool {
	r := &t.recs[i]
	var c int
	if q.order.byUpdate {
		c = cmp.Compare(r.updated, q.afterKey)
		if c == 0 {
			c = cmp.Compare(r.id, q.afterID)
		}
	} else {
		c = cmp.Compare(r.id, q.afterID)
	}
	if q.desc {
		return c < 0
	}
	return c > 0
}

// firstAfterUpdate returns the first position in byUpdate after (ms, id).
func (t *table) firstAfterUpdate(ms, id int64) int {
	lo, hi := 0, len(t.byUpdate)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		r := &t.recs[t.byUpdate[m]]
		if r.updated > ms || (r.updated == ms && r.id > id) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// tokenFor returns the continuation token after recs[i].
func (q *query) tokenFor(t *table, i int32, served int) string {
	if q.order.key != nil {
		return encodeOffsetToken(q.offset + served)
	}
	r := &t.recs[i]
	if q.order.byUpdate {
		return encodeToken(r.updated, r.id)
	}
	return encodeToken(0, r.id)
}

func queryInt(v url.Values, name string) (int, bool, error) {
	s := v.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, badf("Invalid value %q for %s", s, name)
	}
	return n, true, nil
}
