//! Prometheus metrics, in the text exposition format.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the append latency histogram.
const LATENCY_BUCKETS_S: [f64; 10] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2.0];

#[derive(Default)]
pub struct Metrics {
    pub append_requests: AtomicU64,
    pub appended_events: AtomicU64,
    pub append_errors: AtomicU64,
    latency_buckets: [AtomicU64; 10],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    pub sse_clients: AtomicU64,
    pub requests: AtomicU64,
}

impl Metrics {
    pub fn observe_append(&self, seconds: f64) {
        for (i, b) in LATENCY_BUCKETS_S.iter().enumerate() {
            if seconds <= *b {
                self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The metrics, with `studies` (slug, head, projected position) for the open studies the
    /// reader may know of, and how many studies are open.
    pub fn render(&self, open_studies: usize, opens: u64, studies: &[(String, u64, u64)]) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            out += &format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n");
        };
        metric("parlog_append_requests_total", "counter", "Append requests answered.", g(&self.append_requests));
        metric(
            "parlog_appended_events_total",
            "counter",
            "Events appended (new, not duplicates).",
            g(&self.appended_events),
        );
        metric("parlog_append_errors_total", "counter", "Append requests refused or failed.", g(&self.append_errors));
        metric("parlog_http_requests_total", "counter", "HTTP requests received.", g(&self.requests));
        metric("parlog_sse_clients", "gauge", "Live feed subscribers connected.", g(&self.sse_clients));
        metric("parlog_open_studies", "gauge", "Studies whose store and projections are open.", open_studies as u64);
        metric("parlog_study_opens_total", "counter", "Times a study's store and projections were opened.", opens);
        // Slugs are [a-z0-9-]: nothing in a label value to escape.
        let mut per_study = |name: &str, help: &str, value: &dyn Fn(u64, u64) -> u64| {
            out += &format!("# HELP {name} {help}\n# TYPE {name} gauge\n");
            for (slug, head, projected) in studies {
                out += &format!("{name}{{study=\"{slug}\"}} {}\n", value(*head, *projected));
            }
        };
        per_study("parlog_log_head_position", "Position of the last durable event, per open study.", &|h, _| h);
        per_study(
            "parlog_projection_position",
            "Position the live projections have reached, per open study.",
            &|_, p| p,
        );
        per_study(
            "parlog_projection_lag_events",
            "Events the live projections are behind the log, per open study.",
            &|h, p| h.saturating_sub(p),
        );
        out += "# HELP parlog_append_latency_seconds Time from receiving an append to its durable acknowledgement.\n";
        out += "# TYPE parlog_append_latency_seconds histogram\n";
        for (i, b) in LATENCY_BUCKETS_S.iter().enumerate() {
            out += &format!("parlog_append_latency_seconds_bucket{{le=\"{b}\"}} {}\n", g(&self.latency_buckets[i]));
        }
        out += &format!("parlog_append_latency_seconds_bucket{{le=\"+Inf\"}} {}\n", g(&self.latency_count));
        out += &format!("parlog_append_latency_seconds_sum {}\n", g(&self.latency_sum_us) as f64 / 1e6);
        out += &format!("parlog_append_latency_seconds_count {}\n", g(&self.latency_count));
        out
    }
}
