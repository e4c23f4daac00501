// Package rules is qunbot's moderation logic, pure: no I/O beyond the
// embedded word lists, no clock (times come in as arguments), no logging and
// no package-level mutable state. Everything a check decides comes back as a
// Result with a stable check id, the rule that fired and a Chinese reason,
// so every action can be explained to the member, audited and dry-run.
//
// The pieces:
//
//   - Normalize maps text to a canonical form (full-width, case, traditional
//     → simplified, styled digits and letters, Chinese numerals in runs of
//     three or more) and drops noise, keeping each rune's original byte span.
//   - Matcher is a rune-level Aho–Corasick automaton over normalised text
//     with variant expansion for high-risk words (variants.go), ASCII word
//     boundaries and an allow-list.
//   - The content detectors find phone numbers, QQ numbers, WeChat ids,
//     links (including spelled-out ones) and zero-width padding.
//   - Ruleset composes matcher, detectors, message-kind and nickname checks
//     with per-check policies; it is immutable and safe for concurrent use.
//   - Flood, Duplicates and PromoQuota are the stateful windows, owned by
//     the engine, with bounded memory.
//   - Ladder turns a strike count into warn → mute → remove.
//
// Decisions worth knowing:
//
//   - Noise: at most three visible noise characters in a row are bridged,
//     four make a hard break no match crosses. Invisible characters
//     (zero-width, bidi controls, combining marks, variation selectors) are
//     dropped without counting, or four of them would hide any keyword.
//   - ASCII keywords stand on word boundaries: an edge that is an ASCII
//     letter or digit must not touch another one in the original (after
//     normalisation, so full-width letters count). "vx" does not match in
//     "vxlan", "qq" not in "qqq123", and also not in "qq123456" — numbers
//     after a contact word are the QQ and WeChat-id detectors' business.
//   - Reasons never repeat a contact they punish (phone, QQ, WeChat id,
//     link are masked); Evidence keeps the original for the audit log.
package rules
