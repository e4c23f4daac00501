package config

import (
	"strings"
	"testing"
)

// wantProblem is one problem a test expects: its line, key path and part of its message.
type wantProblem struct {
	line int
	path string
	msg  string
}

// expectProblems checks that err lists every wanted problem (in any order) and, when exact,
// nothing else. It returns the parsed error for further checks.
func expectProblems(t *testing.T, err error, want []wantProblem, exact bool) *Error {
	t.Helper()
	cerr, ok := AsError(err)
	if !ok {
		t.Fatalf("want *config.Error, got %v", err)
	}
	if exact && len(cerr.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(cerr.Problems), len(want), err)
	}
	for _, w := range want {
		found := false
		for _, p := range cerr.Problems {
			if p.Line == w.line && p.Path == w.path && strings.Contains(p.Msg, w.msg) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no problem at line %d %s mentioning %q in:\n%v", w.line, w.path, w.msg, err)
		}
	}
	return cerr
}
