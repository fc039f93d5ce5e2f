//! `/metrics` in Prometheus' text format, on an address of its own (`METRICS_BIND`, off by
//! default) so that it is never served beside the console on the internet. Counters are kept
//! in memory per process (each instance is scraped on its own); gauges that describe the
//! shared database (the outbox, live sessions) are read from it at each scrape.

use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::LazyLock;

use crate::clock;
use crate::db::Pool;
use crate::store::{outbox, sessions};

/// Request latencies: from a fraction of a millisecond (a page from SQLite) to an export.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_connections: IntGaugeVec,
    pool_waiting: IntGauge,
    pool_wait: Histogram,
    pool_timeouts: IntCounter,
    outbox_emails: IntGaugeVec,
    outbox_oldest_age: Gauge,
    pub emails_sent: IntCounter,
    pub emails_failed: IntCounter,
    pub sign_in_failures: IntCounter,
    pub sign_in_pauses: IntCounter,
    sessions_active: IntGauge,
    database_up: IntGauge,
}

/// The process's metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

fn registered<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique");
    metric
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    registered(r, IntCounter::new(name, help).expect("a valid counter"))
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    registered(r, IntGauge::new(name, help).expect("a valid gauge"))
}

fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    registered(
        r,
        IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge"),
    )
}

fn latency_opts(name: &str, help: &str) -> HistogramOpts {
    HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec())
}

impl Metrics {
    fn new() -> Self {
        let r = Registry::new();
        Self {
            requests: registered(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "console_http_requests_total",
                        "HTTP requests answered, by method, route pattern and status.",
                    ),
                    &["method", "route", "status"],
                )
                .expect("a valid counter"),
            ),
            latency: registered(
                &r,
                HistogramVec::new(
                    latency_opts(
                        "console_http_request_duration_seconds",
                        "Time to answer an HTTP request (to its headers), by method and route.",
                    ),
                    &["method", "route"],
                )
                .expect("a valid histogram"),
            ),
            pool_connections: gauge_vec(
                &r,
                "console_db_pool_connections",
                "Database connections of this instance's pool, in use or idle.",
                &["state"],
            ),
            pool_waiting: gauge(
                &r,
                "console_db_pool_waiting_requests",
                "Requests waiting now for a database connection.",
            ),
            pool_wait: registered(
                &r,
                Histogram::with_opts(latency_opts(
                    "console_db_pool_wait_seconds",
                    "Time taken to get a database connection from the pool.",
                ))
                .expect("a valid histogram"),
            ),
            pool_timeouts: counter(
                &r,
                "console_db_pool_timeouts_total",
                "Times no database connection came free in time.",
            ),
            outbox_emails: gauge_vec(
                &r,
                "console_outbox_emails",
                "Emails waiting in the outbox: queued (not tried yet) or failing (to be retried).",
                &["state"],
            ),
            outbox_oldest_age: registered(
                &r,
                Gauge::new(
                    "console_outbox_oldest_email_age_seconds",
                    "Age of the oldest email waiting in the outbox (0 when none waits).",
                )
                .expect("a valid gauge"),
            ),
            emails_sent: counter(
                &r,
                "console_emails_sent_total",
                "Emails handed to the SMTP server by this instance.",
            ),
            emails_failed: counter(
                &r,
                "console_emails_failed_total",
                "Attempts to send an email that failed (each is retried until it gives up).",
            ),
            sign_in_failures: counter(
                &r,
                "console_sign_in_failures_total",
                "Sign-ins refused for a wrong password or an unknown address.",
            ),
            sign_in_pauses: counter(
                &r,
                "console_sign_in_pauses_total",
                "Times an account's sign-in was paused after too many failures.",
            ),
            sessions_active: gauge(
                &r,
                "console_sessions_active",
                "Signed-in sessions that have not expired (all instances).",
            ),
            database_up: gauge(
                &r,
                "console_database_up",
                "1 when this scrape read the database's gauges, 0 when it could not (they keep \
                 their last values).",
            ),
            registry: r,
        }
    }

    /// Counts and times one answered request by its route pattern (`/w/{slug}/users/{id}`, never
    /// the path itself, so the number of series stays bounded).
    pub fn observe_request(
        &self,
        method: &str,
        route: &str,
        status: actix_web::http::StatusCode,
        elapsed: std::time::Duration,
    ) {
        self.requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a wait for a database connection while the returned guard lives.
    pub fn waiting_for_connection(&self) -> impl Drop + use<'_> {
        struct Waiting<'a>(&'a IntGauge);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.dec();
            }
        }
        self.pool_waiting.inc();
        Waiting(&self.pool_waiting)
    }

    /// Every metric in the text format, the database's gauges read now.
    pub fn render(&self, pool: &Pool) -> anyhow::Result<String> {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(state.connections) - idle);
        // The database down, the instance's own figures (time-outs, errors) matter most: they are
        // served all the same, with `console_database_up` 0.
        match self.read_database(pool) {
            Ok(()) => self.database_up.set(1),
            Err(e) => {
                tracing::warn!(error = %e, "metrics: could not read the database");
                self.database_up.set(0);
            }
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        Ok(String::from_utf8(text)?)
    }

    /// The gauges read from the database (the outbox, the sessions), waiting 2 s at most for a
    /// connection: within any scrape's time-out.
    fn read_database(&self, pool: &Pool) -> anyhow::Result<()> {
        let now = clock::now();
        let mut conn = pool.get_timeout(std::time::Duration::from_secs(2))?;
        let backlog = outbox::backlog(&mut conn)?;
        self.outbox_emails
            .with_label_values(&["queued"])
            .set(backlog.queued);
        self.outbox_emails
            .with_label_values(&["failing"])
            .set(backlog.failing);
        self.outbox_oldest_age.set(backlog.oldest.map_or(0.0, |at| {
            (now - at).num_milliseconds().max(0) as f64 / 1000.0
        }));
        self.sessions_active
            .set(sessions::count_signed_in(&mut conn, now)?);
        Ok(())
    }
}

/// The pool reports how long each checkout waited, and each time-out.
#[derive(Debug)]
pub struct PoolEvents;

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        METRICS.pool_wait.observe(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, _event: r2d2::event::TimeoutEvent) {
        METRICS.pool_timeouts.inc();
    }
}

/// A label value for the method: the standard ones as they are, anything else as `other` (a
/// client must not be able to add series).
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `GET /metrics` on the metrics address.
pub async fn scrape(pool: web::Data<Pool>) -> HttpResponse {
    let pool = pool.get_ref().clone();
    let rendered = web::block(move || METRICS.render(&pool))
        .await
        .map_err(anyhow::Error::from)
        .and_then(|text| text);
    match rendered {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: could not render");
            HttpResponse::InternalServerError().body("metrics unavailable")
        }
    }
}
