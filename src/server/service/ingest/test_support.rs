//! A service on a fresh SQLite file, for the ingest module's tests.

use std::{path::Path, sync::Arc, time::Duration};

use crate::server::{
    clock::Clock,
    config::Settings,
    notify::client::UrlPolicy,
    service::Service,
    store::{Db, PoolSettings},
};

/// A migrated SQLite database at `path` (`fsync`: every commit fsynced) and a service on it
/// whose committer takes at most `max_batch` events a batch.
pub(super) async fn sqlite_service(
    path: &Path,
    clock: Arc<dyn Clock>,
    max_batch: usize,
    fsync: bool,
) -> (Db, Service) {
    let url = format!("sqlite:{}", path.display());
    let pool = PoolSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(120),
        sqlite_fsync_each_commit: fsync,
        sqlite_max_pages: 0,
    };
    let db = Db::connect(&url, &pool).await.expect("connects");
    db.migrate().await.expect("migrates");
    let policy = UrlPolicy::from_settings(&Settings::for_database(url));
    let (service, _task) = Service::start(
        db.clone(),
        clock,
        max_batch,
        Duration::from_secs(120),
        policy,
        None,
    );
    (db, service)
}
