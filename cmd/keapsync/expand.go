package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// expansion is one ${VAR} reference replaced in a configuration file.
type expansion struct {
	line, col int // 1-based, in the expanded text
	name      string
	defaulted bool   // the variable was unset or empty and a default was given
	value     string // what the reference was replaced with
}

// expandError is a reference that could not be expanded: an unset
// variable without default, or a malformed reference.
type expandError struct {
	line, col int
	reason    string
}

// varName is a variable name as the shell accepts it.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// plainSafe is a value that stays the same scalar when written unquoted:
// numbers, booleans and simple words. Anything else is quoted.
var plainSafe = regexp.MustCompile(`^[A-Za-z0-9_.+-][A-Za-z0-9_./+=@-]*$`)

// expandEnv replaces ${VAR} and ${VAR:-default} in the YAML text src with
// the values getenv gives, outside comments. $${ stands for a literal ${.
// The result keeps every line where it was (values never add a line), so
// the positions the YAML parser reports still name the file's lines. A
// value is written so the YAML structure cannot change: quoted (and
// escaped) when the reference stands alone as a value and the value is not
// a plain word or number, escaped for the quotes it sits in otherwise.
func expandEnv(src string, getenv func(string) (string, bool)) (string, []expansion, []expandError) {
	var (
		out  strings.Builder
		exps []expansion
		errs []expandError
	)
	lines := strings.SplitAfter(src, "\n")
	for i, line := range lines {
		lineNo := i + 1
		var (
			quote     byte // 0, '\'' or '"' while inside a quoted scalar
			lineOut   strings.Builder
			prev      byte = ' '
			inComment bool
		)
		for j := 0; j < len(line); j++ {
			c := line[j]
			if inComment {
				lineOut.WriteByte(c)
				continue
			}
			switch {
			case quote == 0 && c == '#' && (prev == ' ' || prev == '\t'):
				inComment = true
				lineOut.WriteByte(c)
			case quote == 0 && (c == '\'' || c == '"') && startsScalar(prev):
				quote = c
				lineOut.WriteByte(c)
			case quote == '"' && c == '\\' && j+1 < len(line):
				lineOut.WriteByte(c)
				lineOut.WriteByte(line[j+1])
				j++
			case quote != 0 && c == quote:
				if quote == '\'' && j+1 < len(line) && line[j+1] == '\'' { // '' inside '...'
					lineOut.WriteString("''")
					j++
					break
				}
				quote = 0
				lineOut.WriteByte(c)
			case c == '$' && strings.HasPrefix(line[j:], "$${"):
				lineOut.WriteString("${")
				j += 2
			case c == '$' && strings.HasPrefix(line[j:], "${"):
				end := strings.IndexByte(line[j:], '}')
				col := lineOut.Len() + 1
				if end < 0 {
					errs = append(errs, expandError{line: lineNo, col: col, reason: "unterminated ${ (write $${ for a literal ${)"})
					lineOut.WriteString(line[j:])
					j = len(line)
					break
				}
				ref := line[j+2 : j+end]
				name, def, hasDef := strings.Cut(ref, ":-")
				if !varName.MatchString(name) {
					errs = append(errs, expandError{line: lineNo, col: col, reason: fmt.Sprintf("${%s}: %q is not a variable name", ref, name)})
					j += end
					break
				}
				val, set := getenv(name)
				defaulted := false
				if !set || (val == "" && hasDef) {
					if !hasDef {
						errs = append(errs, expandError{line: lineNo, col: col,
							reason: fmt.Sprintf("${%s} is not set (export %s, or give a default: ${%s:-value})", name, name, name)})
					}
					val, defaulted = def, true
				}
				whole := quote == 0 && startsScalar(prev) && endsScalar(line[j+end+1:])
				if quote == 0 && !whole && breaksPlain(val) {
					errs = append(errs, expandError{line: lineNo, col: col,
						reason: fmt.Sprintf("${%s} is part of an unquoted value and its value holds YAML syntax: put the whole value in double quotes", name)})
				}
				lineOut.WriteString(yamlEscape(val, quote, whole))
				exps = append(exps, expansion{line: lineNo, col: col, name: name, defaulted: defaulted, value: val})
				j += end
			default:
				lineOut.WriteByte(c)
			}
			if j < len(line) {
				prev = line[j]
			}
		}
		out.WriteString(lineOut.String())
	}
	return out.String(), exps, errs
}

// startsScalar reports whether a scalar may start after the byte prev.
func startsScalar(prev byte) bool {
	return prev == ' ' || prev == '\t' || prev == '[' || prev == '{' || prev == ','
}

// endsScalar reports whether rest (the line after a reference) ends the
// scalar the reference is in.
func endsScalar(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	return rest == "" || rest[0] == '\n' || rest[0] == '\r' || rest[0] == ',' || rest[0] == '}' || rest[0] == ']' || rest[0] == '#'
}

// yamlEscape writes val for its place: inside double or single quotes,
// as a whole unquoted value, or inside a longer unquoted value.
func yamlEscape(val string, quote byte, whole bool) string {
	switch {
	case quote == '"':
		q := strconv.Quote(val)
		return q[1 : len(q)-1]
	case quote == '\'':
		return strings.ReplaceAll(val, "'", "''")
	case whole && val == "":
		return `""`
	case whole && !plainSafe.MatchString(val):
		return strconv.Quote(val)
	}
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(val) // reported by expandEnv
}

// breaksPlain reports whether val, inside an unquoted scalar, would end it
// or start a comment.
func breaksPlain(val string) bool {
	return strings.ContainsAny(val, "\n\r") || strings.Contains(val, ": ") || strings.Contains(val, " #") ||
		strings.HasSuffix(val, ":")
}
