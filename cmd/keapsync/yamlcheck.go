package main

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// position is where a value sits in the configuration file.
type position struct {
	line, col int
	path      string
}

// shapeChecker walks a parsed YAML document alongside the Go type it
// decodes into, before decoding: it reports every unknown key (with a
// suggestion), every value of the wrong kind (a fraction where a whole
// number belongs, a list where a word does), and records where each value
// sits, so later errors can name their line.
type shapeChecker struct {
	problems  []configProblem
	positions []position // in document order
}

var durationType = reflect.TypeFor[duration]()

func (c *shapeChecker) check(n ast.Node, t reflect.Type, path string) {
	n = unwrap(n)
	if n == nil {
		return
	}
	tok := n.GetToken()
	c.positions = append(c.positions, position{line: tok.Position.Line, col: tok.Position.Column, path: path})
	if _, null := n.(*ast.NullNode); null {
		return
	}
	if _, alias := n.(*ast.AliasNode); alias {
		return // the decoder resolves it; its anchor was checked
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bad := func(want string) {
		c.problems = append(c.problems, configProblem{line: tok.Position.Line, path: path,
			msg: fmt.Sprintf("want %s, got %s", want, describe(n))})
	}
	if t == durationType {
		s, ok := n.(*ast.StringNode)
		if !ok {
			bad("a duration with a unit, like 30s or 5m")
			return
		}
		var d duration
		if err := d.UnmarshalText([]byte(s.Value)); err != nil {
			bad("a duration with a unit, like 30s or 5m")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := n.(*ast.MappingNode)
		if !ok {
			if mv, single := n.(*ast.MappingValueNode); single {
				m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
			} else {
				bad("a mapping of keys")
				return
			}
		}
		fields := yamlFields(t)
		for _, mv := range m.Values {
			key := mv.Key.GetToken().Value
			ft, known := fields[key]
			if !known {
				msg := fmt.Sprintf("unknown key %q", key)
				if s := suggest(key, fields); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				c.problems = append(c.problems, configProblem{line: mv.Key.GetToken().Position.Line, path: path, msg: msg})
				continue
			}
			c.check(mv.Value, ft, joinPath(path, key))
		}
	case reflect.Slice:
		s, ok := n.(*ast.SequenceNode)
		if !ok {
			bad("a list")
			return
		}
		for i, v := range s.Values {
			c.check(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.String:
		switch n.(type) {
		case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.LiteralNode, *ast.InfinityNode, *ast.NanNode:
		default:
			bad("a single value")
		}
	case reflect.Int, reflect.Int64:
		if _, ok := n.(*ast.IntegerNode); !ok {
			bad("a whole number")
		}
	case reflect.Float64:
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			bad("a number")
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			bad("true or false")
		}
	}
}

// unwrap returns the value under tags, anchors and comments.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.DocumentNode:
			n = v.Body
		default:
			return n
		}
	}
}

// describe names what a node is, for messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return fmt.Sprintf("%q", v.Value)
	}
	return fmt.Sprintf("%q", n.GetToken().Value)
}

// yamlFields maps the yaml keys of struct type t to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the known key closest to key, if close enough to be a
// typo.
func suggest(key string, known map[string]reflect.Type) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestDist := "", 1<<30
	for _, k := range names {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist <= 2 && bestDist < len(key) {
		return best
	}
	for _, k := range names { // an abbreviation: sched for schedule
		if len(key) >= 3 && strings.HasPrefix(k, key) {
			return k
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// lineOf returns the line of the value at path, 0 when it is not in the
// file (a default).
func (c *shapeChecker) lineOf(path string) int {
	for _, p := range c.positions {
		if p.path == path {
			return p.line
		}
	}
	return 0
}

// pathAt returns the path of the value at line and col: the last value on
// that line starting at or before col.
func (c *shapeChecker) pathAt(line, col int) string {
	best := ""
	for _, p := range c.positions {
		if p.line == line && p.col <= col {
			best = p.path
		}
	}
	return best
}
