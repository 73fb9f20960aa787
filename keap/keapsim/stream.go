package keapsim

import (
	"strings"
)

// fieldMask selects properties of a record by their index in
// streamDef.props.
type fieldMask uint64

func (m fieldMask) has(i int) bool { return m&(1<<uint(i)) != 0 }

// timeFilter says which stored time a time filter bounds.
type timeFilter struct {
	created bool // bounds the creation time; else the update time
	until   bool // upper bound; else lower bound (both inclusive)
}

// orderSpec is one order_by field.
type orderSpec struct {
	byUpdate bool
	// key, when set, orders by a value derived from the content (names,
	// e-mails); nil with byUpdate false orders by id, which is also creation
	// order.
	key func(s *Server, r *rec) string
	// name identifies a content-keyed order in the table's cache.
	name string
	// newestFirst orders descending unless asked otherwise (v1 orders'
	// dates: "ordered by most recent at the top").
	newestFirst bool
}

// streamDef describes one list endpoint: how its records are generated,
// filtered, ordered and rendered.
type streamDef struct {
	name    string // the stream name used by the mutation API and Truth
	path    string // "/v2/contacts"
	key     string // envelope key of the records
	v1      bool
	maxPage int
	minPage int // the smallest page_size accepted (users: 1; others 0, meaning the default)
	salt    uint64
	firstID int64
	scale   func(contacts int) int
	// spanDays is how far back the generated history reaches.
	spanDays int

	timeFilters map[string]timeFilter
	idFilters   map[string]bool // comparison filters on the id; true when != is allowed too
	listFilters map[string]bool // "ids==1,2,3" filters on the id
	eqFilters   map[string]func(s *Server, r *rec) string
	// contains marks equality filters whose bare value matches anywhere in
	// the field (case-insensitive); a trailing * still means "starts with".
	contains map[string]bool
	// anyValue marks filters Keap accepts that do not narrow the
	// simulator's data (users' include_inactive: every user is listed).
	anyValue map[string]bool
	orders   map[string]orderSpec

	props      []string
	defaults   fieldMask
	projection bool      // fields= names exactly the properties to render (contacts, companies)
	optional   fieldMask // properties fields= may add (when !projection)
	render     func(s *Server, o *obj, r *rec, f fieldMask)

	// v1 query parameters for order (v1 streams only): order names mapped
	// like orders.
	v1Orders map[string]orderSpec

	// appendOnly marks history (stage moves): records are created, never
	// updated or deleted.
	appendOnly bool
	// updateWithinDays, when set, bounds when a record changes: within so
	// many days of its creation (an email's opens and clicks), in the
	// generated history and in churn.
	updateWithinDays int
}

func (d *streamDef) mask(names ...string) fieldMask {
	var m fieldMask
	for _, n := range names {
		i := d.propIndex(n)
		if i < 0 {
			panic("keapsim: unknown property " + n + " of " + d.name)
		}
		m |= 1 << uint(i)
	}
	return m
}

func (d *streamDef) propIndex(n string) int {
	for i, p := range d.props {
		if p == n {
			return i
		}
	}
	return -1
}

func (d *streamDef) all() fieldMask { return fieldMask(1)<<uint(len(d.props)) - 1 }

// fieldsMask turns a fields parameter into a mask, or reports the first
// unknown name.
func (d *streamDef) fieldsMask(param string) (fieldMask, string) {
	if param == "" {
		return d.defaults, ""
	}
	var m fieldMask
	for _, n := range strings.Split(param, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		i := d.propIndex(n)
		if i < 0 || (!d.projection && d.optional&(1<<uint(i)) == 0) {
			return 0, n
		}
		m |= 1 << uint(i)
	}
	if d.projection {
		// The id always comes back: a reconciliation lists ids with fields=id.
		return m | d.mask("id"), ""
	}
	return d.defaults | m, ""
}

func propsOf(names string) []string { return strings.Fields(names) }

func tf(created, until bool) timeFilter { return timeFilter{created: created, until: until} }
