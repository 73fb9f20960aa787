package keapsim

import (
	"maps"
	"slices"
)

// listDefs returns the definitions of every list endpoint. Each stream's
// records live in the table of the first definition with its name; a later
// definition of the same name (v1 contacts) serves the same records.
func listDefs() []*streamDef {
	return append(v2Defs(), v1Defs()...)
}

// modelEntities are the entities with custom-field model endpoints, served
// on both /v2/<entity>/model and /v1/<entity>/model.
var modelEntities = []string{"contacts", "companies", "opportunities", "orders", "notes", "tasks", "subscriptions", "affiliates"}

// generate builds the synthetic tenant and the routes.
func (s *Server) generate() {
	now := s.start.UnixMilli()
	s.tables = map[string]*table{}
	s.routes = map[string]route{}
	defs := listDefs()
	for _, d := range defs {
		if _, ok := s.tables[d.name]; !ok {
			s.tables[d.name] = s.generateTable(d, now)
		}
	}
	for _, d := range defs {
		s.routes[d.path] = route{kind: routeList, def: d, table: d.name, v1: d.v1}
	}
	for _, e := range modelEntities {
		s.routes["/v2/"+e+"/model"] = route{kind: routeModel, entity: e}
		s.routes["/v1/"+e+"/model"] = route{kind: routeModel, entity: e, v1: true}
	}
}

const dayMs = 86_400_000

// generateTable creates a stream's records: creation times spread over the
// stream's history (with bulk imports sharing one instant), update times
// between creation and now, many of them never updated and some updated in
// batches that share the same instant.
func (s *Server) generateTable(d *streamDef, now int64) *table {
	n := d.scale(s.opts.Contacts)
	t := &table{def: d, recs: make([]rec, n), genCount: n}
	span := int64(d.spanDays) * dayMs
	begin := now - span
	for i := range t.recs {
		id := d.genID(i)
		rn := newRnd(s.opts.Seed, d.salt^0x7ab1e, id, 0)
		block := i / 50
		created := begin + int64(i)*span/int64(max(n, 1))
		if hb := newRnd(s.opts.Seed, d.salt, int64(block), 1); hb.pct(10) {
			created = begin + int64(block*50)*span/int64(max(n, 1)) // a bulk import
		}
		updated := created
		switch x := rn.n(100); {
		case d.appendOnly:
			// history: never changed after creation
		case x < 30:
			// never updated since creation
		case x < 40:
			// a batch update: everything touched by it shares the instant
			u := created + int64(rn.next()%uint64(max(now-created, 1)))
			updated = max(created, u-u%3_600_000)
		default:
			updated = created + int64(rn.next()%uint64(max(now-created, 1)))
		}
		if d.updateWithinDays > 0 && updated > created {
			updated = created + (updated-created)%(int64(d.updateWithinDays)*dayMs)
		}
		t.recs[i] = rec{id: id, created: created, updated: min(updated, now)}
	}
	t.buildUpdateIndex()
	return t
}

// sortedNames returns the names of the stream tables, sorted.
func (s *Server) sortedNames() []string { return slices.Sorted(maps.Keys(s.tables)) }

// Endpoints returns every path the simulator serves below URL, sorted
// ("/v1/contacts", "/v2/contacts/model", ...).
func (s *Server) Endpoints() []string { return slices.Sorted(maps.Keys(s.routes)) }
