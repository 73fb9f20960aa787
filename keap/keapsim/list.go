package keapsim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// listV2 renders one page of a v2 list: {"<key>":[...],"next_page_token":"..."}.
func (s *Server) listV2(r *http.Request, b []byte, rt route) ([]byte, error) {
	d := rt.def
	v := r.URL.Query()
	q := newQuery()
	size, set, err := queryInt(v, "page_size")
	if err != nil {
		return nil, err
	}
	switch {
	case set && (size < d.minPage || size > d.maxPage):
		return nil, badf("Invalid page_size %d: must be between %d and %d", size, d.minPage, d.maxPage)
	case !set || size == 0:
		// Keap's default page size is undocumented; the cap is as good a guess.
		size = d.maxPage
	}
	q.limit = size
	if err := q.parseFilter(d, v.Get("filter")); err != nil {
		return nil, err
	}
	if err := q.parseOrderBy(d, v.Get("order_by")); err != nil {
		return nil, err
	}
	if tok := v.Get("page_token"); tok != "" {
		if err := q.parseToken(tok); err != nil {
			return nil, err
		}
	}
	// fields is an array parameter: accept both fields=a,b and fields=a&fields=b.
	fields, bad := d.fieldsMask(strings.Join(v["fields"], ","))
	if bad != "" {
		return nil, badf("Invalid field %q", bad)
	}
	q.fields = fields

	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[rt.table]
	b = beginList(b, d.key)
	n := 0
	var last int32 = -1
	more := false
	var o obj // one for the page: a per-record obj would escape to the heap
	s.iterate(t, q, func(i int32) bool {
		if n == q.limit {
			more = true
			return false
		}
		b = s.appendRecord(b, &o, d, &t.recs[i], q.fields, n)
		last = i
		n++
		return true
	})
	b = append(b, `],"next_page_token":`...)
	if more && last >= 0 {
		b = appendString(b, q.tokenFor(t, last, n))
	} else {
		b = append(b, `""`...)
	}
	return append(b, '}'), nil
}

// listV1 renders one page of a v1 list: {"<key>":[...],"count":N,"next":url,"previous":url}.
// count is the total number of matches; next is present even past the end,
// and, as recorded from real responses, keeps only limit, offset, since and
// order, dropping other parameters.
func (s *Server) listV1(r *http.Request, b []byte, rt route) ([]byte, error) {
	d := rt.def
	v := r.URL.Query()
	q := newQuery()
	limit, set, err := queryInt(v, "limit")
	if err != nil {
		return nil, err
	}
	if !set || limit <= 0 || limit > d.maxPage {
		limit = d.maxPage
	}
	offset, _, err := queryInt(v, "offset")
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, badf("Invalid offset %d", offset)
	}
	for name, f := range d.timeFilters {
		if val := v.Get(name); val != "" {
			ms, err := parseV1Time(val)
			if err != nil {
				return nil, err
			}
			q.applyTime(f, ms)
		}
	}
	for name, get := range d.eqFilters {
		if val := v.Get(name); val != "" && !d.anyValue[name] {
			c := eqCond{get: get, val: val}
			if d.contains[name] {
				c.contains, c.val = true, strings.ToLower(val)
			}
			q.eq = append(q.eq, c)
		}
	}
	if o := v.Get("order"); o != "" {
		spec, ok := d.v1Orders[o]
		if !ok {
			return nil, badf("Invalid order %q", o)
		}
		q.order = spec
		q.order.name = "v1:" + o
		q.desc = spec.newestFirst
	}
	switch strings.ToUpper(v.Get("order_direction")) {
	case "":
	case "ASCENDING":
		q.desc = false
	case "DESCENDING":
		q.desc = true
	default:
		return nil, badf("Invalid order_direction %q", v.Get("order_direction"))
	}
	fields, bad := d.fieldsMask(strings.Join(v["optional_properties"], ","))
	if bad != "" {
		return nil, badf("Invalid optional property %q", bad)
	}
	q.fields = fields

	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[rt.table]
	b = beginList(b, d.key)
	n, count := 0, 0
	var o obj
	s.iterate(t, q, func(i int32) bool {
		count++
		if count <= offset || n >= limit {
			return true
		}
		b = s.appendRecord(b, &o, d, &t.recs[i], q.fields, n)
		n++
		return true
	})
	b = append(b, `],"count":`...)
	b = strconv.AppendInt(b, int64(count), 10)
	b = append(b, `,"next":`...)
	b = appendString(b, s.v1PageURL(r, d, limit, offset+limit))
	b = append(b, `,"previous":`...)
	b = appendString(b, s.v1PageURL(r, d, limit, max(0, offset-limit)))
	return append(b, '}'), nil
}

// beginList appends the start of a list envelope: `{"<key>":[`.
func beginList(b []byte, key string) []byte {
	b = append(b, '{', '"')
	b = append(b, key...)
	return append(b, '"', ':', '[')
}

// appendRecord appends r, rendered with fields, as the n-th record (from 0)
// of a page. o is the page's one obj.
func (s *Server) appendRecord(b []byte, o *obj, d *streamDef, r *rec, fields fieldMask, n int) []byte {
	if n > 0 {
		b = append(b, ',')
	}
	if raw, ok := s.raw[d.name][r.id]; ok {
		return append(b, raw...)
	}
	o.begin(b)
	d.render(s, o, r, fields)
	return o.end()
}

// v1PageURL builds next/previous as Keap does: on its public host, with a
// trailing slash and only some of the parameters.
func (s *Server) v1PageURL(r *http.Request, d *streamDef, limit, offset int) string {
	in := r.URL.Query()
	out := url.Values{}
	out.Set("limit", strconv.Itoa(limit))
	out.Set("offset", strconv.Itoa(offset))
	if v := in.Get("since"); v != "" {
		out.Set("since", v)
	}
	if v := in.Get("order"); v != "" {
		out.Set("order", v)
	}
	return "https://api.infusionsoft.com/crm/rest" + d.path + "/?" + out.Encode()
}
