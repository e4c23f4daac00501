package storage

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every table of the schema has a cache rule, and no rule names a table that is gone: a
// new table is added to cacheRules on purpose, saying what (if anything) caches it.
func TestEveryTableHasACacheRule(t *testing.T) {
	s, _ := openTemp(t)
	rows, err := s.DB().QueryContext(context.Background(),
		`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		seen[name] = true
		if _, ok := cacheRules[name]; !ok {
			t.Errorf("table %s has no entry in cacheRules (rules.go): say what caches it, if anything (doc.go)", name)
		}
	}
	for name := range cacheRules {
		if !seen[name] {
			t.Errorf("cacheRules names %s, which the schema does not have", name)
		}
	}
	for _, k := range queueKinds {
		if r := cacheRules[k.kindName()]; !r.queued {
			t.Errorf("table %s has a write queue but its cache rule does not say queued", k.kindName())
		}
	}
}

var sqlWrite = regexp.MustCompile(`(?i)\b(INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)`)

// Every SQL literal in the package that writes a table whose rule names its writers sits
// in one of them, or is handed to one (a write helper): an UPDATE members outside the helpers, say, would leave a cached row
// stale. Migrations (schema constants, run by migrate) are not function literals here.
func TestCachedTablesWrittenOnlyByTheirWriters(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			// The function each literal is handed to, when it is a call's argument
			// (t.execMember(key, `UPDATE members …`)).
			callee := map[*ast.BasicLit]string{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
						for _, a := range call.Args {
							if lit, ok := a.(*ast.BasicLit); ok {
								callee[lit] = sel.Sel.Name
							}
						}
					}
				}
				return true
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				text, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				for _, m := range sqlWrite.FindAllStringSubmatch(text, -1) {
					verb, table := strings.ToUpper(m[1]), m[2]
					if strings.EqualFold(table, "SET") { // ON CONFLICT … DO UPDATE SET
						continue
					}
					rule, ok := cacheRules[table]
					if !ok {
						continue // TestEveryTableHasACacheRule names it
					}
					allowed := rule.write
					if strings.HasPrefix(verb, "INSERT") || strings.HasPrefix(verb, "REPLACE") {
						allowed = rule.insert
					}
					checked++
					if allowed != nil && !slices.Contains(allowed, fn.Name.Name) && !slices.Contains(allowed, callee[lit]) {
						t.Errorf("%s: %s writes %s (%s), but only %v may (cacheRules, rules.go)",
							fset.Position(lit.Pos()), fn.Name.Name, table, verb, allowed)
					}
				}
				return true
			})
		}
	}
	if checked < 20 {
		t.Errorf("only %d SQL writes found in the package: the scan is broken", checked)
	}
}
