package tablegen

import (
	"fmt"
	"regexp"
	"strings"
)

type tokenKind int

const (
	tokWord     tokenKind = iota + 1 // keyword or unquoted identifier, lowercased
	tokQuoted                        // "quoted identifier"
	tokString                        // 'string', its value unescaped
	tokDollar                        // $tag$dollar-quoted string$tag$
	tokNumber                        // 42, 1.5
	tokParam                         // $1
	tokTable                         // /* TEMPLATE: <schema> */name
	tokTemplate                      // /* TEMPLATE_NAME: ... */ or /* TEMPLATE_LITERAL: ... */ and its default
	tokPunct                         // ( ) , . [ ] :: and any other symbol
)

// token is a lexical token of a statement. A tokTable has the template's
// schema ("data" or "state") in schema and the table name in text.
type token struct {
	kind   tokenKind
	text   string
	schema string
	line   int
	// json is the text of a "-- json: ..." comment that follows the token
	// on its line: how a column is read from the record (see Column.JSON).
	json string
}

// statement is one SQL statement of a migration's Up section.
type statement struct {
	file string
	line int // of its first token
	toks []token
}

// template matches a schema template, written as the migrations package
// renders it (see migrations.Render).
var template = regexp.MustCompile(`^/\* TEMPLATE(|_NAME|_LITERAL): (data|state) \*/`)

// lexer splits a migration file into the statements of its Up section,
// following goose's annotations: statements end at a semicolon, or at
// "-- +goose StatementEnd" inside a StatementBegin block; the Up section
// ends at "-- +goose Down".
type lexer struct {
	file string
	src  string
	i    int
	line int

	tokLine int // line where the token being read starts

	up      bool // inside the Up section
	done    bool // past it
	inBlock bool // between StatementBegin and StatementEnd
	cur     []token
	stmts   []statement
}

// splitStatements returns the statements of the Up section of a migration
// file.
func splitStatements(file, src string) ([]statement, error) {
	l := &lexer{file: file, src: src, line: 1}
	if err := l.run(); err != nil {
		return nil, err
	}
	if !l.up && !l.done {
		return nil, fmt.Errorf("%s: no -- +goose Up annotation", file)
	}
	return l.stmts, nil
}

func (l *lexer) errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", l.file, l.line, fmt.Sprintf(format, args...))
}

func (l *lexer) emit(t token) {
	if l.up {
		t.line = l.tokLine
		l.cur = append(l.cur, t)
	}
}

func (l *lexer) endStatement() {
	if len(l.cur) > 0 {
		l.stmts = append(l.stmts, statement{file: l.file, line: l.cur[0].line, toks: l.cur})
	}
	l.cur = nil
}

func (l *lexer) run() error {
	for l.i < len(l.src) && !l.done {
		c := l.src[l.i]
		rest := l.src[l.i:]
		l.tokLine = l.line
		switch {
		case c == '\n':
			l.line++
			l.i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			l.i++
		case strings.HasPrefix(rest, "--"):
			end := strings.IndexByte(rest, '\n')
			if end < 0 {
				end = len(rest)
			}
			text := strings.TrimSpace(rest[2:end])
			if spec, ok := strings.CutPrefix(text, "json:"); ok && l.up {
				// The note of the line's last token; after a ";", of the
				// statement it ended.
				toks := l.cur
				if len(toks) == 0 && len(l.stmts) > 0 {
					toks = l.stmts[len(l.stmts)-1].toks
				}
				if len(toks) > 0 && toks[len(toks)-1].line == l.line {
					toks[len(toks)-1].json = strings.TrimSpace(spec)
				}
			}
			l.annotation(text)
			l.i += end
		case strings.HasPrefix(rest, "/*"):
			if err := l.comment(); err != nil {
				return err
			}
		case c == '\'':
			s, err := l.quoted('\'', false)
			if err != nil {
				return err
			}
			l.emit(token{kind: tokString, text: s})
		case c == '"':
			s, err := l.quoted('"', false)
			if err != nil {
				return err
			}
			l.emit(token{kind: tokQuoted, text: s})
		case c == '$':
			if err := l.dollar(); err != nil {
				return err
			}
		case isIdentStart(c):
			word := l.word()
			if (word == "e" || word == "E") && l.i < len(l.src) && l.src[l.i] == '\'' {
				s, err := l.quoted('\'', true)
				if err != nil {
					return err
				}
				l.emit(token{kind: tokString, text: s})
				continue
			}
			l.emit(token{kind: tokWord, text: strings.ToLower(word)})
		case isDigit(c):
			start := l.i
			for l.i < len(l.src) && (isDigit(l.src[l.i]) || l.src[l.i] == '.') {
				l.i++
			}
			l.emit(token{kind: tokNumber, text: l.src[start:l.i]})
		case c == ';':
			l.i++
			if !l.inBlock {
				l.endStatement()
			} else {
				l.emit(token{kind: tokPunct, text: ";"})
			}
		case strings.HasPrefix(rest, "::"):
			l.i += 2
			l.emit(token{kind: tokPunct, text: "::"})
		default:
			l.i++
			l.emit(token{kind: tokPunct, text: string(c)})
		}
	}
	l.endStatement()
	return nil
}

// annotation handles a line comment, which may be a goose annotation.
func (l *lexer) annotation(text string) {
	directive, ok := strings.CutPrefix(text, "+goose ")
	if !ok {
		return
	}
	switch strings.TrimSpace(directive) {
	case "Up":
		l.endStatement()
		l.up = true
	case "Down":
		l.endStatement()
		l.up, l.done = false, true
	case "StatementBegin":
		l.endStatement()
		l.inBlock = true
	case "StatementEnd":
		l.endStatement()
		l.inBlock = false
	}
}

// comment reads a block comment: a schema template, or a comment to skip
// (block comments nest in Postgres).
func (l *lexer) comment() error {
	if m := template.FindStringSubmatch(l.src[l.i:]); m != nil {
		l.i += len(m[0])
		if m[1] == "" {
			name := l.word()
			if name == "" {
				return l.errorf("a %s template is not followed by a name", m[2])
			}
			l.emit(token{kind: tokTable, schema: m[2], text: strings.ToLower(name)})
			return nil
		}
		// TEMPLATE_NAME and TEMPLATE_LITERAL stand before a default
		// name or literal that the rendering replaces.
		switch {
		case l.i < len(l.src) && l.src[l.i] == '\'':
			if _, err := l.quoted('\'', false); err != nil {
				return err
			}
		default:
			l.word()
		}
		l.emit(token{kind: tokTemplate, schema: m[2]})
		return nil
	}
	depth := 0
	for l.i < len(l.src) {
		switch {
		case strings.HasPrefix(l.src[l.i:], "/*"):
			depth++
			l.i += 2
		case strings.HasPrefix(l.src[l.i:], "*/"):
			depth--
			l.i += 2
			if depth == 0 {
				return nil
			}
		default:
			if l.src[l.i] == '\n' {
				l.line++
			}
			l.i++
		}
	}
	return l.errorf("unterminated block comment")
}

// quoted reads a string or quoted identifier opened at l.i by quote, where a
// doubled quote stands for one; backslash escapes too in an E'...' string.
func (l *lexer) quoted(quote byte, backslash bool) (string, error) {
	startLine := l.line
	var b strings.Builder
	l.i++
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == quote && l.i+1 < len(l.src) && l.src[l.i+1] == quote:
			b.WriteByte(quote)
			l.i += 2
		case c == quote:
			l.i++
			return b.String(), nil
		case backslash && c == '\\' && l.i+1 < len(l.src):
			b.WriteByte(l.src[l.i+1])
			l.i += 2
		default:
			if c == '\n' {
				l.line++
			}
			b.WriteByte(c)
			l.i++
		}
	}
	l.line = startLine
	return "", l.errorf("unterminated %c quote", quote)
}

// dollar reads a parameter ($1) or a dollar-quoted string ($tag$...$tag$).
func (l *lexer) dollar() error {
	j := l.i + 1
	if j < len(l.src) && isDigit(l.src[j]) {
		for j < len(l.src) && isDigit(l.src[j]) {
			j++
		}
		l.emit(token{kind: tokParam, text: l.src[l.i:j]})
		l.i = j
		return nil
	}
	for j < len(l.src) && isIdentPart(l.src[j]) && l.src[j] != '$' {
		j++
	}
	if j >= len(l.src) || l.src[j] != '$' {
		l.i++
		l.emit(token{kind: tokPunct, text: "$"})
		return nil
	}
	tag := l.src[l.i : j+1]
	end := strings.Index(l.src[j+1:], tag)
	if end < 0 {
		return l.errorf("unterminated dollar quote %s", tag)
	}
	body := l.src[j+1 : j+1+end]
	l.emit(token{kind: tokDollar, text: body})
	l.line += strings.Count(body, "\n")
	l.i = j + 1 + end + len(tag)
	return nil
}

func (l *lexer) word() string {
	start := l.i
	if l.i < len(l.src) && isIdentStart(l.src[l.i]) {
		for l.i < len(l.src) && isIdentPart(l.src[l.i]) {
			l.i++
		}
	}
	return l.src[start:l.i]
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
