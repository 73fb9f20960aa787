package keapsim

import "strconv"

// ---- opportunity stage moves ----

// stageMove is what a move holds beyond its time: the opportunity, the
// stages it left and entered, and who moved it.
type stageMove struct {
	opportunity, from, to, user int64
	prevDays                    int // days since the opportunity's previous move (0: its first)
}

func (s *Server) stageMove(r *rec) stageMove {
	st := stable(s, stageMoveSalt, r)
	m := stageMove{opportunity: s.refID("opportunities", &st), user: s.refID("users", &st)}
	n := int64(len(stageNames))
	m.to = 1 + int64(st.n(int(n)))
	if st.pct(80) {
		m.from = 1 + (m.to+n-2)%n // the stage before, mostly
		m.prevDays = 1 + st.n(60)
	}
	return m
}

// renderStageMove draws the spec's StageMove. Its times are written as the
// spec's examples write them ("2024-03-15T10:30:00.000+0000"). A move is
// history: it never changes (the table is append-only).
func renderStageMove(s *Server, o *obj, r *rec, _ fieldMask) {
	m := s.stageMove(r)
	o.idStr("id", r.id)
	o.idStr("opportunity_id", m.opportunity)
	o.timeV1("move_time", r.created)
	if m.from != 0 {
		o.idStr("move_from_stage_id", m.from)
	}
	o.idStr("move_to_stage_id", m.to)
	if m.prevDays > 0 {
		o.timeV1("prev_stage_move_time", r.created-int64(m.prevDays)*dayMs)
	}
	if m.user != 0 {
		o.idStr("user_id", m.user)
		o.idStr("created_by", m.user)
	}
	o.timeV1("create_time", r.created)
}

// stageMovesDef serves GET /v2/opportunities/stageMoves: filters on the
// opportunity and the user, ordered by move date or id.
func stageMovesDef() *streamDef {
	return additive(&streamDef{
		name: "opportunity_stage_moves", path: "/v2/opportunities/stageMoves", key: "stage_moves", maxPage: 1000,
		salt: stageMoveSalt, firstID: 1, scale: func(n int) int { return max(6, n/5) }, spanDays: 4 * 365,
		appendOnly: true,
		eqFilters: map[string]func(s *Server, r *rec) string{
			"opportunity_id": func(s *Server, r *rec) string { return strconv.FormatInt(s.stageMove(r).opportunity, 10) },
			"user_id":        func(s *Server, r *rec) string { return strconv.FormatInt(s.stageMove(r).user, 10) },
		},
		orders: map[string]orderSpec{"move_date": {}, "id": {}},
		render: renderStageMove,
	}, "id opportunity_id move_time move_from_stage_id move_to_stage_id prev_stage_move_time user_id created_by create_time")
}
