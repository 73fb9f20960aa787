package tablegen

import (
	"fmt"
	"slices"
	"strings"
)

// File is a migration file: its name (for error positions) and its SQL.
type File struct {
	Name string
	SQL  string
}

// sqlTable is a data table as the migrations so far have shaped it.
type sqlTable struct {
	name    string
	pos     string // file:line of its CREATE TABLE
	comment string
	json    string // the "-- json:" note after "CREATE TABLE name (" (hook, or list <key>)
	columns []*sqlColumn
	pk      []string
}

type sqlColumn struct {
	name    string
	typ     string // canonical: one of sqlTypes' values
	notNull bool
	comment string
	json    string // the "-- json:" note of its line: where the record holds it
	pos     string // file:line of its definition
}

func (t *sqlTable) column(name string) *sqlColumn {
	for _, c := range t.columns {
		if c.name == name {
			return c
		}
	}
	return nil
}

// sqlTypes maps the type names a data table's column may be declared with
// to their canonical name. Anything else fails the parse, so a migration
// using a type the warehouse cannot write is caught at go generate time.
var sqlTypes = map[string]string{
	"text":                     "text",
	"bigint":                   "bigint",
	"int8":                     "bigint",
	"integer":                  "integer",
	"int":                      "integer",
	"int4":                     "integer",
	"numeric":                  "numeric",
	"decimal":                  "numeric",
	"boolean":                  "boolean",
	"bool":                     "boolean",
	"timestamptz":              "timestamptz",
	"timestamp with time zone": "timestamptz",
	"date":                     "date",
	"jsonb":                    "jsonb",
	"bigint[]":                 "bigint[]",
	"int8[]":                   "bigint[]",
	"bytea":                    "bytea", // the metadata column _hash only
}

// parser applies the data-table statements of the migrations, in order, to
// the tables they shape.
type parser struct {
	tables map[string]*sqlTable
	order  []string // table names in creation order
}

// cursor walks a statement's tokens.
type cursor struct {
	st *statement
	i  int
}

func (c *cursor) done() bool { return c.i >= len(c.st.toks) }

func (c *cursor) peek() token {
	if c.done() {
		return token{}
	}
	return c.st.toks[c.i]
}

func (c *cursor) next() token {
	t := c.peek()
	c.i++
	return t
}

// isWords reports whether the tokens at the cursor are the given keywords.
func (c *cursor) isWords(words ...string) bool {
	for k, w := range words {
		if c.i+k >= len(c.st.toks) {
			return false
		}
		t := c.st.toks[c.i+k]
		if t.kind != tokWord || t.text != w {
			return false
		}
	}
	return true
}

// accept consumes the given keywords if they are next.
func (c *cursor) accept(words ...string) bool {
	if !c.isWords(words...) {
		return false
	}
	c.i += len(words)
	return true
}

func (c *cursor) isPunct(p string) bool {
	t := c.peek()
	return t.kind == tokPunct && t.text == p
}

func (c *cursor) pos() string {
	line := c.st.line
	if !c.done() {
		line = c.peek().line
	} else if len(c.st.toks) > 0 {
		line = c.st.toks[len(c.st.toks)-1].line
	}
	return fmt.Sprintf("%s:%d", c.st.file, line)
}

func (c *cursor) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", c.pos(), fmt.Sprintf(format, args...))
}

// table consumes a data-table reference, "/* TEMPLATE: data */name".
func (c *cursor) table() (string, bool) {
	t := c.peek()
	if t.kind != tokTable || t.schema != "data" {
		return "", false
	}
	c.i++
	return t.text, true
}

// name consumes an identifier: an unquoted word, or a quoted one that
// needs no quotes.
func (c *cursor) name() (string, error) {
	t := c.peek()
	if (t.kind == tokWord || t.kind == tokQuoted) && isPlainName(t.text) {
		c.i++
		return t.text, nil
	}
	return "", c.errorf("want a lowercase name, got %q", t.text)
}

func isPlainName(s string) bool {
	if s == "" || !(s[0] == '_' || s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// group returns the tokens of the parenthesized group at the cursor, split
// at its top-level commas, and moves past it.
func (c *cursor) group() ([][]token, error) {
	if !c.isPunct("(") {
		return nil, c.errorf("want (")
	}
	c.i++
	items, closed := c.commaSeparated(true)
	if !closed {
		return nil, c.errorf("unclosed (")
	}
	return items, nil
}

// sub returns a cursor over toks, a part of c's statement, whose errors
// give the line of toks' first token.
func (c *cursor) sub(toks []token) *cursor {
	st := &statement{file: c.st.file, line: c.st.line, toks: toks}
	if len(toks) > 0 {
		st.line = toks[0].line
	}
	return &cursor{st: st}
}

// commaSeparated reads tokens up to the end of the statement, or in a group
// up to the ")" that closes it (closed reports whether one did), split at
// their top-level commas.
func (c *cursor) commaSeparated(inGroup bool) (items [][]token, closed bool) {
	var cur []token
	depth := 0
	for !c.done() {
		t := c.next()
		if t.kind == tokPunct {
			switch t.text {
			case "(":
				depth++
			case ")":
				if inGroup && depth == 0 {
					return append(items, cur), true
				}
				depth--
			case ",":
				if depth == 0 {
					if t.json != "" && len(cur) > 0 {
						cur[len(cur)-1].json = t.json // "col type, -- json: ..."
					}
					items = append(items, cur)
					cur = nil
					continue
				}
			}
		}
		cur = append(cur, t)
	}
	return append(items, cur), false
}

// mentionsData reports whether the statement names a data table.
func (st *statement) mentionsData() bool {
	for _, t := range st.toks {
		if t.kind == tokTable && t.schema == "data" {
			return true
		}
	}
	return false
}

// shapeNeutral are the statements that name tables without changing their
// columns or keys: skipped even when they name a data table.
var shapeNeutral = [][]string{
	{"comment", "on"},
	{"create", "index"},
	{"create", "unique", "index"},
	{"drop", "index"},
	{"create", "view"},
	{"create", "or", "replace", "view"},
	{"create", "materialized", "view"},
	{"drop", "view"},
	{"drop", "materialized", "view"},
	{"refresh", "materialized", "view"},
	{"create", "function"},
	{"create", "or", "replace", "function"},
	{"drop", "function"},
	{"create", "trigger"},
	{"create", "or", "replace", "trigger"},
	{"drop", "trigger"},
	{"create", "schema"},
	{"do"},
	{"select"},
	{"insert"},
	{"update"},
	{"delete"},
	{"grant"},
	{"revoke"},
	{"analyze"},
	{"truncate"},
	{"lock"},
	{"alter", "index"},
	{"reindex"},
	{"vacuum"},
}

func (p *parser) statement(st *statement) error {
	c := &cursor{st: st}
	switch {
	case c.accept("create", "table"):
		c.accept("if", "not", "exists")
		name, ok := c.table()
		if !ok {
			return nil // a state table
		}
		return p.createTable(c, name)
	case c.accept("alter", "table"):
		c.accept("if", "exists")
		c.accept("only")
		name, ok := c.table()
		if !ok {
			return nil
		}
		return p.alterTable(c, name)
	case c.accept("drop", "table"):
		return p.dropTable(c)
	case c.isWords("comment", "on", "table") || c.isWords("comment", "on", "column"):
		return p.comment(c)
	}
	for _, words := range shapeNeutral {
		if c.isWords(words...) {
			return nil
		}
	}
	if st.mentionsData() {
		return c.errorf("cannot interpret this statement on a data table (only CREATE TABLE, ALTER TABLE ADD/DROP COLUMN, DROP TABLE, and statements that keep a table's shape)")
	}
	return nil
}

func (p *parser) createTable(c *cursor, name string) error {
	if _, ok := p.tables[name]; ok {
		return c.errorf("table %s is created twice", name)
	}
	t := &sqlTable{name: name, pos: c.pos()}
	if !c.isPunct("(") {
		return c.errorf("table %s: want a column list (CREATE TABLE ... AS or PARTITION OF cannot be read)", name)
	}
	t.json = c.peek().json
	items, err := c.group()
	if err != nil {
		return err
	}
	for _, item := range items {
		if err := p.tableElement(c.sub(item), t); err != nil {
			return err
		}
	}
	if !c.done() {
		return c.errorf("table %s: cannot interpret %q after the column list", name, c.peek().text)
	}
	p.tables[name] = t
	p.order = append(p.order, name)
	return nil
}

// tableElement reads a column definition or a table constraint.
func (p *parser) tableElement(c *cursor, t *sqlTable) error {
	switch {
	case c.done():
		return c.errorf("table %s: empty column definition", t.name)
	case c.accept("primary", "key"):
		return p.primaryKey(c, t)
	case c.accept("constraint"):
		if _, err := c.name(); err != nil {
			return err
		}
		if c.accept("primary", "key") {
			return p.primaryKey(c, t)
		}
		return nil
	case c.isWords("unique"), c.isWords("check"), c.isWords("foreign"), c.isWords("exclude"):
		return nil
	case c.isWords("like"):
		return c.errorf("table %s: LIKE cannot be read", t.name)
	}
	col, err := p.columnDef(c, t.name)
	if err != nil {
		return err
	}
	if t.column(col.name) != nil {
		return c.errorf("table %s: column %s defined twice", t.name, col.name)
	}
	t.columns = append(t.columns, col.sqlColumn)
	if col.primaryKey {
		if t.pk != nil {
			return c.errorf("table %s: two primary keys", t.name)
		}
		t.pk = []string{col.name}
	}
	return nil
}

func (p *parser) primaryKey(c *cursor, t *sqlTable) error {
	if t.pk != nil {
		return c.errorf("table %s: two primary keys", t.name)
	}
	items, err := c.group()
	if err != nil {
		return err
	}
	for _, item := range items {
		if len(item) != 1 || (item[0].kind != tokWord && item[0].kind != tokQuoted) {
			return c.errorf("table %s: cannot read the primary key", t.name)
		}
		t.pk = append(t.pk, item[0].text)
	}
	return nil
}

type columnDef struct {
	*sqlColumn
	primaryKey bool
}

// columnDef reads "name type [constraints]".
func (p *parser) columnDef(c *cursor, table string) (columnDef, error) {
	pos := c.pos()
	name, err := c.name()
	if err != nil {
		return columnDef{}, err
	}
	// The type: words up to the first constraint keyword, then any
	// modifier "(...)" and array brackets.
	var words []string
	for !c.done() && c.peek().kind == tokWord && !isConstraintWord(c.peek().text) {
		words = append(words, c.next().text)
	}
	typ := strings.Join(words, " ")
	if c.isPunct("(") {
		start := c.i
		if _, err := c.group(); err != nil {
			return columnDef{}, err
		}
		for _, t := range c.st.toks[start:c.i] {
			typ += t.text
		}
	}
	for c.isPunct("[") {
		c.i++
		if !c.isPunct("]") {
			return columnDef{}, c.errorf("column %s.%s: cannot read the array type", table, name)
		}
		c.i++
		typ += "[]"
	}
	canon, ok := sqlTypes[typ]
	if !ok {
		return columnDef{}, fmt.Errorf("%s: column %s.%s: type %q is not one the warehouse writes (text, bigint, integer, numeric, boolean, timestamptz, date, jsonb, bigint[])", pos, table, name, typ)
	}
	def := columnDef{sqlColumn: &sqlColumn{name: name, typ: canon, pos: pos}}
	for _, t := range c.st.toks {
		if t.json != "" {
			def.json = t.json
		}
	}
	// Constraints: only NOT NULL and PRIMARY KEY matter to the shape; a
	// generated column cannot be written, so it is refused.
	depth := 0
	for !c.done() {
		t := c.peek()
		switch {
		case t.kind == tokPunct && t.text == "(":
			depth++
		case t.kind == tokPunct && t.text == ")":
			depth--
		case depth > 0:
		case c.isWords("not", "null"):
			def.notNull = true
			c.i++
		case c.isWords("primary", "key"):
			def.primaryKey = true
			def.notNull = true
			c.i++
		case c.isWords("generated"):
			return columnDef{}, c.errorf("column %s.%s: generated columns cannot be written by the warehouse", table, name)
		}
		c.i++
	}
	return def, nil
}

func isConstraintWord(w string) bool {
	switch w {
	case "not", "null", "default", "primary", "unique", "check", "references", "generated", "collate", "constraint":
		return true
	}
	return false
}

func (p *parser) alterTable(c *cursor, name string) error {
	t, ok := p.tables[name]
	if !ok {
		return c.errorf("ALTER TABLE of %s, which no earlier migration creates", name)
	}
	actions, _ := c.commaSeparated(false)
	for _, a := range actions {
		if err := p.alterAction(c.sub(a), t); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) alterAction(c *cursor, t *sqlTable) error {
	switch {
	case c.accept("add"):
		for _, w := range []string{"constraint", "primary", "unique", "check", "foreign", "exclude"} {
			if c.isWords(w) {
				return c.errorf("ALTER TABLE %s ADD %s: constraints cannot be interpreted (only ADD COLUMN and DROP COLUMN)", t.name, strings.ToUpper(w))
			}
		}
		c.accept("column")
		ifNotExists := c.accept("if", "not", "exists")
		col, err := p.columnDef(c, t.name)
		if err != nil {
			return err
		}
		if col.primaryKey {
			return c.errorf("ALTER TABLE %s ADD COLUMN %s PRIMARY KEY cannot be interpreted", t.name, col.name)
		}
		if t.column(col.name) != nil {
			if ifNotExists {
				return nil
			}
			return c.errorf("ALTER TABLE %s ADD COLUMN %s: the column exists", t.name, col.name)
		}
		t.columns = append(t.columns, col.sqlColumn)
		return nil
	case c.accept("drop"):
		if c.isWords("constraint") {
			return c.errorf("ALTER TABLE %s DROP CONSTRAINT cannot be interpreted (only ADD COLUMN and DROP COLUMN)", t.name)
		}
		c.accept("column")
		ifExists := c.accept("if", "exists")
		name, err := c.name()
		if err != nil {
			return err
		}
		c.accept("cascade")
		c.accept("restrict")
		if !c.done() {
			return c.errorf("ALTER TABLE %s DROP COLUMN %s: cannot interpret %q", t.name, name, c.peek().text)
		}
		i := slices.IndexFunc(t.columns, func(col *sqlColumn) bool { return col.name == name })
		if i < 0 {
			if ifExists {
				return nil
			}
			return c.errorf("ALTER TABLE %s DROP COLUMN %s: no such column", t.name, name)
		}
		t.columns = slices.Delete(t.columns, i, i+1)
		if slices.Contains(t.pk, name) {
			t.pk = nil // Postgres drops the key with its column
		}
		return nil
	}
	return c.errorf("ALTER TABLE %s: cannot interpret %q (only ADD COLUMN and DROP COLUMN)", t.name, c.peek().text)
}

func (p *parser) dropTable(c *cursor) error {
	ifExists := c.accept("if", "exists")
	for {
		if name, ok := c.table(); ok {
			if _, exists := p.tables[name]; !exists {
				if !ifExists {
					return c.errorf("DROP TABLE %s, which no earlier migration creates", name)
				}
			} else {
				delete(p.tables, name)
				p.order = slices.DeleteFunc(p.order, func(n string) bool { return n == name })
			}
		} else {
			c.i++ // a state table
		}
		if !c.isPunct(",") {
			break
		}
		c.i++
	}
	c.accept("cascade")
	c.accept("restrict")
	if !c.done() {
		return c.errorf("DROP TABLE: cannot interpret %q", c.peek().text)
	}
	return nil
}

// comment records COMMENT ON TABLE and COMMENT ON COLUMN of data tables:
// they document the generated types.
func (p *parser) comment(c *cursor) error {
	c.accept("comment", "on")
	onColumn := c.accept("column")
	c.accept("table")
	name, ok := c.table()
	if !ok {
		return nil
	}
	t, exists := p.tables[name]
	if !exists {
		return nil // a view's column
	}
	var col *sqlColumn
	if onColumn {
		if !c.isPunct(".") {
			return c.errorf("COMMENT ON COLUMN %s: want .column", name)
		}
		c.i++
		colName, err := c.name()
		if err != nil {
			return err
		}
		if col = t.column(colName); col == nil {
			return c.errorf("COMMENT ON COLUMN %s.%s: no such column", name, colName)
		}
	}
	if !c.accept("is") {
		return c.errorf("COMMENT ON %s: want IS", name)
	}
	var text string
	switch tok := c.next(); {
	case tok.kind == tokString:
		text = tok.text
	case tok.kind == tokWord && tok.text == "null":
	default:
		return c.errorf("COMMENT ON %s: want a string literal", name)
	}
	if col != nil {
		col.comment = text
	} else {
		t.comment = text
	}
	return nil
}
