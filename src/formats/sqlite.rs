//! The SQLite databases some apps keep their accounts in (read from a
//! rooted phone): Google Authenticator's, Microsoft Authenticator's and
//! Stratum's. The file is loaded into memory, read-only, never opened on
//! disk: no journal or lock file appears beside it.
//!
//! A database is a program as much as data (views, generated columns), so
//! a hostile one is kept in bounds: only real tables are read, SQLite runs
//! in its defensive mode without trusting the schema's functions, no value
//! may exceed [`MAX_VALUE`] bytes, no more than [`MAX_ROWS`] rows are read,
//! and a query that runs longer than [`MAX_TIME`] is stopped.

use std::io::Cursor;

use rusqlite::{Connection, MAIN_DB, OpenFlags};
use zeroize::Zeroizing;

const MAGIC: &[u8] = b"SQLite format 3\0";
/// The largest string or blob a query may make.
const MAX_VALUE: i32 = 1 << 20;
/// More accounts than anyone has.
const MAX_ROWS: usize = 100_000;
/// The most text a table's rows may bring in all: the bound on an import
/// file (a database's values are read from its pages, but text is copied
/// out of them).
const MAX_TOTAL: usize = 16 << 20;
/// Longer than reading any real app's database takes.
const MAX_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// True if `bytes` are a SQLite database file.
pub fn is_database(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// A database loaded from its bytes, read-only.
pub struct Database(Connection);

/// A value of a row, as the readers need it.
pub enum Cell {
    Null,
    Integer(i64),
    Text(Zeroizing<String>),
}

impl Cell {
    /// The bytes it holds (a number: its eight).
    fn len(&self) -> usize {
        match self {
            Cell::Null => 0,
            Cell::Integer(_) => 8,
            Cell::Text(t) => t.len(),
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Cell::Text(t) => t,
            _ => "",
        }
    }

    pub fn integer(&self) -> Option<i64> {
        match self {
            Cell::Integer(n) => Some(*n),
            Cell::Text(t) => t.trim().parse().ok(),
            Cell::Null => None,
        }
    }
}

impl Database {
    /// Loads `bytes`; `None` if they are not a database SQLite can read.
    pub fn load(bytes: &[u8]) -> Option<Database> {
        if !is_database(bytes) {
            return None;
        }
        let mut copy = Zeroizing::new(bytes.to_vec());
        // A database in WAL mode (header bytes 18 and 19 are 2) cannot be
        // read from memory; as a copy on its own, it is the same file in
        // the rollback-journal mode.
        if copy.get(18..20) == Some(&[2, 2]) {
            copy[18..20].copy_from_slice(&[1, 1]);
        }
        let mut connection = Connection::open_in_memory_with_flags(
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        let len = copy.len();
        connection
            .deserialize_read_exact(MAIN_DB, Cursor::new(&copy[..]), len, true)
            .ok()?;
        connection
            .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
            .ok()?;
        connection
            .execute_batch("PRAGMA trusted_schema = OFF")
            .ok()?;
        connection
            .set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE)
            .ok()?;
        let deadline = std::time::Instant::now() + MAX_TIME;
        connection
            .progress_handler(10_000, Some(move || std::time::Instant::now() > deadline))
            .ok()?;
        // Reading the schema checks that the file is a database.
        connection
            .query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .ok()?;
        Some(Database(connection))
    }

    /// The columns of `table`, lower-cased; empty if there is no such table
    /// (a view of that name is not one).
    pub fn columns(&self, table: &str) -> Vec<String> {
        let is_table = self
            .0
            .query_row(
                "SELECT type FROM sqlite_master WHERE name = ?1",
                [table],
                |row| row.get::<_, String>(0),
            )
            .is_ok_and(|kind| kind == "table");
        if !is_table {
            return Vec::new();
        }
        let Ok(mut statement) = self.0.prepare("SELECT name FROM pragma_table_info(?1)") else {
            return Vec::new();
        };
        statement
            .query_map([table], |row| row.get::<_, String>(0))
            .map(|rows| rows.flatten().map(|c| c.to_ascii_lowercase()).collect())
            .unwrap_or_default()
    }

    /// True if `table` has every one of `columns`.
    pub fn has(&self, table: &str, columns: &[&str]) -> bool {
        let present = self.columns(table);
        columns.iter().all(|c| present.iter().any(|p| p == c))
    }

    /// Every row of `table`, with `columns` (those missing read as null);
    /// `None` if it is not a table, cannot be read, or is too long.
    pub fn rows(&self, table: &str, columns: &[&str]) -> Option<Vec<Vec<Cell>>> {
        let present = self.columns(table);
        if present.is_empty() {
            return None;
        }
        let select: Vec<String> = columns
            .iter()
            .map(|c| match present.iter().any(|p| p == c) {
                true => format!("\"{c}\""),
                false => "NULL".to_string(),
            })
            .collect();
        // `table` and the columns are the readers' own constants.
        let sql = format!("SELECT {} FROM \"{table}\"", select.join(", "));
        let mut statement = self.0.prepare(&sql).ok()?;
        let rows = statement
            .query_map([], |row| {
                (0..columns.len())
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Cell::Null,
                            rusqlite::types::ValueRef::Integer(n) => Cell::Integer(n),
                            rusqlite::types::ValueRef::Real(f) => Cell::Integer(f as i64),
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => {
                                Cell::Text(Zeroizing::new(String::from_utf8_lossy(t).into_owned()))
                            }
                        })
                    })
                    .collect::<Result<Vec<Cell>, rusqlite::Error>>()
            })
            .ok()?;
        // The caps apply while reading: a row over them ends the read.
        let (mut out, mut total) = (Vec::new(), 0usize);
        for row in rows {
            let row = row.ok()?;
            total += row.iter().map(Cell::len).sum::<usize>();
            if out.len() == MAX_ROWS || total > MAX_TOTAL {
                return None;
            }
            out.push(row);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database of the given schema, as bytes.
    fn database(sql: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(sql).unwrap();
        drop(c);
        std::fs::read(path).unwrap()
    }

    #[test]
    fn a_view_or_an_endless_query_is_not_read() {
        let endless = database(
            "CREATE VIEW accounts AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i AS email, 'x' AS secret, 0 AS type, 0 AS counter FROM n;",
        );
        let db = Database::load(&endless).unwrap();
        assert!(db.columns("accounts").is_empty());
        assert!(db.rows("accounts", &["email"]).is_none());
        let big = database(
            "CREATE TABLE accounts (email TEXT, secret TEXT GENERATED ALWAYS AS (zeroblob(100000000)) VIRTUAL, type INT, counter INT); INSERT INTO accounts (email, type, counter) VALUES ('a', 0, 0);",
        );
        let db = Database::load(&big).unwrap();
        // A generated column is not a column of the table's data: never
        // computed, it reads as nothing.
        let rows = db.rows("accounts", &["email", "secret"]).unwrap();
        assert_eq!(rows[0][1].text(), "");
        let fine = database(
            "CREATE TABLE accounts (email TEXT, secret TEXT); INSERT INTO accounts VALUES ('a', 'JBSWY3DPEHPK3PXP');",
        );
        let db = Database::load(&fine).unwrap();
        assert_eq!(db.rows("accounts", &["email", "secret"]).unwrap().len(), 1);
    }

    /// The caps apply while the rows are read: one row past 100,000, or
    /// text past 16 MiB in all, and the table is not read.
    #[test]
    fn rows_and_their_text_are_capped_as_they_are_read() {
        let many = database(
            "CREATE TABLE accounts (email TEXT, type INT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100001) INSERT INTO accounts SELECT 'a', i FROM n;",
        );
        let db = Database::load(&many).unwrap();
        assert!(db.rows("accounts", &["email", "type"]).is_none());
        let db = Database::load(&database(
            "CREATE TABLE accounts (email TEXT, type INT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) INSERT INTO accounts SELECT 'a', i FROM n;",
        ))
        .unwrap();
        assert_eq!(db.rows("accounts", &["email"]).unwrap().len(), 100_000);
        let heavy = database(
            "CREATE TABLE accounts (email TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 17) INSERT INTO accounts SELECT replace(hex(zeroblob(500000)), '0', 'x') FROM n;",
        );
        let db = Database::load(&heavy).unwrap();
        assert!(db.rows("accounts", &["email"]).is_none(), "17 MB of text");
    }

    #[test]
    fn not_a_database_is_none() {
        assert!(Database::load(b"SQLite format 3\0garbage").is_none());
        assert!(Database::load(b"hello").is_none());
    }
}
