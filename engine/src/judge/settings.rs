//! The judge's settings and their compact string form.
//!
//! A verdict must be reproducible from a link, so the settings live in the
//! URL (and in the CLI's flags, which spell them the same way): a string
//! of `key:value` items separated by commas, lists joined by dots, with
//! only the characters a query value keeps unescaped, and defaults
//! omitted, so the default settings are the empty string:
//!
//! | key | meaning | example | default |
//! |---|---|---|---|
//! | `conf` | confidence of the shift's interval, % (0 < conf < 100) | `conf:99` | `98` |
//! | `tol` | allowed shift, % of production's median (≥ 0) | `tol:10` | `25` |
//! | `min` | samples each variant needs before a metric is judged (≥ 1) | `min:30` | `50` |
//! | `marginal` | lowest score that is Marginal (0–100, ≤ `pass`) | `marginal:70` | `75` |
//! | `pass` | lowest score that is Pass (0–100) | `pass:90` | `95` |
//! | `metrics` | the metrics judged (non-empty) | `metrics:error_rate.p95` | all |
//! | `critical` | metrics whose failure fails the verdict | `critical:error_rate.p99` | `error_rate` |
//! | `required` | metrics that fail without data | `required:p95` | none |
//!
//! Parsing is strict: a bad item is an error naming it, so a mistyped
//! link or flag never judges with settings nobody asked for.

use std::{fmt, str::FromStr};

use serde::Serialize;

use super::metrics::Metric;
use crate::units;

/// How the judge weighs a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// Confidence of the shift's interval, percent.
    pub confidence_pct: f64,
    /// Allowed shift either way, percent of production's median.
    pub tolerance_pct: f64,
    /// Samples each variant needs before a metric is judged.
    pub min_samples: usize,
    /// The metrics judged, in [`Metric::ALL`] order.
    pub metrics: Vec<Metric>,
    /// Lowest score (0–100) that is Marginal.
    pub marginal: f64,
    /// Lowest score (0–100) that is Pass.
    pub pass: f64,
    /// Metrics whose failure fails the whole verdict.
    pub critical: Vec<Metric>,
    /// Metrics that count as failed when they have no data.
    pub required: Vec<Metric>,
}

impl Default for Settings {
    /// Kayenta's defaults: 98 % confidence, ±25 %, Marginal from 75, Pass
    /// from 95; 50 samples; every metric, the 5xx share critical.
    fn default() -> Self {
        Settings {
            confidence_pct: 98.0,
            tolerance_pct: 25.0,
            min_samples: 50,
            metrics: Metric::ALL.to_vec(),
            marginal: 75.0,
            pass: 95.0,
            critical: vec![Metric::ErrorRate],
            required: Vec::new(),
        }
    }
}

/// A settings string the judge cannot use, and which item is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    /// The offending item, as written.
    pub item: String,
    /// What is wrong with it and what is expected.
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.item, self.message)
    }
}

impl std::error::Error for SettingsError {}

impl FromStr for Settings {
    type Err = SettingsError;

    /// Reads the string form; the empty string is the defaults.
    fn from_str(s: &str) -> Result<Settings, SettingsError> {
        let mut settings = Settings::default();
        let mut seen: Vec<&str> = Vec::new();
        for item in s.split(',').filter(|i| !i.is_empty()) {
            let bad = |message: String| SettingsError {
                item: item.to_owned(),
                message,
            };
            let (key, value) = item
                .split_once(':')
                .ok_or_else(|| bad("expected key:value".into()))?;
            if seen.contains(&key) {
                return Err(bad(format!("{key} is given twice")));
            }
            seen.push(key);
            let number = |ok: fn(f64) -> bool, what: &str| {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|&v| ok(v))
                    .ok_or_else(|| bad(format!("expected {what}")))
            };
            let score = |v: f64| (0.0..=100.0).contains(&v);
            match key {
                "conf" => {
                    settings.confidence_pct = number(
                        |v| v > 0.0 && v < 100.0,
                        "a percentage above 0 and below 100",
                    )?;
                }
                "tol" => {
                    settings.tolerance_pct =
                        number(|v| (0.0..=1e6).contains(&v), "a percentage, 0 or more")?;
                }
                "min" => {
                    settings.min_samples = value
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| n >= 1)
                        .ok_or_else(|| bad("expected a whole number, 1 or more".into()))?;
                }
                "marginal" => settings.marginal = number(score, "a score from 0 to 100")?,
                "pass" => settings.pass = number(score, "a score from 0 to 100")?,
                "metrics" => {
                    settings.metrics = metric_list(value).map_err(bad)?;
                    if settings.metrics.is_empty() {
                        return Err(bad("expected at least one metric".into()));
                    }
                }
                "critical" => settings.critical = metric_list(value).map_err(bad)?,
                "required" => settings.required = metric_list(value).map_err(bad)?,
                _ => {
                    return Err(bad(
                        "unknown key: expected conf, tol, min, marginal, pass, metrics, critical or required"
                            .into(),
                    ));
                }
            }
        }
        if settings.marginal > settings.pass {
            return Err(SettingsError {
                item: s.to_owned(),
                // `units::fixed`, not `{}`: the app parses settings, and
                // core's float formatting would add 7 KB to it.
                message: format!(
                    "marginal ({}) is above pass ({})",
                    units::fixed(settings.marginal, 1),
                    units::fixed(settings.pass, 1)
                ),
            });
        }
        Ok(settings)
    }
}

impl fmt::Display for Settings {
    /// Writes the string form: non-default items only, in a fixed order,
    /// so equal settings give equal links.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let default = Settings::default();
        let mut items: Vec<String> = Vec::new();
        let mut put = |differs: bool, key: &str, value: String| {
            if differs {
                items.push(format!("{key}:{value}"));
            }
        };
        let list = |metrics: &[Metric]| {
            let keys: Vec<&str> = metrics.iter().map(|m| m.key()).collect();
            keys.join(".")
        };
        put(
            self.confidence_pct != default.confidence_pct,
            "conf",
            self.confidence_pct.to_string(),
        );
        put(
            self.tolerance_pct != default.tolerance_pct,
            "tol",
            self.tolerance_pct.to_string(),
        );
        put(
            self.min_samples != default.min_samples,
            "min",
            self.min_samples.to_string(),
        );
        put(
            self.marginal != default.marginal,
            "marginal",
            self.marginal.to_string(),
        );
        put(self.pass != default.pass, "pass", self.pass.to_string());
        put(
            self.metrics != default.metrics,
            "metrics",
            list(&self.metrics),
        );
        put(
            self.critical != default.critical,
            "critical",
            list(&self.critical),
        );
        put(
            self.required != default.required,
            "required",
            list(&self.required),
        );
        f.write_str(&items.join(","))
    }
}

/// A dot-separated list of metric keys, in [`Metric::ALL`] order without
/// repeats (so a list reads back as it was written out).
fn metric_list(value: &str) -> Result<Vec<Metric>, String> {
    let mut metrics = Vec::new();
    for key in value.split('.').filter(|k| !k.is_empty()) {
        let metric = Metric::from_key(key).ok_or_else(|| {
            let known: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
            format!("unknown metric {key:?}: expected {}", known.join(", "))
        })?;
        metrics.push(metric);
    }
    Ok(Metric::ALL
        .into_iter()
        .filter(|m| metrics.contains(m))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Settings {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn error(s: &str) -> SettingsError {
        s.parse::<Settings>().expect_err(s)
    }

    #[test]
    fn the_defaults_are_the_empty_string_both_ways() {
        assert_eq!(parse(""), Settings::default());
        assert_eq!(Settings::default().to_string(), "");
    }

    #[test]
    fn every_item_round_trips_in_a_fixed_order() {
        let s = "conf:99.5,tol:10,min:30,marginal:60,pass:90,metrics:error_rate.p95.cache_hit,critical:error_rate.p99,required:p95";
        let settings = parse(s);
        assert_eq!(settings.confidence_pct, 99.5);
        assert_eq!(settings.tolerance_pct, 10.0);
        assert_eq!(settings.min_samples, 30);
        assert_eq!(
            settings.metrics,
            [Metric::ErrorRate, Metric::P95, Metric::CacheHit]
        );
        assert_eq!(settings.required, [Metric::P95]);
        assert_eq!(settings.to_string(), s);
        assert_eq!(parse(&settings.to_string()), settings);
    }

    #[test]
    fn lists_are_kept_in_display_order_without_repeats_and_may_be_emptied() {
        let settings = parse("required:p99.error_rate.p99,critical:");
        assert_eq!(settings.required, [Metric::ErrorRate, Metric::P99]);
        assert!(settings.critical.is_empty());
        assert_eq!(
            settings.to_string(),
            "critical:,required:error_rate.p99",
            "an emptied default is written, so it reads back empty"
        );
    }

    #[test]
    fn bad_items_are_errors_that_name_them() {
        let cases = [
            ("conf:100", "conf:100", "above 0 and below 100"),
            ("conf:x", "conf:x", "percentage"),
            ("tol:-1", "tol:-1", "0 or more"),
            ("min:0", "min:0", "1 or more"),
            ("min:2.5", "min:2.5", "whole number"),
            ("pass:101", "pass:101", "0 to 100"),
            (
                "metrics:p95.p42",
                "metrics:p95.p42",
                "unknown metric \"p42\"",
            ),
            ("metrics:", "metrics:", "at least one"),
            ("speed:9", "speed:9", "unknown key"),
            ("conf", "conf", "key:value"),
            ("tol:1,tol:2", "tol:2", "twice"),
            ("marginal:90,pass:80", "marginal:90,pass:80", "above pass"),
        ];
        for (input, item, message) in cases {
            let e = error(input);
            assert_eq!(e.item, item, "{input}");
            assert!(e.message.contains(message), "{input}: {}", e.message);
        }
    }
}
