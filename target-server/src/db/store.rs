//! Every SQL statement the server runs, as plain functions over a
//! connection. They are synchronous: callers run them through
//! `Db::read`/`Db::write`, which keep them off the async runtime.

use rusqlite::{Connection, OptionalExtension, Row};

use crate::model::{Bot, Conversation, Message, Role};
use crate::time::rfc3339;

/// Finds or creates the user called `name` and records a new session token
/// for them, in one transaction; returns the user id.
pub(crate) fn login(
    conn: &mut Connection,
    name: &str,
    token: &str,
    now: i64,
) -> rusqlite::Result<i64> {
    let tx = conn.transaction()?;
    tx.prepare_cached(
        "INSERT INTO users (name, created_at) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
    )?
    .execute((name, now))?;
    let user_id: i64 = tx
        .prepare_cached("SELECT id FROM users WHERE name = ?1")?
        .query_row([name], |row| row.get(0))?;
    tx.prepare_cached("INSERT INTO sessions (token, user_id, created_at) VALUES (?1, ?2, ?3)")?
        .execute((token, user_id, now))?;
    tx.commit()?;
    Ok(user_id)
}

/// The user a session token belongs to, if any.
pub(crate) fn session_user(conn: &Connection, token: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT user_id FROM sessions WHERE token = ?1")?
        .query_row([token], |row| row.get(0))
        .optional()
}

/// All bots, by id.
pub(crate) fn bots(conn: &Connection) -> rusqlite::Result<Vec<Bot>> {
    let mut stmt = conn.prepare_cached("SELECT id, name, persona FROM bots ORDER BY id")?;
    let rows = stmt.query_map([], |row| {
        Ok(Bot {
            id: row.get(0)?,
            name: row.get(1)?,
            persona: row.get(2)?,
        })
    })?;
    rows.collect()
}

/// Creates a conversation and returns it as stored.
pub(crate) fn insert_conversation(
    conn: &Connection,
    user_id: i64,
    bot_id: i64,
    now: i64,
) -> rusqlite::Result<Conversation> {
    conn.prepare_cached(
        "INSERT INTO conversations (user_id, bot_id, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute((user_id, bot_id, now))?;
    Ok(Conversation {
        id: conn.last_insert_rowid(),
        bot_id,
        user_id,
        created_at: rfc3339(now),
    })
}

/// One conversation by id, whoever owns it.
pub(crate) fn conversation(conn: &Connection, id: i64) -> rusqlite::Result<Option<Conversation>> {
    conn.prepare_cached("SELECT id, user_id, bot_id, created_at FROM conversations WHERE id = ?1")?
        .query_row([id], conversation_row)
        .optional()
}

/// Up to `limit` of the user's conversations with an id below `before`,
/// newest first.
pub(crate) fn conversations_page(
    conn: &Connection,
    user_id: i64,
    before: Option<i64>,
    limit: u32,
) -> rusqlite::Result<Vec<Conversation>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, user_id, bot_id, created_at FROM conversations
         WHERE user_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        (user_id, before.unwrap_or(i64::MAX), limit),
        conversation_row,
    )?;
    rows.collect()
}

/// Stores a message and returns it as stored.
pub(crate) fn insert_message(
    conn: &Connection,
    conversation_id: i64,
    role: Role,
    text: &str,
    now: i64,
) -> rusqlite::Result<Message> {
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, role, text, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute((conversation_id, role.as_str(), text, now))?;
    Ok(Message {
        id: conn.last_insert_rowid(),
        conversation_id,
        role,
        text: text.to_owned(),
        created_at: rfc3339(now),
    })
}

/// Up to `limit` messages of a conversation with an id above `after`,
/// oldest first.
pub(crate) fn messages_page(
    conn: &Connection,
    conversation_id: i64,
    after: Option<i64>,
    limit: u32,
) -> rusqlite::Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, conversation_id, role, text, created_at FROM messages
         WHERE conversation_id = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3",
    )?;
    let rows = stmt.query_map((conversation_id, after.unwrap_or(0), limit), |row| {
        let role: String = row.get(2)?;
        Ok(Message {
            id: row.get(0)?,
            conversation_id: row.get(1)?,
            role: if role == "bot" { Role::Bot } else { Role::User },
            text: row.get(3)?,
            created_at: rfc3339(row.get(4)?),
        })
    })?;
    rows.collect()
}

/// A cheap query that still reads the database file (schema and the bots
/// table), for the health check.
pub(crate) fn ping(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("SELECT count(*) FROM bots")?
        .query_row([], |_| Ok(()))
}

fn conversation_row(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    Ok(Conversation {
        id: row.get(0)?,
        user_id: row.get(1)?,
        bot_id: row.get(2)?,
        created_at: rfc3339(row.get(3)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::migrate;

    fn fresh() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        conn
    }

    #[test]
    fn login_reuses_users_and_records_tokens() {
        let mut conn = fresh();
        let a = login(&mut conn, "alice", "t1", 1).unwrap();
        let b = login(&mut conn, "alice", "t2", 2).unwrap();
        let c = login(&mut conn, "bob", "t3", 3).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(session_user(&conn, "t2").unwrap(), Some(a));
        assert_eq!(session_user(&conn, "nope").unwrap(), None);
    }

    #[test]
    fn pages_walk_in_order() {
        let mut conn = fresh();
        let user = login(&mut conn, "u", "t", 0).unwrap();
        let ids: Vec<i64> = (0..5)
            .map(|i| insert_conversation(&conn, user, 1, i).unwrap().id)
            .collect();
        let first = conversations_page(&conn, user, None, 2).unwrap();
        assert_eq!(
            first.iter().map(|c| c.id).collect::<Vec<_>>(),
            [ids[4], ids[3]]
        );
        let next = conversations_page(&conn, user, Some(ids[3]), 10).unwrap();
        assert_eq!(next.len(), 3);

        for text in ["a", "b", "c"] {
            insert_message(&conn, ids[0], Role::User, text, 0).unwrap();
        }
        let msgs = messages_page(&conn, ids[0], None, 2).unwrap();
        assert_eq!(msgs[0].text, "a");
        let rest = messages_page(&conn, ids[0], Some(msgs[1].id), 2).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].text, "c");
    }

    /// Every query except the tiny bot list must be answered from an index
    /// (SQLite prints `SCAN` for a full table scan).
    #[test]
    fn query_plans_use_indexes() {
        let conn = fresh();
        let queries = [
            "SELECT id FROM users WHERE name = 'x'",
            "SELECT user_id FROM sessions WHERE token = 'x'",
            "SELECT id, user_id, bot_id, created_at FROM conversations WHERE id = 1",
            "SELECT id, user_id, bot_id, created_at FROM conversations
             WHERE user_id = 1 AND id < 10 ORDER BY id DESC LIMIT 5",
            "SELECT id, conversation_id, role, text, created_at FROM messages
             WHERE conversation_id = 1 AND id > 0 ORDER BY id ASC LIMIT 5",
        ];
        for sql in queries {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([], |row| row.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join(" | ");
            assert!(plan.contains("SEARCH"), "{sql}: {plan}");
            assert!(!plan.contains("SCAN"), "{sql}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
        }
    }
}
