package tablegen

import (
	"regexp"
	"strings"
	"testing"
)

// notedSQL is the stream table "deals" with the column definitions cols
// (each may end in its "-- json:" note), its CREATE TABLE line carrying head.
func notedSQL(head string, cols ...string) string {
	return strings.Replace(streamSQL("deals", cols...), "deals (", "deals ("+head, 1)
}

// spaces are the runs gofmt aligns with.
var spaces = regexp.MustCompile(`[ \t]+`)

func generateMappers(t *testing.T, sql ...string) (string, error) {
	t.Helper()
	s, err := Parse([]File{{Name: "m/00001_x.sql", SQL: up(sql...)}})
	if err != nil {
		return "", err
	}
	out, err := GenerateMappers(s)
	return string(out), err
}

func TestGenerateMappers_ReadsEachColumnFromItsPath(t *testing.T) {
	t.Parallel()
	got, err := generateMappers(t,
		notedSQL("",
			"title text -- json: opportunity_title",
			"stage_id bigint -- json: stage.id",
			"stage_name text -- json: stage.name",
			"total numeric -- json: total (money)",
			"closed timestamptz -- json: close_time | date_closed",
			"order_ids bigint[] -- json: order_ids",
		),
		`CREATE TABLE /* TEMPLATE: data */deal_lines ( -- json: list lines
    account text NOT NULL,
    deal_id bigint NOT NULL,
    position integer NOT NULL,
    qty integer, -- json: quantity
    PRIMARY KEY (account, deal_id, position)
);`,
		"ALTER TABLE /* TEMPLATE: data */deals ADD COLUMN won boolean; -- json: won")
	if err != nil {
		t.Fatal(err)
	}
	flat := spaces.ReplaceAllString(got, " ")
	for _, want := range []string{
		"type dealsRecord struct {",
		"OpportunityTitle jText `json:\"opportunity_title\"`",
		"Stage struct {",
		"ID   jInt  `json:\"id\"`",
		"Total jMoney",
		"Lines []dealLinesRecord `json:\"lines\"`",
		"Won jBool `json:\"won\"`",
		"row.Title = m.text(\"opportunity_title\", &r.OpportunityTitle)",
		"row.StageID = m.bigint(\"stage.id\", &r.Stage.ID)",
		"row.Total = m.money(\"total\", &r.Total)",
		"if held(r.CloseTime.st) {\n\t\trow.Closed = m.timestamp(\"close_time\", &r.CloseTime)\n\t} else {\n\t\trow.Closed = m.timestamp(\"date_closed\", &r.DateClosed)\n\t}",
		"row.OrderIDs = m.idList(\"order_ids\", &r.OrderIDs)",
		"row.Won = m.boolean(\"won\", &r.Won)",
		"row.Lines = childRows(m, \"lines\", r.Lines, func(e *dealLinesRecord) warehouse.DealLinesRow {",
		"el.Qty = m.integer(\"quantity\", &e.Quantity)",
		"\"deals\": mapDeals,",
	} {
		if !strings.Contains(flat, spaces.ReplaceAllString(want, " ")) {
			t.Errorf("the mappers lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Hook") {
		t.Errorf("a table without a hook calls one:\n%s", got)
	}
}

func TestGenerateMappers_AHookFillsWhatHasNoPath(t *testing.T) {
	t.Parallel()
	got, err := generateMappers(t, notedSQL(" -- json: hook", "title text -- json: title", "email text"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\tdealsExtra ", "\tdealsHook(m, &r, row)\n\treturn row"} {
		if !strings.Contains(got, want) {
			t.Errorf("the mappers lack %q:\n%s", want, got)
		}
	}
}

func TestGenerateMappers_ANoteThatCannotBeReadFailsNamingTheColumn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sql  string
		want string
	}{
		{"a column without a note and no hook", notedSQL("", "title text -- json: title", "email text"),
			"column email has no -- json: note, and the table no hook"},
		{"money on text", notedSQL("", "title text -- json: title (money)"), "column title: (money) on a text column"},
		{"not a key", notedSQL("", "title text -- json: deal-title"), `"deal-title" is not a key`},
		{"a key read as a value and an object", notedSQL("", "stage text -- json: stage", "stage_id bigint -- json: stage.id"),
			"key stage is read as two things"},
		{"a table note", notedSQL(" -- json: hooks", "title text -- json: title"), `-- json: "hooks": want hook`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := generateMappers(t, tc.sql)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
