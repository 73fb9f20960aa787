package tablegen

import (
	"fmt"
	gotoken "go/token"
	"slices"
	"strings"
)

// Schema is the shape of the data schema after every migration: the stream
// tables, in the order the migrations create them, with their child tables.
type Schema struct {
	Tables []Table
}

// Table is a stream table: keyed by (account, id), with the metadata
// columns the warehouse maintains and the typed columns a row fills.
type Table struct {
	Name    string
	Comment string
	// Hook is set by "-- json: hook" after "CREATE TABLE name (": the
	// generated mapper calls a hand-written <name>Hook for what the
	// columns' JSON paths cannot say (see package jobs).
	Hook    bool
	GoName  string   // the row type, e.g. ContactsRow
	Columns []Column // typed columns, in table order
	// Children are the tables holding the record's nested lists, in the
	// order the migrations create them.
	Children []Child
}

// Child is a child table: keyed by (account, <x>_id, position), where
// <x>_id is the id of a row of the stream table <x>s.
type Child struct {
	Name    string
	Comment string
	// List is the record's key holding the list ("-- json: list <key>"
	// after "CREATE TABLE name ("); empty when a hook fills the table.
	List         string
	ParentColumn string
	GoName       string // the row type, e.g. ContactEmailAddressesRow
	Field        string // the parent row type's field, e.g. EmailAddresses
	Columns      []Column
}

// Column is a typed column.
type Column struct {
	Name    string
	Type    string // canonical SQL type: text, bigint, integer, numeric, boolean, timestamptz, date, jsonb or bigint[]
	Comment string
	GoName  string // the field, e.g. CompanyID
	// JSON says where the record holds the column's value, from the
	// "-- json: ..." comment on its line: a path of keys ("stage.id"), or
	// several separated by "|", the first present taken ("name |
	// product_name": v2's key, then v1's), and "(money)" for a numeric
	// amount that may be a currency object. Empty: a hook fills it.
	JSON string
}

// metadataColumns are the columns every stream table has besides account
// and id, which the warehouse fills itself, with their types.
var metadataColumns = []struct{ name, typ string }{
	{"raw", "jsonb"},
	{"_problems", "jsonb"},
	{"_hash", "bytea"},
	{"_synced_at", "timestamptz"},
	{"_sync_run_id", "bigint"},
	{"_deleted_at", "timestamptz"},
}

// Parse applies the migration files, in order, and returns the resulting
// data schema. Only the Up section of each file counts. It fails, naming the
// file and line, on a statement about a data table it cannot interpret, a
// column type the warehouse cannot write, and a table that is neither a
// stream table nor a child table of one.
func Parse(files []File) (*Schema, error) {
	p := &parser{tables: map[string]*sqlTable{}}
	for _, f := range files {
		stmts, err := splitStatements(f.Name, f.SQL)
		if err != nil {
			return nil, err
		}
		for i := range stmts {
			if err := p.statement(&stmts[i]); err != nil {
				return nil, err
			}
		}
	}
	return p.schema()
}

// schema sorts the parsed tables into stream and child tables.
func (p *parser) schema() (*Schema, error) {
	s := &Schema{}
	streams := map[string]int{} // name -> index in s.Tables
	var children []*sqlTable
	for _, name := range p.order {
		t := p.tables[name]
		switch {
		case slices.Equal(t.pk, []string{"account", "id"}):
			table, err := streamTable(t)
			if err != nil {
				return nil, err
			}
			streams[name] = len(s.Tables)
			s.Tables = append(s.Tables, table)
		case len(t.pk) == 3 && t.pk[0] == "account" && strings.HasSuffix(t.pk[1], "_id") && t.pk[2] == "position":
			children = append(children, t)
		default:
			return nil, fmt.Errorf("%s: table %s: primary key (%s) is neither (account, id) of a stream table nor (account, <x>_id, position) of a child table",
				t.pos, t.name, strings.Join(t.pk, ", "))
		}
	}
	for _, t := range children {
		parentColumn := t.pk[1]
		singular := strings.TrimSuffix(parentColumn, "_id")
		i, ok := streams[singular+"s"]
		if !ok {
			return nil, fmt.Errorf("%s: child table %s: no stream table %ss for its key column %s", t.pos, t.name, singular, parentColumn)
		}
		child, err := childTable(t, parentColumn, singular)
		if err != nil {
			return nil, err
		}
		parent := &s.Tables[i]
		for _, c := range parent.Columns {
			if c.GoName == child.Field {
				return nil, fmt.Errorf("%s: child table %s: its field %s in %s clashes with column %s", t.pos, t.name, child.Field, parent.GoName, c.Name)
			}
		}
		for _, c := range parent.Children {
			if c.Field == child.Field {
				return nil, fmt.Errorf("%s: child table %s: its field %s in %s clashes with child table %s", t.pos, t.name, child.Field, parent.GoName, c.Name)
			}
		}
		parent.Children = append(parent.Children, child)
	}
	// Two tables must not make one Go type (contact_tags and contacttags).
	types := map[string]string{}
	claim := func(goName, table string) error {
		if other, ok := types[goName]; ok {
			return fmt.Errorf("tables %s and %s both make type %s", other, table, goName)
		}
		types[goName] = table
		return nil
	}
	for _, t := range s.Tables {
		if err := claim(t.GoName, t.Name); err != nil {
			return nil, err
		}
		for _, c := range t.Children {
			if err := claim(c.GoName, c.Name); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func streamTable(t *sqlTable) (Table, error) {
	if err := wantColumn(t, "account", "text"); err != nil {
		return Table{}, err
	}
	if err := wantColumn(t, "id", "bigint"); err != nil {
		return Table{}, err
	}
	skip := map[string]bool{"account": true, "id": true}
	for _, m := range metadataColumns {
		if err := wantColumn(t, m.name, m.typ); err != nil {
			return Table{}, fmt.Errorf("%w (every stream table has %s)", err, metadataNames())
		}
		skip[m.name] = true
	}
	goName, err := typeName(t)
	if err != nil {
		return Table{}, err
	}
	cols, err := typedColumns(t, skip)
	if err != nil {
		return Table{}, err
	}
	for _, c := range cols {
		if c.GoName == "TableName" {
			return Table{}, fmt.Errorf("%s: column %s.%s: field %s would clash with the method TableName", t.pos, t.name, c.Name, c.GoName)
		}
	}
	if t.json != "" && t.json != "hook" {
		return Table{}, fmt.Errorf("%s: table %s: -- json: %q: want hook", t.pos, t.name, t.json)
	}
	return Table{Name: t.name, Comment: t.comment, GoName: goName, Columns: cols, Hook: t.json == "hook"}, nil
}

func childTable(t *sqlTable, parentColumn, singular string) (Child, error) {
	for _, want := range []struct{ name, typ string }{{"account", "text"}, {parentColumn, "bigint"}, {"position", "integer"}} {
		if err := wantColumn(t, want.name, want.typ); err != nil {
			return Child{}, err
		}
	}
	goName, err := typeName(t)
	if err != nil {
		return Child{}, err
	}
	cols, err := typedColumns(t, map[string]bool{"account": true, parentColumn: true, "position": true})
	if err != nil {
		return Child{}, err
	}
	// The parent's field is named after the table without the parent's
	// singular prefix: contact_email_addresses -> EmailAddresses.
	field := goIdent(strings.TrimPrefix(t.name, singular+"_"))
	if !gotoken.IsIdentifier(field) {
		return Child{}, fmt.Errorf("%s: child table %s: no Go field name for it (%q)", t.pos, t.name, field)
	}
	list, isList := strings.CutPrefix(t.json, "list ")
	if t.json != "" && (!isList || !isJSONKey(list)) {
		return Child{}, fmt.Errorf("%s: child table %s: -- json: %q: want list <key>", t.pos, t.name, t.json)
	}
	return Child{Name: t.name, Comment: t.comment, ParentColumn: parentColumn, GoName: goName, Field: field, Columns: cols, List: list}, nil
}

func wantColumn(t *sqlTable, name, typ string) error {
	c := t.column(name)
	switch {
	case c == nil:
		return fmt.Errorf("%s: table %s has no column %s", t.pos, t.name, name)
	case c.typ != typ:
		return fmt.Errorf("%s: column %s.%s is %s, want %s", c.pos, t.name, name, c.typ, typ)
	}
	return nil
}

func metadataNames() string {
	names := make([]string, len(metadataColumns))
	for i, m := range metadataColumns {
		names[i] = m.name
	}
	return strings.Join(names, ", ")
}

func typeName(t *sqlTable) (string, error) {
	name := goIdent(t.name) + "Row"
	if !gotoken.IsIdentifier(name) {
		return "", fmt.Errorf("%s: table %s: no Go type name for it (%q)", t.pos, t.name, name)
	}
	return name, nil
}

// typedColumns returns the columns of t but those in skip, checking that
// the warehouse can write them.
func typedColumns(t *sqlTable, skip map[string]bool) ([]Column, error) {
	var cols []Column
	fields := map[string]string{}
	for _, c := range t.columns {
		if skip[c.name] {
			continue
		}
		if c.typ == "bytea" {
			return nil, fmt.Errorf("%s: column %s.%s: bytea is not a type the warehouse writes (text, bigint, integer, numeric, boolean, timestamptz, date, jsonb, bigint[])", c.pos, t.name, c.name)
		}
		if c.notNull {
			return nil, fmt.Errorf("%s: column %s.%s is NOT NULL: a typed column must take NULL, which stands for a value that could not be typed", c.pos, t.name, c.name)
		}
		goName := goIdent(c.name)
		if !gotoken.IsIdentifier(goName) {
			return nil, fmt.Errorf("%s: column %s.%s: no Go field name for it (%q)", c.pos, t.name, c.name, goName)
		}
		if other, ok := fields[goName]; ok {
			return nil, fmt.Errorf("%s: columns %s.%s and %s both make field %s", c.pos, t.name, other, c.name, goName)
		}
		fields[goName] = c.name
		cols = append(cols, Column{Name: c.name, Type: c.typ, Comment: c.comment, GoName: goName, JSON: c.json})
	}
	return cols, nil
}

// initialisms are the words Go spells in capitals (after staticcheck's
// list), and a few of the domain's.
var initialisms = map[string]string{
	"acl": "ACL", "api": "API", "ascii": "ASCII", "cpu": "CPU", "css": "CSS", "db": "DB", "dns": "DNS",
	"eof": "EOF", "guid": "GUID", "html": "HTML", "http": "HTTP", "https": "HTTPS", "id": "ID", "ids": "IDs",
	"ip": "IP", "json": "JSON", "qps": "QPS", "ram": "RAM", "rpc": "RPC", "sku": "SKU", "sla": "SLA",
	"smtp": "SMTP", "sql": "SQL", "ssh": "SSH", "tcp": "TCP", "tls": "TLS", "ttl": "TTL", "udp": "UDP",
	"ui": "UI", "uid": "UID", "uri": "URI", "url": "URL", "utf8": "UTF8", "uuid": "UUID", "vm": "VM",
	"xml": "XML", "xmpp": "XMPP", "xsrf": "XSRF", "xss": "XSS",
}

// goIdent turns a snake_case name into an exported CamelCase one, with Go's
// initialisms: company_id -> CompanyID, order_ids -> OrderIDs,
// number_e164 -> NumberE164.
func goIdent(snake string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(snake, "_") {
		if part == "" {
			continue
		}
		if up, ok := initialisms[part]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
