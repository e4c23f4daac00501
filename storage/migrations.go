package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one numbered schema step. Steps are append-only: never edit a released one,
// add the next number instead.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists every schema step in increasing order of version. A version may be
// missing (reserved for a branch not merged yet): each step is applied when the database's
// version is below it.
var migrations = []migration{
	{1, "foundation: groups, members, audit log, outbox, processed messages", schemaFoundation},
	{2, "activity counters and job runs", schemaActivityJobs},
	{3, "removal requests", schemaRemovals},
	{4, "moderation: strikes, mutes, whitelist, promotions", schemaModeration},
	{5, "engagement: points ledger and balances, check-ins, auto-reply cooldowns", schemaEngagement},
	{6, "schedules: post rotation, silent-member steps, entry screening", schemaSchedule},
	{7, "outbox: claimed_at marks a message being handed to the platform", schemaOutboxClaim},
	{8, "outbox: images (the weekly chart)", schemaOutboxImages},
	{9, "hot path: drop indexes every message updated that no frequent query needs", schemaHotPath},
	{10, "points ledger indexes: by day for the daily cap, by member alone for history", schemaLedgerByDay},
	{11, "points ledger: no index by member (nothing reads a member's history in a hot path)", schemaLedgerNoMemberIndex},
	{12, "members: when each last spoke moves to a narrow table of its own", schemaMemberSpoke},
	{13, "processed: keyed by message id first, so new ids append", schemaProcessedByMsg},
	{14, "points balances settled from the ledger in bulk instead of by a trigger per entry", schemaSettledBalances},
	{15, "platforms with stable ids: groups by platform id, members' platform roles, one-time owner notices", schemaPlatformIDs},
	{16, "community: newcomer tasks, invites, thanks, lotteries, polls, chains; new ledger reasons", schemaCommunity},
	{17, "outbox: a message's class (the bot's own posts) and when the daily post cap held it back", schemaOutboxClass},
	{18, "classifier: review requests, the owner's labelled examples, learned weight corrections", schemaClassifier},
	{19, "blocklist: members removed for moderation or listed by 拉黑, and who matched them on joining", schemaBlocklist},
}

// SchemaVersion is the newest schema this build knows.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

const schemaFoundation = `
CREATE TABLE groups (
	key        INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	first_seen INTEGER NOT NULL
);
CREATE TABLE members (
	key          INTEGER PRIMARY KEY,
	group_key    INTEGER NOT NULL REFERENCES groups(key),
	platform_id  TEXT NOT NULL DEFAULT '',
	nickname     TEXT NOT NULL,
	display_name TEXT NOT NULL DEFAULT '',
	attr_status  INTEGER NOT NULL DEFAULT 0,
	first_seen   INTEGER NOT NULL,
	joined_at    INTEGER,
	left_at      INTEGER,
	last_spoke   INTEGER,
	welcomed     INTEGER NOT NULL DEFAULT 1,
	role         TEXT NOT NULL DEFAULT 'member'
);
CREATE INDEX members_by_platform_id ON members(group_key, platform_id);
CREATE INDEX members_by_name ON members(group_key, nickname);
CREATE INDEX members_unwelcomed ON members(group_key) WHERE welcomed = 0;

CREATE TABLE audit (
	id         INTEGER PRIMARY KEY,
	time       INTEGER NOT NULL,
	group_key  INTEGER,
	member_key INTEGER,
	actor      TEXT NOT NULL DEFAULT 'bot',
	action     TEXT NOT NULL,
	detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_time ON audit(time);
CREATE INDEX audit_by_member ON audit(member_key, time);

CREATE TABLE outbox (
	id        INTEGER PRIMARY KEY,
	created   INTEGER NOT NULL,
	kind      TEXT NOT NULL,
	group_key INTEGER,
	target    TEXT NOT NULL DEFAULT '',
	text      TEXT NOT NULL DEFAULT '',
	mentions  TEXT NOT NULL DEFAULT '[]',
	attempts  INTEGER NOT NULL DEFAULT 0,
	next_try  INTEGER NOT NULL,
	sent_at   INTEGER,
	failed_at INTEGER,
	error     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox(id) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE processed (
	group_key INTEGER NOT NULL,
	msg_id    TEXT NOT NULL,
	time      INTEGER NOT NULL,
	PRIMARY KEY (group_key, msg_id)
) WITHOUT ROWID;
CREATE INDEX processed_by_time ON processed(time);
`

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema table in %s: %w（文件可能不是 qunbot 数据库或已损坏 / not a qunbot database or corrupt）", s.path, err)
	}
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	if newest := SchemaVersion(); current > newest {
		return fmt.Errorf("数据库 %s 的结构版本是 %d，本程序只支持到 %d：请升级 qunbot，或换用旧数据库的备份 / database schema version %d is newer than this build supports (%d): upgrade qunbot",
			s.path, current, newest, current, newest)
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, m migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d (%s): begin: %w", m.version, m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixMilli()); err != nil {
		return fmt.Errorf("migration %d (%s): record: %w", m.version, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d (%s): commit: %w", m.version, m.name, err)
	}
	return nil
}

// Version reports the schema version recorded in the database.
func (s *Store) Version(ctx context.Context) (int, error) {
	s.txMu.Lock() // between units of work, never inside one (see Store)
	defer s.txMu.Unlock()
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// IntegrityCheck runs SQLite's integrity check and returns its complaints (none when ok).
func (s *Store) IntegrityCheck(ctx context.Context) ([]string, error) {
	s.txMu.Lock()
	defer s.txMu.Unlock()
	rows, err := s.db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			out = append(out, line)
		}
	}
	return out, rows.Err()
}
