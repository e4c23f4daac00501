package holiday

import (
	"strings"
	"testing"
)

// FuzzParse: holidays_file is a YAML file the owner downloads or edits. Parsing must never
// panic; an error names the file, and a table it accepts answers for any year.
func FuzzParse(f *testing.F) {
	f.Add([]byte("years:\n  - year: 2027\n    status: official\n    holidays:\n      - {name: 元旦, date: 2027-01-01, off: [2027-01-01, 2027-01-03], workdays: [2027-01-04]}\n    festivals:\n      - {name: 元宵节, date: 2027-02-20}\n"))
	f.Add([]byte("years:\n  - year: 2027\n    status: statutory\n    holidays:\n      - {name: 春节, date: 2027-02-06, off: [2027-02-10, 2027-02-01]}\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Add([]byte("2027: [1, 2]\n"))
	f.Add([]byte("*a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(data, "h.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "h.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, y := range tab.Years() {
			tab.Year(y.Year)
		}
	})
}
