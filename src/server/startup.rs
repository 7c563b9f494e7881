//! Building and running the application: database, background tasks, routes. Tests build
//! it exactly as `main` does, on port 0 with a database of their own.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

use anyhow::Context;
use axum::{Router, middleware};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer};

use crate::{
    app::{App, shell},
    server::{
        auth::{self, Auth, AuthMode, credentials, session},
        caching,
        clock::Clock,
        config::{Settings, SqliteSync},
        layers, meter,
        notify::{
            Sender,
            client::{Outbound, UrlPolicy},
        },
        rest::{self, extract::BODY_LIMIT},
        serve,
        service::{Service, ingest::CommitterTask},
        state::AppState,
        store::{Db, PoolSettings},
    },
};

pub struct Application {
    listener: TcpListener,
    router: Router,
    service: Service,
    committer: CommitterTask,
    reconciler: tokio::task::JoinHandle<()>,
    sender: tokio::task::JoinHandle<()>,
    metrics: Option<(TcpListener, Router)>,
    address: SocketAddr,
    auth_mode: AuthMode,
    limits: serve::Limits,
}

impl Application {
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let db = Db::connect(
            &settings.database_url,
            &PoolSettings {
                max_connections: settings.db_max_connections,
                acquire_timeout: settings.db_acquire_timeout(),
                sqlite_fsync_each_commit: settings.sqlite_synchronous == SqliteSync::Full,
                sqlite_max_pages: settings.sqlite_max_pages,
            },
        )
        .await
        .context("could not open the database (check DATABASE_URL)")?;
        db.migrate()
            .await
            .context("could not apply the database migrations")?;
        let board_credentials = credentials::count_board_credentials(&db)
            .await
            .map_err(|e| anyhow::anyhow!("could not read the board credentials: {e}"))?;
        let auth_mode = AuthMode::decide(settings.bind, settings.trust_proxy, board_credentials)?;
        let webhook_policy = UrlPolicy::from_settings(settings);
        let outbound = Outbound::new(
            webhook_policy.clone(),
            Duration::from_millis(settings.webhook_timeout_ms.max(1)),
        )
        .context("could not build the webhook client")?;
        let (service, committer) = Service::start(
            db.clone(),
            Arc::clone(&clock),
            settings.ingest_batch_max,
            settings.request_timeout(),
            webhook_policy,
            settings.retention_months,
        );
        let reconciler = service.spawn_reconciler(settings.reconcile_interval());

        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("could not listen on {}", settings.bind))?;
        meter::handle();
        let metrics = match settings.metrics_bind {
            Some(bind) => Some((
                TcpListener::bind(bind)
                    .await
                    .with_context(|| format!("could not listen on {bind} for /metrics"))?,
                rest::metrics::own_listener(service.clone()),
            )),
            None => None,
        };
        let address = listener.local_addr()?;
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"));
        let sender = Sender::new(db, Arc::clone(&clock), outbound, settings, public_url).spawn();
        let leptos_options = LeptosOptions::builder()
            .output_name(settings.output_name.as_str())
            .site_root(settings.site_root.to_string_lossy().as_ref())
            .site_pkg_dir(settings.site_pkg_dir.as_str())
            .hash_files(caching::bundle_is_hashed())
            .site_addr(address)
            .build();
        let auth = Auth::new(auth_mode, settings, address, clock);
        let router = build_router(
            AppState {
                leptos_options,
                service: service.clone(),
                auth,
            },
            settings.request_timeout(),
        );
        Ok(Self {
            listener,
            router,
            service,
            committer,
            reconciler,
            sender,
            metrics,
            address,
            auth_mode,
            limits: serve::Limits::from_settings(settings),
        })
    }

    pub fn auth_mode(&self) -> AuthMode {
        self.auth_mode
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The address of the metrics-only listener, when `COSTLINE_METRICS_BIND` asked for one.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    /// Serves until `shutdown` resolves, then stops taking requests, lets those in flight
    /// finish, commits what the ingest queue holds and closes the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let metrics = self.metrics.map(|(listener, router)| {
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            })
        });
        serve::serve(self.listener, self.router, self.limits, shutdown).await;
        if let Some(task) = metrics {
            task.abort();
        }
        self.service.close_ingest();
        let _ = self.committer.await;
        self.reconciler.abort();
        // What it was sending is sent again after the restart (at least once).
        self.sender.abort();
        self.service.db().close().await;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// The dashboard's routes, listed once per process.
///
/// Leptos lists them by rendering the app once with every resource held back, through a
/// switch shared by the whole process: a page of another app of the process whose data
/// starts loading meanwhile would wait for it forever. A server has one app, but the tests
/// start many in one process while others serve pages.
pub fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn build_router(state: AppState, request_timeout: Duration) -> Router {
    let routes = route_list();
    let context = {
        let service = state.service.clone();
        move || {
            provide_context(service.clone());
            layers::provide_page_csp();
        }
    };
    let app = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    // The dashboard, its server functions and sign-in read bodies their own way: cap them
    // here. The REST API caps its own bodies and answers in its JSON error shape.
    let timeout =
        || TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, request_timeout);
    let dashboard = Router::new()
        .merge(session::router())
        .leptos_routes_with_context(&state, routes, context.clone(), app)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(
                    state.leptos_options.hash_files,
                    caching::cache_control,
                ))
                .layer(middleware::from_fn(layers::clear_flash))
                .layer(timeout()),
        )
        .with_state(state.clone());
    let app = Router::new()
        // Cost events set their own deadline: only before the hand-over to the committer.
        .merge(
            rest::ingest_router()
                .layer(layers::no_store())
                .with_state(state.service.clone()),
        )
        .merge(
            rest::router()
                .layer(
                    ServiceBuilder::new()
                        .layer(layers::no_store())
                        .layer(timeout()),
                )
                .with_state(state.service.clone()),
        )
        .merge(dashboard);
    // Every route, API and dashboard alike: who is calling, before anything else runs.
    let gate = auth::middleware::Gate {
        auth: state.auth.clone(),
        service: state.service.clone(),
    };
    let middleware = middleware::from_fn_with_state(gate, layers::front_door);
    layers::around(app, middleware)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested: finishing requests in flight");
}
