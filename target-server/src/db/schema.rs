//! Tables, indexes and seed data. Every statement is idempotent so the same
//! migration runs on a fresh database and on a file left by an earlier run.
//!
//! Each index exists for a query in `store`: `users.name` for login,
//! `sessions.token` (primary key) for auth, `conversations(user_id, id)` for
//! the newest-first conversation list and `messages(conversation_id, id)` for
//! history pages. The `query_plans_use_indexes` test checks this.

use rusqlite::Connection;

/// The bots every server starts with: (id, name, persona).
pub(crate) const SEED_BOTS: &[(i64, &str, &str)] = &[
    (
        1,
        "Ada",
        "a precise engineer who answers in short, exact sentences",
    ),
    (
        2,
        "Basil",
        "a cheerful chef who relates everything to cooking",
    ),
    (
        3,
        "Cleo",
        "a patient teacher who explains things step by step",
    ),
    (
        4,
        "Dex",
        "a terse operations engineer who talks in status reports",
    ),
    (
        5,
        "Echo",
        "a playful parrot who repeats the best words back",
    ),
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token      TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bots (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    persona TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    bot_id     INTEGER NOT NULL REFERENCES bots(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations(user_id, id);
CREATE TABLE IF NOT EXISTS messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    role            TEXT    NOT NULL CHECK (role IN ('user', 'bot')),
    text            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
";

/// Creates missing tables and indexes and (re)inserts the seed bots.
pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let mut insert = conn.prepare(
        "INSERT INTO bots (id, name, persona) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, persona = excluded.persona",
    )?;
    for (id, name, persona) in SEED_BOTS {
        insert.execute((id, name, persona))?;
    }
    Ok(())
}
