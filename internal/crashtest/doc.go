// Package crashtest holds qunbot's crash-consistency harness (tests only): it runs the real
// `bot sim` binary on a long generated script, kills it with SIGKILL at random points,
// restarts it on the same database, and checks the invariants the design promises (no
// point paid twice, every strike audited, no queued message lost or silently sent twice,
// scheduled jobs never doubled, an intact database). See docs/RELIABILITY.md.
package crashtest
