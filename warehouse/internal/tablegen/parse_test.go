package tablegen

import (
	"fmt"
	"strings"
	"testing"
)

// streamSQL is a CREATE TABLE of a stream table with the typed column
// definitions cols.
func streamSQL(name string, cols ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE /* TEMPLATE: data */%s (\n    account text NOT NULL,\n    id bigint NOT NULL,\n", name)
	for _, c := range cols {
		// A "-- json:" note follows the definition's comma.
		def, note, noted := strings.Cut(c, " -- ")
		if noted {
			fmt.Fprintf(&b, "    %s, -- %s\n", def, note)
		} else {
			fmt.Fprintf(&b, "    %s,\n", c)
		}
	}
	b.WriteString(`    raw jsonb NOT NULL,
    _problems jsonb,
    _hash bytea NOT NULL,
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _sync_run_id bigint,
    _deleted_at timestamptz,
    PRIMARY KEY (account, id)
);`)
	return b.String()
}

// up wraps statements in a migration's Up section.
func up(sql ...string) string {
	return "-- A migration.\n\n-- +goose Up\n" + strings.Join(sql, "\n")
}

// shape renders a schema compactly: table(col type, ...; child[Field](...)).
func shape(s *Schema) string {
	cols := func(cs []Column) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name+" "+c.Type)
		}
		return strings.Join(out, ", ")
	}
	var tables []string
	for _, t := range s.Tables {
		str := t.Name + "(" + cols(t.Columns)
		for _, c := range t.Children {
			str += fmt.Sprintf("; %s[%s by %s](%s)", c.Name, c.Field, c.ParentColumn, cols(c.Columns))
		}
		tables = append(tables, str+")")
	}
	return strings.Join(tables, " ")
}

func TestParse_TableShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{
			name:  "stream table: typed columns are all but the key and metadata",
			files: []string{up(streamSQL("contacts", "given_name text", "company_id bigint", "birth_date date"))},
			want:  "contacts(given_name text, company_id bigint, birth_date date)",
		},
		{
			name: "every type, with Postgres's aliases",
			files: []string{up(streamSQL("things",
				"a text", "b bigint", "c int8", "d integer", "e int", "f int4", "g numeric", "h decimal", "i boolean",
				"j bool", "k timestamptz", "l timestamp with time zone", "m date", "n jsonb", "o bigint[]", "p int8 []",
				`"q" TEXT DEFAULT 'x, y' CHECK (q <> '')`, "r bigint REFERENCES /* TEMPLATE: data */others (id)"))},
			want: "things(a text, b bigint, c bigint, d integer, e integer, f integer, g numeric, h numeric, i boolean, " +
				"j boolean, k timestamptz, l timestamptz, m date, n jsonb, o bigint[], p bigint[], q text, r bigint)",
		},
		{
			name: "primary key as a named constraint",
			files: []string{up(strings.Replace(streamSQL("notes", "title text"),
				"PRIMARY KEY (account, id)", "CONSTRAINT notes_pkey PRIMARY KEY (account, id), UNIQUE (account, title)", 1))},
			want: "notes(title text)",
		},
		{
			name: "child tables join the stream table <x>s of their <x>_id, in creation order",
			files: []string{up(
				streamSQL("orders", "total numeric"),
				"CREATE TABLE /* TEMPLATE: data */order_items (account text NOT NULL, order_id bigint NOT NULL, position integer NOT NULL, name text, PRIMARY KEY (account, order_id, position));",
				"CREATE TABLE /* TEMPLATE: data */order_payment_ids (account text NOT NULL, order_id bigint NOT NULL, position integer NOT NULL, payment_id bigint, PRIMARY KEY (account, order_id, position));",
				"CREATE TABLE /* TEMPLATE: data */gift_wraps (account text NOT NULL, order_id bigint NOT NULL, position integer NOT NULL, PRIMARY KEY (account, order_id, position));",
			)},
			want: "orders(total numeric; order_items[Items by order_id](name text); order_payment_ids[PaymentIDs by order_id](payment_id bigint); gift_wraps[GiftWraps by order_id]())",
		},
		{
			name: "ALTER TABLE adds and drops columns, later files after earlier ones",
			files: []string{
				up(streamSQL("tags", "name text", "color text")),
				up("ALTER TABLE /* TEMPLATE: data */tags ADD COLUMN category_id bigint, DROP COLUMN color;",
					"ALTER TABLE IF EXISTS /* TEMPLATE: data */tags ADD weight numeric;",
					"ALTER TABLE /* TEMPLATE: data */tags ADD COLUMN IF NOT EXISTS name text, DROP COLUMN IF EXISTS shade CASCADE;"),
				up("ALTER TABLE /* TEMPLATE: data */tags DROP weight;"),
			},
			want: "tags(name text, category_id bigint)",
		},
		{
			name: "DROP TABLE in an Up section removes the table; the Down section does not count",
			files: []string{up(
				streamSQL("a", "x text"),
				streamSQL("b", "y text"),
				"DROP TABLE IF EXISTS /* TEMPLATE: data */b, /* TEMPLATE: data */never;",
				"-- +goose Down",
				"DROP TABLE /* TEMPLATE: data */a;",
			)},
			want: "a(x text)",
		},
		{
			name: "state tables, views, indexes, comments, functions and blocks are skipped",
			files: []string{up(
				"CREATE TABLE /* TEMPLATE: state */checkpoints (account text PRIMARY KEY, stream varchar(20));",
				"ALTER TABLE /* TEMPLATE: state */checkpoints RENAME TO cps;",
				streamSQL("contacts", "email text"),
				"CREATE INDEX ON /* TEMPLATE: data */contacts (account, email);",
				"CREATE UNIQUE INDEX contacts_email ON /* TEMPLATE: data */contacts (email);",
				"COMMENT ON TABLE /* TEMPLATE: data */contacts IS 'People; ''quoted''.';",
				"COMMENT ON COLUMN /* TEMPLATE: data */contacts.email IS 'Email.';",
				"CREATE VIEW /* TEMPLATE: data */people AS SELECT id, email FROM /* TEMPLATE: data */contacts;",
				"COMMENT ON COLUMN /* TEMPLATE: data */people.email IS 'A view column.';",
				"-- +goose StatementBegin",
				"CREATE FUNCTION /* TEMPLATE: state */f() RETURNS void LANGUAGE plpgsql AS $fn$",
				"BEGIN",
				"    ALTER TABLE /* TEMPLATE: data */contacts DROP COLUMN email;",
				"    EXECUTE 'ALTER TABLE x; RENAME';",
				"END",
				"$fn$;",
				"-- +goose StatementEnd",
				"DO $$ BEGIN PERFORM 1; END $$;",
				"SELECT /* TEMPLATE: state */f() FROM /* TEMPLATE: data */contacts;",
				"/* ALTER TABLE /* TEMPLATE: data */contacts DROP COLUMN email; nested */",
				"UPDATE /* TEMPLATE: data */contacts SET email = E'it\\'s; fine';",
				"TRUNCATE /* TEMPLATE: data */contacts;",
			)},
			want: "contacts(email text)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var files []File
			for i, sql := range tt.files {
				files = append(files, File{Name: fmt.Sprintf("%05d_test.sql", i+1), SQL: sql})
			}
			s, err := Parse(files)
			if err != nil {
				t.Fatal(err)
			}
			if got := shape(s); got != tt.want {
				t.Errorf("shape\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParse_CommentsDocumentTablesAndColumns(t *testing.T) {
	t.Parallel()
	s, err := Parse([]File{{Name: "1.sql", SQL: up(
		streamSQL("contacts", "email text", "phone text"),
		"COMMENT ON TABLE /* TEMPLATE: data */contacts IS 'People; ''quoted''.';",
		"COMMENT ON COLUMN /* TEMPLATE: data */contacts.email IS 'Email.';",
	)}})
	if err != nil {
		t.Fatal(err)
	}
	tbl := s.Tables[0]
	if tbl.Comment != "People; 'quoted'." || tbl.Columns[0].Comment != "Email." || tbl.Columns[1].Comment != "" {
		t.Errorf("comments %q, %q, %q", tbl.Comment, tbl.Columns[0].Comment, tbl.Columns[1].Comment)
	}
}

func TestParse_FailsWithFileAndLine(t *testing.T) {
	t.Parallel()
	child := func(name, key string) string {
		return fmt.Sprintf("CREATE TABLE /* TEMPLATE: data */%s (account text NOT NULL, %s bigint NOT NULL, position integer NOT NULL, x text, PRIMARY KEY (account, %[2]s, position));", name, key)
	}
	tests := []struct {
		name string
		sql  string
		want string // the error starts with 1.sql:<line>: and contains the rest
	}{
		{"unknown type", up(streamSQL("a", "x text", "y varchar(20)")), "1.sql:8: column a.y: type \"varchar(20)\""},
		{"type with a modifier", up(streamSQL("a", "x numeric(10,2)")), "1.sql:7: column a.x: type \"numeric(10,2)\""},
		{"bytea typed column", up(streamSQL("a", "x bytea")), "1.sql:7: column a.x: bytea"},
		{"unknown type in ADD COLUMN", up(streamSQL("a"), "", "ALTER TABLE /* TEMPLATE: data */a ADD COLUMN x money;"), "1.sql:16: column a.x: type \"money\""},
		{"NOT NULL typed column", up(streamSQL("a", "x text NOT NULL")), "1.sql:7: column a.x is NOT NULL"},
		{"generated column", up(streamSQL("a", "x text GENERATED ALWAYS AS (raw->>'x') STORED")), "1.sql:7: column a.x: generated columns"},
		{"rename", up(streamSQL("a", "x text"), "ALTER TABLE /* TEMPLATE: data */a RENAME COLUMN x TO y;"), "1.sql:16: ALTER TABLE a: cannot interpret \"rename\""},
		{"alter column type", up(streamSQL("a", "x text"), "ALTER TABLE /* TEMPLATE: data */a ALTER COLUMN x TYPE bigint;"), "1.sql:16: ALTER TABLE a: cannot interpret \"alter\""},
		{"add constraint", up(streamSQL("a", "x text"), "ALTER TABLE /* TEMPLATE: data */a ADD CONSTRAINT u UNIQUE (x);"), "1.sql:16: ALTER TABLE a ADD CONSTRAINT"},
		{"drop missing column", up(streamSQL("a", "x text"), "ALTER TABLE /* TEMPLATE: data */a DROP COLUMN y;"), "1.sql:16: ALTER TABLE a DROP COLUMN y: no such column"},
		{"add existing column", up(streamSQL("a", "x text"), "ALTER TABLE /* TEMPLATE: data */a ADD COLUMN x text;"), "1.sql:16: ALTER TABLE a ADD COLUMN x: the column exists"},
		{"alter unknown table", up("ALTER TABLE /* TEMPLATE: data */a ADD COLUMN x text;"), "1.sql:4: ALTER TABLE of a"},
		{"create table as", up("CREATE TABLE /* TEMPLATE: data */a AS SELECT 1;"), "1.sql:4: table a: want a column list"},
		{"unknown statement", up(streamSQL("a"), "CREATE RULE r AS ON INSERT TO /* TEMPLATE: data */a DO INSTEAD NOTHING;"), "1.sql:15: cannot interpret this statement"},
		{"created twice", up(streamSQL("a"), streamSQL("a")), "1.sql:15: table a is created twice"},
		{"no key of either shape", up("CREATE TABLE /* TEMPLATE: data */a (account text, id bigint PRIMARY KEY);"), "1.sql:4: table a: primary key (id) is neither"},
		{"stream table without metadata", up(strings.Replace(streamSQL("a", "x text"), "    _hash bytea NOT NULL,\n", "", 1)), "1.sql:4: table a has no column _hash"},
		{"metadata of the wrong type", up(strings.Replace(streamSQL("a"), "raw jsonb", "raw text", 1)), "1.sql:7: column a.raw is text, want jsonb"},
		{"dropping the key's column", up(streamSQL("a"), "ALTER TABLE /* TEMPLATE: data */a DROP COLUMN id;"), "1.sql:4: table a: primary key () is neither"},
		{"child without a parent", up(streamSQL("contacts"), child("order_items", "order_id")), "1.sql:15: child table order_items: no stream table orders"},
		{"child field clashing with a column", up(streamSQL("orders", "items text"), child("order_items", "order_id")), "1.sql:16: child table order_items: its field Items in OrdersRow clashes with column items"},
		{"two columns making one field", up(streamSQL("a", "a_b text", "a__b text")), "1.sql:8: columns a.a_b and a__b both make field AB"},
		{"a field named like TableName", up(streamSQL("a", "table_name text")), "1.sql:4: column a.table_name: field TableName"},
		{"template without a name", up("CREATE TABLE /* TEMPLATE: data */ (x text);"), "1.sql:4: a data template is not followed by a name"},
		{"unterminated string", up(streamSQL("a"), "COMMENT ON TABLE /* TEMPLATE: data */a IS 'oops;"), "1.sql:15: unterminated ' quote"},
		{"no Up section", "CREATE TABLE x (y text);", "1.sql: no -- +goose Up annotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]File{{Name: "1.sql", SQL: tt.sql}})
			if err == nil {
				t.Fatalf("parsed, want an error like %q", tt.want)
			}
			pos, rest, _ := strings.Cut(tt.want, ": ")
			if !strings.HasPrefix(err.Error(), pos+": ") || !strings.Contains(err.Error(), rest) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestGoIdent_CamelCaseWithInitialisms(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"company_id":              "CompanyID",
		"order_ids":               "OrderIDs",
		"number_e164":             "NumberE164",
		"line1":                   "Line1",
		"contact_email_addresses": "ContactEmailAddresses",
		"website_url":             "WebsiteURL",
		"sku":                     "SKU",
		"is_opt_in":               "IsOptIn",
		"_weird__name_":           "WeirdName",
	}
	for in, want := range tests {
		if got := goIdent(in); got != want {
			t.Errorf("goIdent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerate_TypedRowsAndDescriptors(t *testing.T) {
	t.Parallel()
	s, err := Parse([]File{{Name: "1.sql", SQL: up(
		streamSQL("payments", "amount numeric", "order_ids bigint[]", "paid_at timestamptz"),
		"CREATE TABLE /* TEMPLATE: data */payment_lines (account text NOT NULL, payment_id bigint NOT NULL, position integer NOT NULL, meta jsonb, PRIMARY KEY (account, payment_id, position));",
	)}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := Generate(s)
	if err != nil {
		t.Fatal(err)
	}
	out := string(src)
	if !strings.HasPrefix(out, Header+"\n") {
		t.Errorf("output does not start with %q", Header)
	}
	for _, want := range []string{
		"import (\n\t\"encoding/json\"\n\t\"time\"\n)",
		"{Name: \"order_ids\", Type: BigIntArray}",
		"Name: \"payment_lines\", ParentColumn: \"payment_id\",",
		"\tAmount *Decimal\n",
		"\tOrderIDs []int64\n",
		"\tPaidAt *time.Time\n",
		"\tLines []PaymentLinesRow\n",
		"\tMeta json.RawMessage\n",
		"func (*PaymentsRow) TableName() string { return \"payments\" }",
		"\tw.numeric(r.Amount)\n\tw.bigintArray(r.OrderIDs)\n\tw.timestamptz(r.PaidAt)\n",
		"\tfor i := range r.Lines {\n\t\tw.child(0, i)\n\t\tr.Lines[i].writeTo(w)\n\t}\n",
		"func (r *PaymentLinesRow) writeTo(w *rowWriter) {\n\tw.jsonb(r.Meta)\n}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
