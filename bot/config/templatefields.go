package config

import (
	"reflect"
	"slices"
	"strings"
	"text/template/parse"
)

// unknownFields lists the {{.Name}}s a template uses that its data does not have, in
// every branch: running the template on sample data (checkTemplate) only sees the
// branches the sample takes, and an owner's {{if .MinIntro}}{{.Intor}}{{end}} must be
// refused by bot check, not found by a member on the day the branch runs. Inside
// {{with}} and {{range}} the dot is something else, so fields there are not judged.
func unknownFields(t Template, data any) []string {
	if t.tmpl == nil || t.tmpl.Tree == nil {
		return nil
	}
	typ := reflect.TypeOf(data)
	if typ.Kind() != reflect.Struct {
		return nil
	}
	var bad []string
	var walk func(n parse.Node, dotIsData bool)
	walk = func(n parse.Node, dotIsData bool) {
		switch n := n.(type) {
		case nil:
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c, dotIsData)
			}
		case *parse.ActionNode:
			walk(n.Pipe, dotIsData)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c, dotIsData)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a, dotIsData)
			}
		case *parse.ChainNode:
			walk(n.Node, dotIsData)
		case *parse.FieldNode:
			if dotIsData && len(n.Ident) > 0 {
				if _, ok := typ.FieldByName(n.Ident[0]); !ok && !slices.Contains(bad, n.Ident[0]) {
					bad = append(bad, n.Ident[0])
				}
			}
		case *parse.IfNode:
			walk(n.Pipe, dotIsData)
			walk(n.List, dotIsData)
			walk(n.ElseList, dotIsData)
		case *parse.WithNode:
			walk(n.Pipe, dotIsData)
			walk(n.List, false)
			walk(n.ElseList, dotIsData)
		case *parse.RangeNode:
			walk(n.Pipe, dotIsData)
			walk(n.List, false)
			walk(n.ElseList, dotIsData)
		case *parse.TemplateNode:
			walk(n.Pipe, dotIsData)
		}
	}
	walk(t.tmpl.Tree.Root, true)
	return bad
}

// knownFields reports unknown fields at path, with the variables the data offers.
func knownFields(t Template, data any, path string, at reporter) bool {
	bad := unknownFields(t, data)
	if len(bad) == 0 {
		return true
	}
	names := make([]string, len(bad))
	for i, b := range bad {
		names[i] = "{{." + b + "}}"
	}
	at(path, "模板用了不存在的变量 %s（可用变量 / variables: %s）/ unknown variable", strings.Join(names, "、"), sampleVars(data))
	return false
}
