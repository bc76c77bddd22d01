//! The judge over `--demo`'s simulated variants: `--demo-canary worse`
//! must fail, so the demo shows what a bad canary looks like, and an
//! identical canary must not.
//!
//! The simulators are driven on their own clock, scraped every 5 s as the
//! app polls them, so nothing here depends on the wall clock.

use zai_dash_engine::{
    buffer::Buffer,
    judge::{Class, Metric, Outcome, Settings, Verdict, interval_samples, judge},
    parse::parse,
    prices::PriceTable,
};
use zai_dash_server::demo::{CanaryQuality, Profile, Simulator};

/// 2026-09-12T02:42:00Z, as in the demo's own specification.
const START_MS: i64 = 1_789_180_920_000;
const SCRAPE_MS: i64 = 5_000;

/// Production and a canary of `quality`, scraped every 5 s for 30 minutes,
/// judged with the default settings.
fn verdict(quality: CanaryQuality) -> Verdict {
    let mut variants = [
        (
            Simulator::new("production", Profile::production(), 42, START_MS),
            Buffer::default(),
        ),
        (
            Simulator::new("canary", quality.profile(), 43, START_MS),
            Buffer::default(),
        ),
    ];
    for i in 1..=360 {
        let t = START_MS + i * SCRAPE_MS;
        for (sim, buffer) in &mut variants {
            sim.advance_to(t);
            buffer.push(t, &parse(&sim.render())).unwrap();
        }
    }
    let [production, canary] = variants
        .each_ref()
        .map(|(_, b)| interval_samples(b, (i64::MIN, i64::MAX), SCRAPE_MS, &PriceTable::default()));
    judge(&production, &canary, &Settings::default())
}

fn summary(v: &Verdict) -> String {
    v.metrics
        .iter()
        .map(|r| {
            format!(
                "{}: {:?} {:?} {:?}\n",
                r.metric.key(),
                r.class,
                r.shift,
                r.reason
            )
        })
        .collect()
}

#[test]
fn a_worse_demo_canary_fails() {
    let v = verdict(CanaryQuality::Worse);
    assert_eq!(v.outcome, Outcome::Fail, "{}", summary(&v));
    let p50 = v.metrics.iter().find(|r| r.metric == Metric::P50).unwrap();
    assert_eq!(p50.class, Class::High, "{}", summary(&v));
}

#[test]
fn an_identical_demo_canary_does_not_fail() {
    let v = verdict(CanaryQuality::Same);
    assert_ne!(v.outcome, Outcome::Fail, "{}", summary(&v));
}
