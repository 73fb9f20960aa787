package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// schemaID is where the JSON Schema of keapsync.yaml is published in the
// repository; config.example.yaml names it for editors.
const schemaID = "https://raw.githubusercontent.com/keapsync/keapsync/main/docs/keapsync.schema.json"

// envReference matches a value written as ${VAR} or ${VAR:-default}: any
// key may take one, expanded before the file is checked, so the schema
// (which an editor applies to the file as written) admits it wherever a
// number or a word belongs.
const envReference = `^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$`

// durationPattern matches what time.ParseDuration takes with a unit, or
// whole days ("30d").
const durationPattern = `^([-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+|[0-9]+d)$`

// configSchema is the JSON Schema (draft 2020-12) of the configuration
// file, generated from fileConfig, the structure the loader decodes and
// checks the file's shape against (shapeChecker): the same keys, the same
// kinds of value, the documented enums and bounds. What only the loader can
// check (a cron expression, a URL's scheme, a reserve below per_day) it
// leaves to keapsync config check.
func configSchema() map[string]any {
	root := schemaOf(reflect.TypeFor[fileConfig](), "")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = schemaID
	root["title"] = "keapsync configuration (keapsync.yaml)"
	root["description"] = "Every key of keapsync's configuration file; config.example.yaml explains each. Any value may be written as ${VAR} or ${VAR:-default}."
	root["required"] = []string{"database_url", "accounts"}
	root["$defs"] = map[string]any{
		"env": map[string]any{"type": "string", "pattern": envReference, "description": "An environment variable, expanded when the file is read."},
	}
	return root
}

// schemaOf is the schema of a value of type t, described by doc.
func schemaOf(t reflect.Type, doc string) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s := map[string]any{}
	if doc != "" {
		s["description"] = doc
	}
	switch {
	case t == durationType:
		s["type"] = "string"
		s["pattern"] = durationPattern
	case t.Kind() == reflect.Struct:
		s["type"] = "object"
		s["additionalProperties"] = false
		props := map[string]any{}
		var required []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := schemaOf(f.Type, f.Tag.Get("doc"))
			constrain(p, f.Tag)
			props[name] = nullable(p)
			if f.Tag.Get("required") == "true" {
				required = append(required, name)
			}
		}
		s["properties"] = props
		if required != nil {
			s["required"] = required
		}
	case t.Kind() == reflect.Slice:
		s["type"] = "array"
		s["items"] = schemaOf(t.Elem(), "")
	case t.Kind() == reflect.String:
		s["type"] = "string"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s["type"] = "number"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s["type"] = "integer"
	case t.Kind() == reflect.Bool:
		s["type"] = "boolean"
	default:
		panic(fmt.Sprintf("configSchema: no schema for %s", t))
	}
	return s
}

// constrain adds a field's enum, pattern and bounds (struct tags) to its
// schema p: to p's items when p is an array.
func constrain(p map[string]any, tag reflect.StructTag) {
	target := p
	if items, ok := p["items"].(map[string]any); ok {
		target = items
	}
	if e := tag.Get("enum"); e != "" {
		values := strings.Split(e, ",")
		if e == "streams" {
			values = streamNames()
		}
		target["enum"] = values
	}
	if e := tag.Get("enumFold"); e != "" {
		// ECMA-262 patterns have no case-insensitive flag: each letter is
		// a class of its two cases.
		var alts []string
		for _, v := range strings.Split(e, ",") {
			var b strings.Builder
			for _, r := range v {
				fmt.Fprintf(&b, "[%s%s]", strings.ToLower(string(r)), strings.ToUpper(string(r)))
			}
			alts = append(alts, b.String())
		}
		target["pattern"] = "^(" + strings.Join(alts, "|") + ")$"
	}
	if e := tag.Get("pattern"); e != "" {
		target["pattern"] = e
	}
	for _, bound := range []string{"minimum", "maximum", "exclusiveMinimum"} {
		if v := tag.Get(bound); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				panic(fmt.Sprintf("configSchema: %s %q", bound, v))
			}
			target[bound] = n
		}
	}
}

// nullable admits, besides p, a null (a key written without a value takes
// its default, as the loader reads it) and, for a value other than an
// object or a list, an environment variable reference.
func nullable(p map[string]any) map[string]any {
	alts := []any{p, map[string]any{"type": "null"}}
	if t := p["type"]; t != "object" && t != "array" {
		alts = append(alts, map[string]any{"$ref": "#/$defs/env"})
	}
	out := map[string]any{"anyOf": alts}
	if d, ok := p["description"]; ok {
		out["description"] = d
	}
	return out
}

// configSchemaJSON is the schema as the repository holds it.
func configSchemaJSON() []byte {
	b, err := json.MarshalIndent(configSchema(), "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

func (a *app) configSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the configuration file",
		Long: `Schema prints the JSON Schema (draft 2020-12) of keapsync.yaml, generated from
the structure the loader checks: for editors (the yaml-language-server line of
config.example.yaml names the published copy, docs/keapsync.schema.json) and
for checking files in CI. keapsync config check remains the whole check.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := a.stdout.Write(configSchemaJSON())
			return err
		},
	}
}
