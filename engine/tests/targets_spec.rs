//! A variant is a set of targets (the pods behind its Service), and a
//! process restart is known from its start time: the buffer stitches
//! counters per target, sums across targets as PromQL's `sum(rate())`,
//! and tells restarts, deploys and load-balanced URLs apart.
//!
//! Expected values are derived by hand from Prometheus's `extrapolatedRate`
//! (see the comments at each figure).

use zai_dash_engine::{
    buffer::{Buffer, EventKind},
    extract::{Family, Slot},
    parse::parse,
    snapshot::snapshot,
};

/// A zai-proxy exposition: a process start time, requests by status code,
/// and optionally a build.
fn exposition(start: Option<f64>, build: Option<&str>, requests: &[(&str, f64)]) -> String {
    let mut text = String::new();
    if let Some(start) = start {
        text.push_str(&format!(
            "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {start}\n"
        ));
    }
    if let Some(version) = build {
        text.push_str(&format!(
            "# TYPE zai_proxy_build_info gauge\nzai_proxy_build_info{{version=\"{version}\",commit=\"abc\"}} 1\n"
        ));
    }
    text.push_str("# TYPE zai_proxy_requests_total counter\n");
    for (code, v) in requests {
        text.push_str(&format!(
            "zai_proxy_requests_total{{status_code=\"{code}\"}} {v}\n"
        ));
    }
    text
}

fn push(buffer: &mut Buffer, target: &str, t_ms: i64, text: &str) {
    buffer
        .push_target(target, t_ms, &parse(text))
        .expect("in order per target");
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a value");
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}

fn ok() -> Slot {
    Slot::Requests("200".into())
}

/// Two pods scraped every 15 s, out of step by 1 s.
fn two_pods() -> Buffer {
    let mut buffer = Buffer::default();
    for (i, t) in [0, 15, 30, 45, 60].into_iter().enumerate() {
        let a = 100.0 + 15.0 * i as f64;
        push(
            &mut buffer,
            "a",
            t * 1000,
            &exposition(Some(1.0), None, &[("200", a)]),
        );
    }
    for (i, t) in [1, 16, 31, 46].into_iter().enumerate() {
        let b = 10.0 + 30.0 * i as f64;
        push(
            &mut buffer,
            "b",
            t * 1000,
            &exposition(Some(2.0), None, &[("200", b)]),
        );
    }
    buffer
}

#[test]
fn a_variants_rate_is_the_sum_of_its_pods_rates() {
    let buffer = two_pods();
    let w = buffer.window(0, 60_000);
    // Pod a: 100 → 160 at 0 s … 60 s, the whole range: increase 60, rate 1/s.
    // Pod b: 10 → 100 at 1 s … 46 s: sampled 45 s, 15 s apart; 1 s to the
    // start (under 1.1 × 15), 14 s to the end (under 1.1 × 15), zero point
    // 45 × 10/90 = 5 s before the first sample (not nearer than 1 s): the
    // 90 extrapolates over 60 s: 90 × 60/45 = 120, rate 2/s.
    close(w.rate(&ok()), 3.0);
    close(w.increase(&ok()), 180.0);
    close(w.sum_rate(|s| matches!(s, Slot::Requests(_))), 3.0);
    // Exact totals: 60 + 90, never extrapolated.
    close(w.total(&ok()), 150.0);
    // Two pods far apart in their lifetimes never read as one counter
    // going down and up.
    assert_eq!(w.resets(), 0);
    assert_eq!(buffer.events(0, 60_000), []);
}

#[test]
fn a_restart_is_seen_from_the_start_time_even_when_counters_come_back_higher() {
    let mut buffer = Buffer::default();
    push(
        &mut buffer,
        "a",
        0,
        &exposition(Some(1000.0), None, &[("200", 100.0)]),
    );
    push(
        &mut buffer,
        "a",
        15_000,
        &exposition(Some(1000.0), None, &[("200", 110.0)]),
    );
    // The new process served 150 requests before this scrape: above the
    // old 110, so PromQL's rule (a value lower than the previous) sees +40
    // and no reset. The start time says it restarted: +150.
    push(
        &mut buffer,
        "a",
        30_000,
        &exposition(Some(2000.0), None, &[("200", 150.0)]),
    );
    let w = buffer.window(0, 30_000);
    close(w.total(&ok()), 160.0);
    assert_eq!(w.resets(), 1);
    let events = buffer.events(0, 30_000);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].t_ms, &events[0].kind),
        (30_000, &EventKind::Restart)
    );
}

#[test]
fn a_series_recreated_after_a_restart_is_not_a_reset_where_it_reappears() {
    let mut buffer = Buffer::default();
    let rows: [(f64, &[(&str, f64)]); 5] = [
        (1.0, &[("200", 100.0), ("500", 20.0)]),
        (1.0, &[("200", 110.0), ("500", 25.0)]),
        // Restart: client_golang re-creates the 500 series at its first use.
        (2.0, &[("200", 5.0)]),
        (2.0, &[("200", 9.0)]),
        (2.0, &[("200", 12.0), ("500", 3.0)]),
    ];
    for (i, (start, requests)) in rows.into_iter().enumerate() {
        push(
            &mut buffer,
            "a",
            i as i64 * 15_000,
            &exposition(Some(start), None, requests),
        );
    }
    let five = Slot::Requests("500".into());
    // The window after the restart sees the 500 series come back at 3,
    // lower than its old 25: 3 new errors, no reset.
    let after = buffer.window(45_000, 60_000);
    assert_eq!(after.resets(), 0);
    close(after.total(&five), 3.0);
    // The restart is one reset per counter series the old process had.
    assert_eq!(buffer.window(15_000, 30_000).resets(), 2);
    let kinds: Vec<_> = buffer
        .events(0, 60_000)
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [EventKind::Restart]);
}

#[test]
fn a_figure_resting_only_on_the_gap_before_a_restart_is_unknown_not_zero() {
    let mut buffer = Buffer::default();
    let before = exposition(Some(1.0), None, &[("200", 100.0), ("429", 7.0)]);
    let after = exposition(Some(2.0), None, &[("200", 5.0)]);
    push(&mut buffer, "a", 0, &before);
    push(&mut buffer, "a", 15_000, &after);
    let s = snapshot("production", &buffer.window(0, 15_000));
    // What the old process counted after its last scrape is lost; the new
    // one has no 4xx series: nothing says how many 429s there were.
    assert_eq!(s.requests_4xx, None);
    // Two scrapes of the new process without a 4xx series: none since.
    push(
        &mut buffer,
        "a",
        30_000,
        &exposition(Some(2.0), None, &[("200", 9.0)]),
    );
    let s = snapshot("production", &buffer.window(15_000, 30_000));
    assert_eq!(s.requests_4xx, Some(0.0));
    assert!(buffer.window(15_000, 30_000).watched(Family::Requests));
    assert!(!buffer.window(0, 15_000).watched(Family::Requests));
}

#[test]
fn a_start_time_that_comes_back_means_a_load_balanced_url() {
    let mut buffer = Buffer::default();
    // One URL, two processes behind it, answering in turn.
    for (i, (start, v)) in [(1.0, 100.0), (2.0, 5.0), (1.0, 104.0), (2.0, 8.0)]
        .into_iter()
        .enumerate()
    {
        push(
            &mut buffer,
            "lb",
            i as i64 * 5_000,
            &exposition(Some(start), None, &[("200", v)]),
        );
    }
    // The first switch looks like a restart; the switch back cannot be one.
    let kinds: Vec<_> = buffer
        .events(0, 15_000)
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventKind::Restart, EventKind::Flip, EventKind::Flip]
    );
    assert!(buffer.window(0, 15_000).unreliable());
    assert!(!buffer.window(0, 4_000).unreliable());
}

#[test]
fn a_new_build_is_a_deploy_on_the_time_axis() {
    let mut buffer = Buffer::default();
    push(
        &mut buffer,
        "a",
        0,
        &exposition(Some(1.0), Some("1.4.0"), &[("200", 1.0)]),
    );
    push(
        &mut buffer,
        "a",
        5_000,
        &exposition(Some(1.0), Some("1.4.0"), &[("200", 2.0)]),
    );
    push(
        &mut buffer,
        "a",
        10_000,
        &exposition(Some(9.0), Some("1.5.0"), &[("200", 1.0)]),
    );
    let kinds: Vec<_> = buffer
        .events(0, 10_000)
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [EventKind::Restart, EventKind::Deploy("1.5.0 (abc)".into())]
    );
}

#[test]
fn a_pod_that_went_away_ends_its_series_and_a_new_one_starts_fresh() {
    let mut buffer = Buffer::default();
    push(
        &mut buffer,
        "old",
        0,
        &exposition(Some(1.0), None, &[("200", 500.0)]),
    );
    push(
        &mut buffer,
        "old",
        15_000,
        &exposition(Some(1.0), None, &[("200", 530.0)]),
    );
    buffer.retire("old");
    assert_eq!(buffer.targets().count(), 0);
    // The replacement pod's counters start low: a new target, not a reset.
    push(
        &mut buffer,
        "new",
        16_000,
        &exposition(Some(2.0), None, &[("200", 1.0)]),
    );
    push(
        &mut buffer,
        "new",
        31_000,
        &exposition(Some(2.0), None, &[("200", 21.0)]),
    );
    let w = buffer.window(0, 31_000);
    close(w.total(&ok()), 50.0); // 30 on the old pod + 20 on the new
    assert_eq!(w.resets(), 0);
    assert_eq!(buffer.targets().collect::<Vec<_>>(), ["new"]);
}

#[test]
fn gauges_add_up_over_current_pods_and_a_gone_pod_stops_counting() {
    let gauge = |name: &str, v: f64| format!("# TYPE {name} gauge\n{name} {v}\n");
    let mut buffer = Buffer::default();
    let workers = "zai_proxy_max_workers";
    push(&mut buffer, "a", 0, &gauge(workers, 8.0));
    push(&mut buffer, "b", 1_000, &gauge(workers, 8.0));
    close(buffer.window(0, 1_000).latest(&Slot::MaxWorkers), 16.0);
    // Pod b answers no more; pod a does for six minutes: past Prometheus's
    // five-minute lookback, b's workers are gone.
    push(&mut buffer, "a", 360_000, &gauge(workers, 8.0));
    close(buffer.window(0, 360_000).latest(&Slot::MaxWorkers), 8.0);
    // Utilisation is a ratio per pod: averaged, not added.
    let util = "zai_proxy_worker_utilization_ratio";
    push(&mut buffer, "a", 361_000, &gauge(util, 0.2));
    push(&mut buffer, "b", 362_000, &gauge(util, 0.6));
    close(
        buffer.window(300_000, 362_000).latest(&Slot::Utilization),
        0.4,
    );
}

#[test]
fn a_scrape_reused_by_the_relay_is_refused_not_a_zero_length_interval() {
    let mut buffer = Buffer::default();
    let text = exposition(Some(1.0), None, &[("200", 10.0)]);
    push(&mut buffer, "a", 5_000, &text);
    // The same scrape (same relay timestamp) handed out again.
    assert!(buffer.push_target("a", 5_000, &parse(&text)).is_err());
    push(
        &mut buffer,
        "a",
        10_000,
        &exposition(Some(1.0), None, &[("200", 20.0)]),
    );
    close(buffer.window(5_000, 10_000).rate(&ok()), 2.0);
}
