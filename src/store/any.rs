//! [`AnyStore`]: the backend chosen at start (SQLite on disk or in memory, or PostgreSQL),
//! behind one concrete type, so that the service and the HTTP layer are built once. Each call
//! is one `match` on the variant: nothing is boxed, and SQLite's hot path is unchanged.

use super::{Peers, PostgresStore, SqliteStore, Store, StoreError, StoreFacts, Tx};

/// The storage backend in use.
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// A prepared long read of either backend.
pub enum AnySnapshot {
    Sqlite(<SqliteStore as Store>::Snapshot),
    Postgres(Box<<PostgresStore as Store>::Snapshot>),
}

impl From<SqliteStore> for AnyStore {
    fn from(s: SqliteStore) -> Self {
        AnyStore::Sqlite(s)
    }
}

impl From<PostgresStore> for AnyStore {
    fn from(s: PostgresStore) -> Self {
        AnyStore::Postgres(s)
    }
}

impl Store for AnyStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            AnyStore::Sqlite(s) => s.transaction(f),
            AnyStore::Postgres(s) => s.transaction(f),
        }
    }

    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            AnyStore::Sqlite(s) => s.read(f),
            AnyStore::Postgres(s) => s.read(f),
        }
    }

    type Snapshot = AnySnapshot;

    fn snapshot(&self) -> Result<AnySnapshot, StoreError> {
        Ok(match self {
            AnyStore::Sqlite(s) => AnySnapshot::Sqlite(s.snapshot()?),
            AnyStore::Postgres(s) => AnySnapshot::Postgres(Box::new(s.snapshot()?)),
        })
    }

    fn read_snapshot<T, E: From<StoreError>>(
        snapshot: AnySnapshot,
        f: impl FnOnce(&dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match snapshot {
            AnySnapshot::Sqlite(s) => SqliteStore::read_snapshot(s, f),
            AnySnapshot::Postgres(s) => PostgresStore::read_snapshot(*s, f),
        }
    }

    fn health(&self) -> Result<StoreFacts, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.health(),
            AnyStore::Postgres(s) => s.health(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            AnyStore::Sqlite(s) => s.kind(),
            AnyStore::Postgres(s) => s.kind(),
        }
    }

    fn peers(&self) -> Option<&dyn Peers> {
        match self {
            AnyStore::Sqlite(s) => s.peers(),
            AnyStore::Postgres(s) => s.peers(),
        }
    }

    fn generation(&self) -> Result<Option<i64>, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.generation(),
            AnyStore::Postgres(s) => s.generation(),
        }
    }
}
