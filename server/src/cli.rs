//! `zai-dash parse` and `zai-dash snapshot`: the engine from a terminal.
//!
//! `parse` is the quick lint a user runs on an exporter (and the honest way
//! to time the parser from outside); `snapshot` computes the dashboard's
//! numbers for the window between two saved scrapes, so a figure on screen
//! can be reproduced and checked by hand.

use std::{
    collections::{BTreeMap, HashSet},
    io::{self, BufWriter, Read, Write},
    path::PathBuf,
    process::ExitCode,
};

use clap::Args;
use serde::{Serialize, Serializer, ser::SerializeMap};
use zai_dash_engine::{
    buffer::Buffer,
    parse::{self, Labels, MetricType, Sample, Scrape},
    snapshot::snapshot,
    units::parse_duration_ms,
};

/// Flags of `zai-dash parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Print only counts (samples, series, families by type, bad lines).
    #[arg(long)]
    pub summary: bool,
    /// The exposition to read; `-` or nothing for standard input.
    #[arg(value_name = "FILE|-")]
    pub input: Option<PathBuf>,
}

/// Flags of `zai-dash snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Variant name written into the snapshot.
    #[arg(long)]
    pub variant: String,
    /// Time between the two scrapes, e.g. `5s` or `500ms`.
    #[arg(long, value_parser = parse_interval)]
    pub interval: i64,
    /// The earlier scrape.
    #[arg(value_name = "PREV.prom")]
    pub prev: PathBuf,
    /// The later scrape.
    #[arg(value_name = "CUR.prom")]
    pub cur: PathBuf,
}

fn parse_interval(s: &str) -> Result<i64, String> {
    parse_duration_ms(s).ok_or_else(|| format!("{s:?} is not a duration like 5s or 500ms"))
}

fn read_input(path: Option<&PathBuf>) -> io::Result<String> {
    match path {
        Some(p) if p.as_os_str() != "-" => std::fs::read_to_string(p)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display()))),
        _ => {
            let mut text = String::new();
            io::stdin().read_to_string(&mut text)?;
            Ok(text)
        }
    }
}

/// A value as JSON: a number, or `"+Inf"`, `"-Inf"`, `"NaN"` (JSON has no
/// literal for them).
struct JsonValue(f64);

impl Serialize for JsonValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            v if v.is_nan() => s.serialize_str("NaN"),
            v if v == f64::INFINITY => s.serialize_str("+Inf"),
            v if v == f64::NEG_INFINITY => s.serialize_str("-Inf"),
            v => s.serialize_f64(v),
        }
    }
}

struct JsonLabels<'a, 'b>(&'b Labels<'a>);

impl Serialize for JsonLabels<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0.iter() {
            map.serialize_entry(name, &*value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct JsonSample<'a, 'b> {
    name: &'a str,
    labels: JsonLabels<'a, 'b>,
    value: JsonValue,
    timestamp_ms: Option<i64>,
}

impl<'a, 'b> From<&'b Sample<'a>> for JsonSample<'a, 'b> {
    fn from(s: &'b Sample<'a>) -> Self {
        JsonSample {
            name: s.name,
            labels: JsonLabels(&s.labels),
            value: JsonValue(s.value),
            timestamp_ms: s.timestamp_ms,
        }
    }
}

#[derive(Serialize)]
struct Summary {
    samples: usize,
    series: usize,
    families: BTreeMap<&'static str, usize>,
    bad_lines: usize,
}

fn summarise(scrape: &Scrape<'_>) -> Summary {
    let series: HashSet<(&str, &str)> = scrape
        .samples
        .iter()
        .map(|s| (s.name, s.labels.raw()))
        .collect();
    let mut families = BTreeMap::new();
    for kind in [
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Histogram,
        MetricType::Summary,
        MetricType::Untyped,
    ] {
        families.insert(kind.as_str(), 0);
    }
    for family in &scrape.families {
        *families.entry(family.kind.as_str()).or_default() += 1;
    }
    Summary {
        samples: scrape.samples.len(),
        series: series.len(),
        families,
        bad_lines: scrape.errors.len(),
    }
}

/// Runs `zai-dash parse`: samples (or counts) on stdout, bad lines on
/// stderr; exit 1 if any line was bad, 2 if the input cannot be read.
pub fn parse_command(args: &ParseArgs) -> ExitCode {
    let text = match read_input(args.input.as_ref()) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("zai-dash parse: {e}");
            return ExitCode::from(2);
        }
    };
    let scrape = parse::parse(&text);
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if args.summary {
        serde_json::to_writer(&mut out, &summarise(&scrape))
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        scrape.samples.iter().try_for_each(|s| {
            serde_json::to_writer(&mut out, &JsonSample::from(s))?;
            writeln!(out)
        })
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is a normal way to stop reading.
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("zai-dash parse: {e}");
            return ExitCode::from(2);
        }
    }
    let mut err = io::stderr().lock();
    for e in &scrape.errors {
        let _ = writeln!(err, "{e}");
    }
    if scrape.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs `zai-dash snapshot`: the MetricSnapshot JSON of the window between
/// two scrapes `interval` apart. Bad lines are reported on stderr but do
/// not stop the computation.
pub fn snapshot_command(args: &SnapshotArgs) -> ExitCode {
    let read = |p: &PathBuf| read_input(Some(p));
    let (prev, cur) = match (read(&args.prev), read(&args.cur)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("zai-dash snapshot: {e}");
            return ExitCode::from(2);
        }
    };
    let mut buffer = Buffer::default();
    for (path, t_ms, text) in [(&args.prev, 0, &prev), (&args.cur, args.interval, &cur)] {
        let scrape = parse::parse(text);
        for e in &scrape.errors {
            eprintln!("{}: {e}", path.display());
        }
        buffer
            .push(t_ms, &scrape)
            .expect("the second scrape is later than the first");
    }
    let snap = snapshot(&args.variant, &buffer.window(0, args.interval));
    let mut out = io::stdout().lock();
    match serde_json::to_writer_pretty(&mut out, &snap).map_err(io::Error::from) {
        Ok(()) => {
            let _ = writeln!(out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zai-dash snapshot: {e}");
            ExitCode::from(2)
        }
    }
}
