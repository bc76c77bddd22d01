//! `zai-dash verdict`: the canary judge from a terminal, for a deploy
//! pipeline's gate.
//!
//! It watches both variants for a while, scraping every pod of each on
//! every round into the engine's buffers, exactly as the app polls them,
//! then judges the canary against production with the engine's
//! [`judge`](zai_dash_engine::judge) and exits with the verdict: 0 Pass,
//! 1 Fail, 2 Marginal or not enough data, 3 a variant unreachable. The
//! numbers are the app's, computed by the same code over the same kind of
//! samples, so a gate and a dashboard never disagree.
//!
//! Variants are reached through a relay (`/targets/{variant}` for the
//! pods, then `/relay/{variant}/{id}` for each), or straight at their
//! `/metrics` URLs, one per pod.

use std::{
    fmt::Write as _,
    io::{self, Write},
    process::ExitCode,
    time::Duration,
};

use clap::Args;
use reqwest::{Client, Url};
use serde::{Deserialize, Serialize};
use zai_dash_engine::{
    buffer::Buffer,
    judge::{self, Class, MetricResult, Outcome, Settings, Unit, Verdict},
    parse,
    prices::PriceTable,
    units::parse_duration_ms,
};

use crate::{now_ms, relay::X_SCRAPE_TIMESTAMP_MS};

/// The version of `--json`'s schema; raised on any incompatible change.
pub const JSON_VERSION: u32 = 1;

/// Exit code when a variant cannot be reached.
const UNREACHABLE: u8 = 3;

/// Flags of `zai-dash verdict`.
#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// Base URL of a zai-dash relay serving variants `production` and
    /// `canary`, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", conflicts_with_all = ["production", "canary"])]
    pub relay: Option<Url>,
    /// A production pod's /metrics URL (repeatable, one per pod).
    #[arg(long, value_name = "URL", requires = "canary")]
    pub production: Vec<Url>,
    /// A canary pod's /metrics URL (repeatable, one per pod).
    #[arg(long, value_name = "URL", requires = "production")]
    pub canary: Vec<Url>,
    /// How long to watch, e.g. 10m.
    #[arg(long, default_value = "10m", value_parser = duration)]
    pub duration: i64,
    /// Time between scrape rounds, e.g. 5s: one sample per interval.
    #[arg(long, default_value = "5s", value_parser = duration)]
    pub interval: i64,
    /// Print the verdict as JSON (schema in the README) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Judge settings in the URL form, e.g. conf:99,tol:10,critical:error_rate.p99.
    #[arg(long, value_name = "SETTINGS")]
    pub settings: Option<String>,
    /// Confidence of the shift's interval, % (URL key conf; default 98).
    #[arg(long, value_name = "PCT")]
    pub conf: Option<String>,
    /// Allowed shift, % of production's median (URL key tol; default 25).
    #[arg(long, value_name = "PCT")]
    pub tol: Option<String>,
    /// Samples each variant needs per metric (URL key min; default 50).
    #[arg(long, value_name = "N")]
    pub min: Option<String>,
    /// Lowest Marginal score (default 75).
    #[arg(long, value_name = "SCORE")]
    pub marginal: Option<String>,
    /// Lowest Pass score (default 95).
    #[arg(long, value_name = "SCORE")]
    pub pass: Option<String>,
    /// Metrics judged, dot-separated (default all): error_rate,
    /// rate_limited, upstream_errors, p50, p95, p99, ms_per_token,
    /// tokens_per_request, cost_per_request, cache_hit.
    #[arg(long, value_name = "LIST")]
    pub metrics: Option<String>,
    /// Metrics whose failure fails the verdict, dot-separated (default error_rate).
    #[arg(long, value_name = "LIST")]
    pub critical: Option<String>,
    /// Metrics that fail without data, dot-separated (default none).
    #[arg(long, value_name = "LIST")]
    pub required: Option<String>,
    /// Token prices for a proxy that exports no cost, USD per million
    /// tokens, as the app's `prices=` (`input:0.6,output:2.2,
    /// glm-4.5-air/output:1.1`): the cost per request is judged from them.
    #[arg(long, value_name = "TABLE", default_value = "")]
    pub prices: PriceTable,
}

impl VerdictArgs {
    /// The judge settings: `--settings`, with each single flag replacing
    /// its key there, read by the engine's parser (so the flags and the
    /// URL can never disagree).
    pub fn judge_settings(&self) -> Result<Settings, judge::SettingsError> {
        let flags = [
            ("conf", &self.conf),
            ("tol", &self.tol),
            ("min", &self.min),
            ("marginal", &self.marginal),
            ("pass", &self.pass),
            ("metrics", &self.metrics),
            ("critical", &self.critical),
            ("required", &self.required),
        ];
        let given: Vec<(&str, &String)> = flags
            .iter()
            .filter_map(|(key, value)| Some((*key, value.as_ref()?)))
            .collect();
        let overridden = |item: &str| {
            let key = item.split_once(':').map_or(item, |(k, _)| k);
            given.iter().any(|(k, _)| *k == key)
        };
        let mut items: Vec<String> = self
            .settings
            .iter()
            .flat_map(|s| s.split(','))
            .filter(|item| !overridden(item))
            .map(str::to_owned)
            .collect();
        items.extend(given.iter().map(|(key, value)| format!("{key}:{value}")));
        items.join(",").parse()
    }
}

fn duration(s: &str) -> Result<i64, String> {
    parse_duration_ms(s).ok_or_else(|| format!("{s:?} is not a duration like 10m, 5s or 500ms"))
}

/// Where a variant's pods are.
enum Source {
    /// Through a relay, which lists them.
    Relay(Url),
    /// Their own /metrics URLs.
    Direct(Vec<Url>),
}

/// One variant being watched.
struct Watched {
    name: &'static str,
    source: Source,
    buffer: Buffer,
    scrapes: usize,
    failures: usize,
}

/// Body of a relay's `/targets/{variant}`.
#[derive(Deserialize)]
struct TargetsBody {
    targets: Vec<TargetId>,
}

#[derive(Deserialize)]
struct TargetId {
    id: String,
}

impl Watched {
    /// The variant's pods now: an id and a URL each.
    async fn targets(&self, client: &Client) -> Result<Vec<(String, Url)>, String> {
        match &self.source {
            Source::Direct(urls) => Ok(urls
                .iter()
                .enumerate()
                .map(|(i, u)| (i.to_string(), u.clone()))
                .collect()),
            Source::Relay(base) => {
                let url = join(base, &format!("targets/{}", self.name))?;
                let text = checked(client.get(url.clone()).send().await, &url)?
                    .text()
                    .await
                    .map_err(|e| format!("{url}: {e}"))?;
                let body: TargetsBody =
                    serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))?;
                body.targets
                    .into_iter()
                    .map(|t| {
                        Ok((
                            t.id.clone(),
                            join(base, &format!("relay/{}/{}", self.name, t.id))?,
                        ))
                    })
                    .collect()
            }
        }
    }

    /// One scrape round: every pod, concurrently, into the buffer. The
    /// error says why nothing at all was scraped.
    async fn round(&mut self, client: &Client) -> Result<(), String> {
        let targets = self.targets(client).await?;
        if targets.is_empty() {
            return Err("no targets".into());
        }
        let fetches: Vec<_> = targets
            .into_iter()
            .map(|(id, url)| {
                let client = client.clone();
                tokio::spawn(async move {
                    let response = checked(client.get(url.clone()).send().await, &url)?;
                    let t_ms = response
                        .headers()
                        .get(&X_SCRAPE_TIMESTAMP_MS)
                        .and_then(|v| v.to_str().ok()?.parse().ok())
                        .unwrap_or_else(now_ms);
                    let text = response.text().await.map_err(|e| format!("{url}: {e}"))?;
                    Ok::<_, String>((id, t_ms, text))
                })
            })
            .collect();
        let mut last_error = None;
        let mut scraped = 0;
        for fetch in fetches {
            match fetch.await.expect("a scrape does not panic") {
                Ok((id, t_ms, text)) => {
                    // A relay's answer shared with an earlier round has
                    // the same time: not a new scrape, refused as such.
                    if self
                        .buffer
                        .push_target(&id, t_ms, &parse::parse(&text))
                        .is_ok()
                    {
                        self.scrapes += 1;
                    }
                    scraped += 1;
                }
                Err(e) => {
                    self.failures += 1;
                    eprintln!("zai-dash verdict: {}: {e}", self.name);
                    last_error = Some(e);
                }
            }
        }
        match last_error {
            Some(e) if scraped == 0 => Err(e),
            _ => Ok(()),
        }
    }
}

/// `base` joined with `path`, as a directory.
fn join(base: &Url, path: &str) -> Result<Url, String> {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(path).map_err(|e| format!("{base}{path}: {e}"))
}

/// The response if it is a 200, else why not.
fn checked(
    result: Result<reqwest::Response, reqwest::Error>,
    url: &Url,
) -> Result<reqwest::Response, String> {
    let response = result.map_err(|e| format!("{url}: {e}"))?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(format!("{url}: HTTP {}", response.status()))
    }
}

/// Runs `zai-dash verdict`: watches, judges, prints, and exits with the
/// verdict's code (see the module documentation).
pub fn verdict_command(args: &VerdictArgs) -> ExitCode {
    let settings = match args.judge_settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("zai-dash verdict: bad settings: {e}");
            return ExitCode::from(2);
        }
    };
    let sources = match (&args.relay, args.production.is_empty()) {
        (Some(relay), _) => [Source::Relay(relay.clone()), Source::Relay(relay.clone())],
        (None, false) => [
            Source::Direct(args.production.clone()),
            Source::Direct(args.canary.clone()),
        ],
        (None, true) => {
            eprintln!("zai-dash verdict: give --relay URL, or --production URL and --canary URL");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let [production, canary] = sources;
    match runtime.block_on(watch(args, production, canary)) {
        Ok(variants) => report(args, &settings, &variants),
        Err(e) => {
            eprintln!("zai-dash verdict: unreachable: {e}");
            ExitCode::from(UNREACHABLE)
        }
    }
}

/// Scrapes both variants every interval for the duration. A variant that
/// answers nothing on the first round is unreachable, at once; later
/// failures only cost samples.
async fn watch(
    args: &VerdictArgs,
    production: Source,
    canary: Source,
) -> Result<[Watched; 2], String> {
    let client = Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| e.to_string())?;
    let watched = |name, source| Watched {
        name,
        source,
        buffer: Buffer::default(),
        scrapes: 0,
        failures: 0,
    };
    let mut variants = [watched("production", production), watched("canary", canary)];
    let interval = Duration::from_millis(args.interval as u64);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let rounds = args.duration / args.interval + 1;
    for round in 0..rounds {
        ticks.tick().await;
        for v in &mut variants {
            let result = v.round(&client).await;
            if round == 0 {
                result.map_err(|e| format!("{}: {e}", v.name))?;
            }
        }
    }
    Ok(variants)
}

/// The `--json` document.
#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    #[serde(flatten)]
    verdict: &'a Verdict,
    settings: String,
    duration_ms: i64,
    interval_ms: i64,
    variants: [VariantReport; 2],
}

/// What was seen of one variant.
#[derive(Serialize)]
struct VariantReport {
    name: &'static str,
    scrapes: usize,
    failed_scrapes: usize,
    intervals: usize,
}

/// Judges what was watched, prints it and returns the exit code.
fn report(args: &VerdictArgs, settings: &Settings, variants: &[Watched; 2]) -> ExitCode {
    let samples = variants.each_ref().map(|v| {
        judge::interval_samples(&v.buffer, (i64::MIN, i64::MAX), args.interval, &args.prices)
    });
    let verdict = judge::judge(&samples[0], &samples[1], settings);
    let out = if args.json {
        let report = Report {
            version: JSON_VERSION,
            verdict: &verdict,
            settings: settings.to_string(),
            duration_ms: args.duration,
            interval_ms: args.interval,
            variants: [0, 1].map(|i| VariantReport {
                name: variants[i].name,
                scrapes: variants[i].scrapes,
                failed_scrapes: variants[i].failures,
                intervals: samples[i].intervals,
            }),
        };
        serde_json::to_string_pretty(&report).expect("the report serialises") + "\n"
    } else {
        table(
            &verdict,
            settings,
            [samples[0].intervals, samples[1].intervals],
        )
    };
    let _ = io::stdout().lock().write_all(out.as_bytes());
    ExitCode::from(match verdict.outcome {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        Outcome::Marginal | Outcome::NotEnoughData => 2,
    })
}

/// The verdict as a table for a terminal.
fn table(verdict: &Verdict, settings: &Settings, intervals: [usize; 2]) -> String {
    let mut out = String::new();
    let outcome = match verdict.outcome {
        Outcome::Pass => "PASS",
        Outcome::Marginal => "MARGINAL",
        Outcome::Fail => "FAIL",
        Outcome::NotEnoughData => "NOT ENOUGH DATA",
    };
    let score = verdict
        .score
        .map_or("no score".to_owned(), |s| format!("score {s:.0}"));
    let _ = writeln!(
        out,
        "canary verdict: {outcome} ({score}; {} of {} judged metrics passed; pass ≥ {}, marginal ≥ {})",
        verdict.passed, verdict.judged, settings.pass, settings.marginal
    );
    if !verdict.failed_critical.is_empty() {
        let keys: Vec<&str> = verdict.failed_critical.iter().map(|m| m.key()).collect();
        let _ = writeln!(out, "critical metrics failed: {}", keys.join(", "));
    }
    let _ = writeln!(
        out,
        "intervals: production {}, canary {}\n",
        intervals[0], intervals[1]
    );
    let _ = writeln!(
        out,
        "{:<24} {:>12} {:>12} {:>38} {:>9} {:>9}  result",
        "metric",
        "production",
        "canary",
        format!("shift [{}% CI]", settings.confidence_pct),
        "p",
        "n p/c"
    );
    for r in &verdict.metrics {
        let _ = writeln!(out, "{}", row(r));
    }
    out
}

/// One metric's line of the table.
fn row(r: &MetricResult) -> String {
    let unit = r.metric.unit();
    let median = |v: Option<f64>| v.map_or("—".to_owned(), |v| show(unit, v, false));
    let shift = r.shift.map_or("—".to_owned(), |s| {
        format!(
            "{} [{}, {}]",
            show(unit, s.estimate, true),
            show(unit, s.lower, true),
            show(unit, s.upper, true)
        )
    });
    let p = r.p.map_or("—".to_owned(), |p| format!("{p:.2e}"));
    let mut result = match r.class {
        Class::Pass => "pass".to_owned(),
        Class::High => "HIGH".to_owned(),
        Class::Low => "LOW".to_owned(),
        Class::NoData => "no data".to_owned(),
        Class::NotEnoughData { n, min } => format!("not enough data ({n}/{min})"),
    };
    if r.critical {
        result += " (critical)";
    }
    if r.required {
        result += " (required)";
    }
    if let Some(reason) = &r.reason {
        let _ = write!(result, ": {reason}");
    }
    format!(
        "{:<24} {:>12} {:>12} {:>38} {:>9} {:>9}  {result}",
        r.metric.label(),
        median(r.production.median),
        median(r.canary.median),
        shift,
        p,
        format!("{}/{}", r.production.n, r.canary.n),
    )
}

/// A value of `unit`, signed when it is a shift.
fn show(unit: Unit, v: f64, signed: bool) -> String {
    let (sign, v) = match v {
        v if v < 0.0 => ("-", -v),
        v if signed && v > 0.0 => ("+", v),
        v => ("", v),
    };
    match unit {
        Unit::Ratio => format!("{sign}{:.2} %", v * 100.0),
        Unit::Ms => format!("{sign}{v:.1} ms"),
        Unit::Tokens => format!("{sign}{v:.0}"),
        Unit::Usd => format!("{sign}${v:.5}"),
    }
}
