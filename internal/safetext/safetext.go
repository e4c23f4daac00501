// Package safetext renders text that members wrote (a report's reason, a message quoted as
// evidence, a nickname) for the owner's console or an admin's eyes, so that it can never
// pass for the bot's own voice: it stays on one line, inside its quotes and within a length
// cap, and whatever a reader cannot see is shown by its code point.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps for the usual kinds of member text.
const (
	NameMax   = 32  // a nickname or group display name
	ReasonMax = 200 // a report's reason
	TextMax   = 120 // a message quoted as evidence
)

// Quote returns s on one line, at most max runes long (an ellipsis marks a cut), with:
//   - invalid UTF-8 replaced by U+FFFD;
//   - control characters (newlines and NUL included), format characters (bidi overrides such
//     as U+202E, zero-width spaces and joiners, the BOM) and line/paragraph separators shown
//     as the visible text "U+XXXX", never passed through;
//   - the corner brackets 「」 the bot quotes with turned into 『』, so a quote cannot be
//     closed from inside it.
//
// A newline in a report therefore shows up as "U+000A" on the same line: the owner sees
// that something was pasted, and nothing after it can start a line of its own.
func Quote(s string, max int) string {
	if max < 1 {
		max = 1
	}
	var b strings.Builder
	n := 0 // runes written
	cut := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		var piece string
		switch {
		case r == utf8.RuneError && size <= 1:
			piece = "\uFFFD"
		case r == '「':
			piece = "『"
		case r == '」':
			piece = "』"
		case Hidden(r):
			piece = fmt.Sprintf("U+%04X", r)
		default:
			piece = string(r)
		}
		w := utf8.RuneCountInString(piece)
		if n+w > max || (n+w == max && i < len(s)) {
			cut = true
			break
		}
		b.WriteString(piece)
		n += w
	}
	if cut {
		return b.String() + "…"
	}
	return b.String()
}

// Name is a member's name quoted for the owner (Quote with NameMax).
func Name(s string) string { return Quote(s, NameMax) }

// Hidden reports a rune that Quote shows by its code point: control (Cc), format (Cf:
// bidi marks and overrides, zero-width characters) and line or paragraph separators.
func Hidden(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}
