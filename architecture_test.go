package qunbot

import (
	"bufio"
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestArchitectureDependencies keeps docs/ARCHITECTURE.md's package table true: every
// package of the module has a row, and its "depends on" column names exactly the package's
// imports within qunbot (in backticks) and outside the standard library (plain words, each
// a part of the import path: yaml.v3, robfig/cron). Test-only packages are described by
// their tests' imports.
func TestArchitectureDependencies(t *testing.T) {
	rows := architectureTable(t)
	pkgs := modulePackages(t)
	for _, dir := range pkgs {
		name := "qunbot"
		if dir != "." {
			name = filepath.ToSlash(dir)
		}
		row, ok := rows[name]
		if !ok {
			t.Errorf("docs/ARCHITECTURE.md has no row for package %s", name)
			continue
		}
		delete(rows, name)
		internal, external := imports(t, dir)
		if !slices.Equal(row.internal, internal) {
			t.Errorf("%s: the table says it depends on %v; its imports in qunbot are %v", name, row.internal, internal)
		}
		for _, word := range row.external {
			if !slices.ContainsFunc(external, func(p string) bool { return strings.Contains(p, word) }) {
				t.Errorf("%s: the table names %s, which it does not import (imports %v)", name, word, external)
			}
		}
		for _, p := range external {
			if !slices.ContainsFunc(row.external, func(word string) bool { return strings.Contains(p, word) }) {
				t.Errorf("%s imports %s, which its row does not name", name, p)
			}
		}
	}
	for name := range rows {
		t.Errorf("docs/ARCHITECTURE.md describes %s, which is not a package", name)
	}
}

type tableRow struct{ internal, external []string }

// architectureTable reads the ## Packages table: package → its "depends on" column.
func architectureTable(t *testing.T) map[string]tableRow {
	t.Helper()
	f, err := os.Open("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	notes := regexp.MustCompile(`\s*\([^)]*\)`)
	rows := map[string]tableRow{}
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Packages"
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 3 {
			t.Fatalf("package table row with %d cells: %s", len(cells), line)
		}
		name := strings.Trim(strings.TrimSpace(cells[0]), "`")
		var row tableRow
		deps := strings.TrimSpace(notes.ReplaceAllString(cells[2], ""))
		if deps != "—" {
			for _, d := range strings.Split(deps, ",") {
				d = strings.TrimSpace(d)
				if strings.HasPrefix(d, "`") {
					row.internal = append(row.internal, strings.Trim(d, "`"))
				} else {
					row.external = append(row.external, d)
				}
			}
		}
		slices.Sort(row.internal)
		rows[name] = row
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no ## Packages table in docs/ARCHITECTURE.md")
	}
	return rows
}

// modulePackages are the directories holding Go packages (testdata and hidden ones aside).
func modulePackages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		base := d.Name()
		if path != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata") {
			return filepath.SkipDir
		}
		if _, err := build.ImportDir(path, 0); err == nil {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// testOnly: the package's non-test files only document it (internal/crashtest's doc.go).
func testOnly(dir string, p *build.Package) bool {
	for _, f := range p.GoFiles {
		src, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return false
		}
		for _, l := range strings.Split(string(src), "\n") {
			if l != "" && !strings.HasPrefix(l, "//") && !strings.HasPrefix(l, "package ") {
				return false
			}
		}
	}
	return true
}

// imports are a package's imports within qunbot (as table names: "bot/config", "qunbot"
// for the root) and outside the standard library; a test-only package's tests' imports.
func imports(t *testing.T, dir string) (internal, external []string) {
	t.Helper()
	p, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	list := p.Imports
	if testOnly(dir, p) {
		list = append(slices.Clone(p.TestImports), p.XTestImports...)
	}
	self := "qunbot/" + filepath.ToSlash(dir)
	for _, imp := range list {
		switch {
		case imp == self:
		case imp == "qunbot":
			internal = append(internal, "qunbot")
		case strings.HasPrefix(imp, "qunbot/"):
			internal = append(internal, strings.TrimPrefix(imp, "qunbot/"))
		case strings.Contains(strings.Split(imp, "/")[0], "."):
			external = append(external, imp)
		}
	}
	slices.Sort(internal)
	return slices.Compact(internal), slices.Compact(external)
}
