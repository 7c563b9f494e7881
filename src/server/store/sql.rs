//! Dynamically built SQL: text and bound parameters, numbered `$n` for both dialects.

use sqlx::{Arguments, any::AnyArguments};

use super::Conn;

/// A value bound into dynamically built SQL.
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Text(String),
    NullInt,
    NullText,
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Self::NullInt, Self::Int)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        v.map_or(Self::NullText, Self::Text)
    }
}

impl Param {
    /// The value as JSON (see [`Sql::rows`]).
    fn write_json(&self, out: &mut Vec<u8>) {
        let written = match self {
            Self::Int(v) => serde_json::to_writer(&mut *out, v),
            Self::Text(v) => serde_json::to_writer(&mut *out, v),
            Self::NullInt | Self::NullText => serde_json::to_writer(&mut *out, &()),
        };
        // Writing into memory fails only on a value JSON cannot hold, and these all fit.
        debug_assert!(written.is_ok());
    }

    fn is_int(&self) -> bool {
        matches!(self, Self::Int(_) | Self::NullInt)
    }
}

/// Most values one SQLite query of several statements binds ([`Sql::execute_all`]). SQLite's
/// driver keeps the last 100 queries prepared, by their text. A batch's joined writes repeat
/// their text for each shape of batch (how many events, agents, projects), which is few
/// under one load, and staying prepared pays (1.14-1.35x over preparing each time). The
/// batch route's 500-row inserts (8,500 values) go alone: joined with the rest their text
/// was new each time, prepared again, and the batch route lost 13%.
pub(super) const SQLITE_JOINED_VALUES: usize = 4_096;

/// Marks a placeholder in [`Sql`] text until it is rendered for a dialect.
const PLACEHOLDER: char = '\u{1}';

/// SQL text with placeholders, rendered per dialect when run: `$1, $2, ...` for
/// PostgreSQL, plain `?` for SQLite (whose numbered and named parameters are looked up by
/// a linear scan per bind, quadratic on a 500-row insert).
#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            params: Vec::new(),
        }
    }

    /// Appends `next` as a statement of its own, run after this one in the same query: only
    /// SQLite's driver takes several statements with values in one query
    /// ([`Sql::execute_all`]).
    pub(super) fn then(&mut self, next: Sql) -> &mut Self {
        self.push(";\n").append(next)
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        self.text.push(PLACEHOLDER);
        self
    }

    /// Appends `(v1, v2, ...)` for an `IN` list; `(NULL)` when empty so it matches nothing.
    pub fn bind_list<T: Into<Param> + Clone>(&mut self, values: &[T]) -> &mut Self {
        if values.is_empty() {
            return self.push("(NULL)");
        }
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v.clone());
        }
        self.push(")")
    }

    /// Appends an `IN` set of `values`: on PostgreSQL one JSON parameter, so the statement's
    /// text is the same however many values there are (prepared once per connection, not
    /// parsed again with each new count: a round trip less); on SQLite [`Sql::bind_list`].
    pub fn bind_set(&mut self, sqlite: bool, values: &[String]) -> &mut Self {
        if sqlite {
            return self.bind_list(values);
        }
        // A list of strings always serializes; `[]` (no value) is an empty set all the same.
        let json = serde_json::to_string(values).unwrap_or_else(|_| "[]".into());
        self.push("(SELECT jsonb_array_elements_text(CAST(")
            .bind(json)
            .push(" AS JSONB)))")
    }

    /// Appends another statement's text and values (a subquery), keeping their order.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.params.extend(other.params);
        self
    }

    /// The rows of an `INSERT`: at least one, each with the same columns (an integer column
    /// holds [`Param::Int`] or [`Param::NullInt`]); an `ON CONFLICT` may follow.
    /// - PostgreSQL: a `SELECT` from one JSON parameter. The statement's text is the same
    ///   however many rows it carries, so a connection prepares it once instead of parsing
    ///   and describing it again (a round trip) whenever the count changes.
    /// - SQLite: `VALUES` with a placeholder per cell. Its round trips are to a thread of
    ///   this process, and reading each cell back out of JSON cost more than parsing: the
    ///   batch route went from 112.6k to 64.9k events/s with JSON rows.
    pub fn rows(sqlite: bool, rows: Vec<Vec<Param>>) -> Self {
        debug_assert!(!rows.is_empty(), "an INSERT of no rows");
        let mut sql = Sql::default();
        if sqlite {
            sql.push("VALUES ");
            for (i, row) in rows.into_iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                for (j, cell) in row.into_iter().enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    sql.bind(cell);
                }
                sql.push(")");
            }
            return sql;
        }
        let mut json = vec![b'['];
        for (i, row) in rows.iter().enumerate() {
            json.extend_from_slice(if i == 0 { b"[" } else { b",[" });
            for (j, cell) in row.iter().enumerate() {
                if j > 0 {
                    json.push(b',');
                }
                cell.write_json(&mut json);
            }
            json.push(b']');
        }
        json.push(b']');
        // serde_json writes UTF-8, and the brackets and commas are ASCII.
        let json = String::from_utf8(json).unwrap_or_default();
        let first = rows.first().map_or(&[][..], Vec::as_slice);
        sql.push("SELECT ");
        for (j, cell) in first.iter().enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            if cell.is_int() {
                sql.push(&format!("CAST(r.value ->> {j} AS BIGINT)"));
            } else {
                sql.push(&format!("r.value ->> {j}"));
            }
        }
        sql.push(" FROM jsonb_array_elements(CAST(")
            .bind(json)
            .push(" AS JSONB)) AS r(value) WHERE true");
        sql
    }

    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// The statement for one connection's dialect.
    pub fn render(&self, conn: &Conn) -> String {
        if super::is_sqlite(conn) {
            return self.text.replace(PLACEHOLDER, "?");
        }
        let mut out = String::with_capacity(self.text.len() + self.params.len() * 3);
        let mut n = 0;
        for c in self.text.chars() {
            if c == PLACEHOLDER {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    }

    pub fn arguments(&self) -> Result<AnyArguments, sqlx::Error> {
        Self::arguments_of(self.params.iter().cloned())
    }

    fn arguments_of(
        params: impl ExactSizeIterator<Item = Param>,
    ) -> Result<AnyArguments, sqlx::Error> {
        let mut args = AnyArguments::default();
        args.reserve(params.len(), 0);
        for p in params {
            match p {
                Param::Int(v) => args.add(v),
                Param::Text(v) => args.add(v),
                Param::NullInt => args.add(Option::<i64>::None),
                Param::NullText => args.add(Option::<String>::None),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(args)
    }

    pub async fn execute(&self, conn: &mut Conn) -> Result<u64, sqlx::Error> {
        let args = self.arguments()?;
        Self::run(self.render(conn), args, conn).await
    }

    /// [`Sql::execute`] for a statement run once: its values move into the query instead of
    /// being copied (a batch's writes carry a dozen strings per event).
    pub async fn execute_once(self, conn: &mut Conn) -> Result<u64, sqlx::Error> {
        let text = self.render(conn);
        Self::run(text, Self::arguments_of(self.params.into_iter())?, conn).await
    }

    async fn run(text: String, args: AnyArguments, conn: &mut Conn) -> Result<u64, sqlx::Error> {
        let done = sqlx::query_with(sqlx::AssertSqlSafe(text), args)
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }

    /// Runs `statements`, writes that neither read nor write each other's rows, in order
    /// (a row written twice in one PostgreSQL statement is an error), in few round trips:
    /// - PostgreSQL: one statement, each a data-modifying `WITH` part, which matters while a
    ///   company's row lock is held;
    /// - SQLite: queries of several statements ([`SQLITE_JOINED_VALUES`] values at most,
    ///   unless one statement alone has more), which its driver runs one after the other on
    ///   its thread, each binding the next of the values, stopping at the first that fails.
    ///   Every round trip to that thread is two thread wake-ups, which under load cost more
    ///   than a busy moment's statements themselves.
    ///
    /// sqlx 0.9 runs several statements with bound values in one query on SQLite only, and
    /// its documentation marks that as deprecated. `store::tests` fails if an upgrade drops
    /// it; the way back is one `execute` per statement, as before (together with sending the
    /// `COMMIT` in the same query, this bought 1.21-1.23x at 64 clients: BENCHMARKS.md).
    pub async fn execute_all(conn: &mut Conn, statements: Vec<Sql>) -> Result<(), sqlx::Error> {
        if statements.len() < 2 {
            for statement in statements {
                statement.execute_once(conn).await?;
            }
            return Ok(());
        }
        if super::is_sqlite(conn) {
            for query in Sql::sqlite_joined(statements) {
                query.execute_once(conn).await?;
            }
            return Ok(());
        }
        let mut all = Sql::new("WITH ");
        for (i, statement) in statements.into_iter().enumerate() {
            if i > 0 {
                all.push(", ");
            }
            all.push(&format!("w{i} AS (")).append(statement).push(")");
        }
        all.push(" SELECT 1");
        all.execute_once(conn).await.map(drop)
    }

    /// `statements` as SQLite queries of several statements each, in order: as few as
    /// [`SQLITE_JOINED_VALUES`] allows.
    pub(super) fn sqlite_joined(statements: Vec<Sql>) -> Vec<Sql> {
        let mut joined: Vec<Sql> = Vec::new();
        for statement in statements {
            match joined.last_mut() {
                Some(last)
                    if last.param_count() + statement.param_count() <= SQLITE_JOINED_VALUES =>
                {
                    last.then(statement);
                }
                _ => joined.push(statement),
            }
        }
        joined
    }

    pub async fn fetch_all<T>(&self, conn: &mut Conn) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let args = self.arguments()?;
        sqlx::query_as_with(sqlx::AssertSqlSafe(self.render(conn)), args)
            .fetch_all(conn)
            .await
    }

    pub async fn fetch_optional<T>(&self, conn: &mut Conn) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let args = self.arguments()?;
        sqlx::query_as_with(sqlx::AssertSqlSafe(self.render(conn)), args)
            .fetch_optional(conn)
            .await
    }
}
