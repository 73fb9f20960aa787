package keapsim

import (
	"cmp"
	"slices"
	"sort"
	"sync"
)

type cachedOrder struct {
	gen  uint64
	list []int32 // indexes of live records in ascending key order (ties by id)
}

// sortedBy returns the live records in the content-keyed order o,
// ascending. Called with the table at least read-locked.
func (t *table) sortedBy(s *Server, o orderSpec) []int32 {
	t.ordersMu.Lock()
	defer t.ordersMu.Unlock()
	if c, ok := t.orders[o.name]; ok && c.gen == t.gen {
		return c.list
	}
	type keyed struct {
		i   int32
		key string
	}
	ks := make([]keyed, 0, t.live)
	for i := range t.recs {
		if !t.recs[i].deleted {
			ks = append(ks, keyed{int32(i), o.key(s, &t.recs[i])})
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i) // recs index order is id order
	})
	list := make([]int32, len(ks))
	for p, k := range ks {
		list[p] = k.i
	}
	if t.orders == nil {
		t.orders = map[string]cachedOrder{}
	}
	t.orders[o.name] = cachedOrder{gen: t.gen, list: list}
	return list
}

// rec is everything the simulator stores per record: 32 bytes. The
// record's content is derived on demand from (seed, stream, id, version), so
// a million contacts cost tens of megabytes, not gigabytes.
type rec struct {
	id      int64
	created int64 // unix milliseconds
	updated int64 // unix milliseconds
	version uint32
	deleted bool
}

// table holds one stream's records.
//
// Invariants: recs is sorted by id, and created is non-decreasing in id
// (new records get the later of now and the newest creation time), so
// create-time order is id order. byUpdate holds the index in recs of every
// live record, sorted by (updated, id).
type table struct {
	def      *streamDef
	recs     []rec
	byUpdate []int32
	live     int
	// gen counts mutations; it invalidates orders.
	gen uint64
	// orders caches content-keyed orders (by email, by name) of the live
	// records, computed once per mutation generation. Guarded by ordersMu,
	// since readers share the table lock.
	ordersMu sync.Mutex
	orders   map[string]cachedOrder
	// genCount is the number of generated records; references from other
	// streams pick among the first genCount ids, which need no lookup.
	genCount int
}

// genID is the id of the i-th generated record: increasing, with gaps, as
// real ids are after years of deletes.
func (d *streamDef) genID(i int) int64 { return d.firstID + int64(i) + int64(i/7) }

func updateLess(t *table) func(a, b int32) int {
	return func(a, b int32) int {
		ra, rb := &t.recs[a], &t.recs[b]
		if c := cmp.Compare(ra.updated, rb.updated); c != 0 {
			return c
		}
		return cmp.Compare(ra.id, rb.id)
	}
}

func (t *table) buildUpdateIndex() {
	t.byUpdate = t.byUpdate[:0]
	for i := range t.recs {
		if !t.recs[i].deleted {
			t.byUpdate = append(t.byUpdate, int32(i))
		}
	}
	slices.SortFunc(t.byUpdate, updateLess(t))
	t.live = len(t.byUpdate)
}

// find returns the index of id in recs.
func (t *table) find(id int64) (int, bool) {
	i := sort.Search(len(t.recs), func(i int) bool { return t.recs[i].id >= id })
	return i, i < len(t.recs) && t.recs[i].id == id
}

// updatePos returns the position of recs[i] in byUpdate.
func (t *table) updatePos(i int) int {
	r := t.recs[i]
	p := sort.Search(len(t.byUpdate), func(p int) bool {
		q := &t.recs[t.byUpdate[p]]
		return q.updated > r.updated || (q.updated == r.updated && q.id >= r.id)
	})
	return p
}

func (t *table) unindex(i int) {
	p := t.updatePos(i)
	if p < len(t.byUpdate) && int(t.byUpdate[p]) == i {
		t.byUpdate = slices.Delete(t.byUpdate, p, p+1)
	}
}

func (t *table) index(i int) {
	p := t.updatePos(i)
	t.byUpdate = slices.Insert(t.byUpdate, p, int32(i))
}

// firstUpdatedAtLeast returns the first position in byUpdate whose record
// was updated at or after ms.
func (t *table) firstUpdatedAtLeast(ms int64) int {
	return sort.Search(len(t.byUpdate), func(p int) bool { return t.recs[t.byUpdate[p]].updated >= ms })
}
