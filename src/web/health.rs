//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use super::AppState;

/// The process is up and answering.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// The database answers a query, and the process is not shutting down.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.shutdown.has_begun() {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("shutting down");
    }
    let pool = state.pool.clone();
    let ready = web::block(move || -> anyhow::Result<()> {
        // Not the pool's 15 s wait: a probe gives up long before (as /metrics does).
        pool.get_timeout(std::time::Duration::from_secs(2))?
            .batch_execute("SELECT 1")?;
        Ok(())
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|ready| ready);
    match ready {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable")
        }
    }
}
