//! Server functions: the dashboard's way into the service layer. Each is thin: it finds the
//! [`Service`](crate::server::service::Service) in context and calls it, so the dashboard
//! and the REST API share every rule.

use leptos::prelude::*;

use crate::model::Company;

#[cfg(feature = "ssr")]
fn service() -> Result<crate::server::service::Service, ServerFnError> {
    use_context::<crate::server::service::Service>()
        .ok_or_else(|| ServerFnError::new("the service is not available"))
}

#[cfg(feature = "ssr")]
fn fail(err: crate::server::error::AppError) -> ServerFnError {
    ServerFnError::new(err.to_string())
}

/// Every company, oldest first, with this month's spend.
#[server(prefix = "/rpc", endpoint = "list_companies")]
pub async fn list_companies() -> Result<Vec<Company>, ServerFnError> {
    service()?.list_companies().await.map_err(fail)
}
