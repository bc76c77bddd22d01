//! A hand-written, zero-copy parser for the Prometheus text exposition format
//! 0.0.4 that also accepts OpenMetrics text.
//!
//! [`parse`] makes one pass over the text, line by line. Every [`Sample`]
//! borrows its name and label text from the input; label sets are validated
//! once while parsing the line and unescaped lazily by [`Labels::iter`] and
//! [`Labels::get`], so the common path allocates nothing per sample. A
//! malformed line becomes a [`ParseError`] carrying its 1-based line number and
//! is skipped: one bad line never costs the rest of the scrape.
//!
//! # Accepted input
//!
//! - `# HELP name text` (text escapes `\\` and `\n`; OpenMetrics' `\"` too) and
//!   `# TYPE name type` (type keyword in any case). Other comments, including
//!   OpenMetrics `# UNIT`, are ignored; `# EOF` ends the exposition.
//! - Sample lines `name{label="value",...} value [timestamp] [# exemplar]`.
//!   Metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names
//!   `[a-zA-Z_][a-zA-Z0-9_]*`. Label values are double-quoted, with the escapes
//!   `\\`, `\"` and `\n`; anything else may appear inside the quotes,
//!   including `,`, `=`, `{` and `}`. Spaces or tabs may surround `,` and `=`,
//!   and a trailing comma before `}` is allowed.
//! - Values as Go's `strconv.ParseFloat` reads them: decimals, exponents,
//!   `Inf`/`Infinity` with an optional sign and `NaN`, in any case.
//! - Timestamps: an integer is milliseconds since the epoch (0.0.4). A number
//!   with a fraction or an exponent is read as OpenMetrics seconds and
//!   converted to milliseconds, rounded to the nearest.
//! - An exemplar (` # {...} value [ts]` after the value or timestamp) is
//!   skipped without validation; the dashboard has no use for it.
//! - Lines may end in `\n` or `\r\n`, the last newline may be missing, and
//!   lines may be indented or empty.

use std::borrow::Cow;
use std::fmt;

// The types are here; `line` gives the lines their meaning (HELP, TYPE,
// samples, and the state carried between them) and `scan` reads the bytes
// of one line (names, label sets, values, escapes).
mod line;
mod scan;

use scan::{LABEL_CHAR, scan_while, skip_blanks, unescape_value};

/// The type of a metric family, as declared by its `# TYPE` line.
///
/// OpenMetrics types map onto the closest 0.0.4 type, so that consumers deal
/// with five cases only: `gaugehistogram` becomes [`MetricType::Histogram`]
/// (its buckets read the same way; its sum and count are `_gsum`/`_gcount`),
/// `stateset` and `info` become [`MetricType::Gauge`] (each sample is a plain
/// 0/1 or constant-1 gauge), and `unknown` becomes [`MetricType::Untyped`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A monotonically increasing total; reset only by a process restart.
    Counter,
    /// A value that can go up and down.
    Gauge,
    /// Cumulative `_bucket{le}` counts plus `_sum` and `_count`.
    Histogram,
    /// Precomputed `{quantile}` values plus `_sum` and `_count`.
    Summary,
    /// No (or an `untyped`/`unknown`) `# TYPE` line.
    Untyped,
}

impl MetricType {
    /// The keyword for this type on a 0.0.4 `# TYPE` line, e.g. `"counter"`;
    /// the writer uses it and it is handy in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One sample line, borrowing its text from the parsed exposition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample<'a> {
    /// The full sample name as written, e.g. `http_seconds_bucket`.
    pub name: &'a str,
    /// The label set, validated and left escaped until it is read.
    pub labels: Labels<'a>,
    /// The value; may be `±Inf` or `NaN`.
    pub value: f64,
    /// Milliseconds since the Unix epoch, when the line carries a timestamp.
    pub timestamp_ms: Option<i64>,
    /// The type of the family this sample belongs to: the most recent valid
    /// `# TYPE` line whose family name equals the sample name, or equals it
    /// minus a suffix that family type uses (`_bucket`, `_sum`, `_count` for
    /// histograms and summaries, `_total` for counters, `_created` for all
    /// three, `_gsum`/`_gcount` for gauge histograms, `_info` for info).
    /// [`MetricType::Untyped`] when no such line exists.
    pub kind: MetricType,
}

/// A validated label set: the raw text between `{` and `}` of one sample.
///
/// Keeping the raw slice makes parsing allocation-free; reading it back with
/// [`Labels::iter`] or [`Labels::get`] cannot fail because the text was
/// checked when the line was parsed, and only values that contain escapes
/// are copied.
#[derive(Clone, Copy, Default)]
pub struct Labels<'a> {
    raw: &'a str,
    len: usize,
}

impl<'a> Labels<'a> {
    /// Every `(name, value)` pair in written order, values unescaped
    /// (borrowed from the input unless they contained an escape).
    pub fn iter(&self) -> LabelIter<'a> {
        LabelIter { rest: self.raw }
    }

    /// The unescaped value of the label `name`, if present. Only the matching
    /// value is unescaped; the others are merely skipped.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let mut it = self.iter();
        while let Some((label, raw, escaped)) = it.next_raw() {
            if label == name {
                return Some(unescape_value(raw, escaped));
            }
        }
        None
    }

    /// The number of labels, counted during validation.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for `foo 1` and `foo{} 1`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The validated text between the braces exactly as written (escapes,
    /// spacing and any trailing comma included). Cheap to hash or compare for
    /// series identity within one exporter's output, but not canonical.
    pub fn raw(&self) -> &'a str {
        self.raw
    }
}

/// Equal when both sets hold the same pairs in the same order, whatever
/// their spacing or escaping.
impl PartialEq for Labels<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for Labels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &Labels<'a> {
    type Item = (&'a str, Cow<'a, str>);
    type IntoIter = LabelIter<'a>;

    fn into_iter(self) -> LabelIter<'a> {
        self.iter()
    }
}

/// Iterator over the `(name, unescaped value)` pairs of a [`Labels`].
#[derive(Clone, Debug)]
pub struct LabelIter<'a> {
    rest: &'a str,
}

impl<'a> LabelIter<'a> {
    /// The next label as `(name, raw value, value contains an escape)`.
    ///
    /// Relies on the text having been validated by
    /// [`scan_labels`](scan::scan_labels); on any other text it stops early
    /// rather than panicking.
    fn next_raw(&mut self) -> Option<(&'a str, &'a str, bool)> {
        let text = self.rest;
        let b = text.as_bytes();
        let start = skip_blanks(b, 0);
        let name_end = scan_while(b, start, LABEL_CHAR);
        if name_end == start {
            self.rest = "";
            return None;
        }
        let quote = skip_blanks(b, skip_blanks(b, name_end) + 1);
        let value_start = quote + 1;
        let mut i = value_start;
        let mut escaped = false;
        let value_end = loop {
            match b.get(i) {
                None | Some(b'"') => break i.min(b.len()),
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(_) => i += 1,
            }
        };
        let mut next = skip_blanks(b, value_end + 1);
        if b.get(next) == Some(&b',') {
            next += 1;
        }
        let value = text.get(value_start..value_end).unwrap_or("");
        self.rest = text.get(next..).unwrap_or("");
        Some((&text[start..name_end], value, escaped))
    }
}

impl<'a> Iterator for LabelIter<'a> {
    type Item = (&'a str, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_raw()
            .map(|(name, raw, escaped)| (name, unescape_value(raw, escaped)))
    }
}

/// What the `# HELP` and/or `# TYPE` lines of one metric family declare:
/// its name, type and help text. Lets a UI show help text and types even for
/// families that currently have no samples.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyHeader<'a> {
    /// The family name as written on the HELP/TYPE line.
    pub name: &'a str,
    /// The declared type; [`MetricType::Untyped`] if only HELP was given.
    pub kind: MetricType,
    /// The unescaped HELP text, if a HELP line was given.
    pub help: Option<Cow<'a, str>>,
}

/// A malformed line: where it is and what is wrong with it. The line was
/// skipped; everything else was parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based line number in the exposition.
    pub line: usize,
    /// Why the line was rejected.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

impl std::error::Error for ParseError {}

/// The specific reason a line was rejected, so callers can count or explain
/// problems without matching on message text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// The line does not start with `[a-zA-Z_:][a-zA-Z0-9_:]*`, or the name
    /// is followed by something other than a blank or `{`.
    BadMetricName,
    /// A label name is empty or not `[a-zA-Z_][a-zA-Z0-9_]*`.
    BadLabelName,
    /// The same label name appears twice in one label set.
    DuplicateLabel,
    /// A label name is not followed by `=`.
    MissingLabelEquals,
    /// A label value does not start with `"`.
    UnquotedLabelValue,
    /// The line ends inside a quoted label value.
    UnterminatedLabelValue,
    /// A label value contains a `\` escape other than `\\`, `\"` or `\n`.
    BadEscape,
    /// Something other than `,` or `}` follows a label value.
    BadLabelSeparator,
    /// The line ends before the closing `}` of the label set.
    UnterminatedLabelSet,
    /// The name (and labels) are not followed by a value.
    MissingValue,
    /// The value is not a float, `Inf` or `NaN`.
    BadValue,
    /// The timestamp is neither an int64 of milliseconds nor a finite float of
    /// seconds that fits in int64 milliseconds.
    BadTimestamp,
    /// Text other than an exemplar (`# ...`) follows the timestamp.
    TrailingText,
    /// A `# HELP` line without a valid metric name.
    BadHelpLine,
    /// A `# TYPE` line without a valid metric name and a single known type.
    BadTypeLine,
    /// A second `# HELP` line for a family; the first one is kept.
    DuplicateHelp,
    /// A second `# TYPE` line for a family; the first one is kept.
    DuplicateType,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseErrorKind::BadMetricName => "invalid metric name",
            ParseErrorKind::BadLabelName => "invalid label name",
            ParseErrorKind::DuplicateLabel => "duplicate label name",
            ParseErrorKind::MissingLabelEquals => "expected '=' after label name",
            ParseErrorKind::UnquotedLabelValue => "label value must be in double quotes",
            ParseErrorKind::UnterminatedLabelValue => "unterminated label value",
            ParseErrorKind::BadEscape => {
                "invalid escape in label value (only \\\\, \\\" and \\n are allowed)"
            }
            ParseErrorKind::BadLabelSeparator => "expected ',' or '}' after label value",
            ParseErrorKind::UnterminatedLabelSet => "label set is missing its closing '}'",
            ParseErrorKind::MissingValue => "missing value",
            ParseErrorKind::BadValue => "invalid value",
            ParseErrorKind::BadTimestamp => "invalid timestamp",
            ParseErrorKind::TrailingText => "unexpected text after timestamp",
            ParseErrorKind::BadHelpLine => "malformed HELP line",
            ParseErrorKind::BadTypeLine => "malformed TYPE line",
            ParseErrorKind::DuplicateHelp => "second HELP line for the same metric",
            ParseErrorKind::DuplicateType => "second TYPE line for the same metric",
        })
    }
}

/// Everything read from one exposition: samples in input order, families in
/// order of first appearance, and one error per rejected line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scrape<'a> {
    /// The samples of every well-formed sample line.
    pub samples: Vec<Sample<'a>>,
    /// The families announced by HELP/TYPE lines, in order of first
    /// appearance.
    pub families: Vec<FamilyHeader<'a>>,
    /// The rejected lines, in line order.
    pub errors: Vec<ParseError>,
}

/// Parses a whole exposition. Never fails: malformed lines are reported in
/// [`Scrape::errors`] and skipped, and parsing stops at an OpenMetrics
/// `# EOF` line.
///
/// # Example
///
/// ```
/// use zai_dash_engine::parse::{MetricType, ParseErrorKind, parse};
///
/// let text = r#"# HELP http_requests_total Requests served.
/// ## TYPE http_requests_total counter
/// http_requests_total{code="200",path="/"} 1027
/// http_requests_total{code="500",path="/"} 3 1700000000000
/// http_requests_total{code="404" 12
/// "#;
/// let scrape = parse(text);
///
/// // Samples borrow from `text`; labels are unescaped when read.
/// let ok = &scrape.samples[0];
/// assert_eq!(ok.name, "http_requests_total");
/// assert_eq!(ok.labels.get("code").as_deref(), Some("200"));
/// assert_eq!(ok.value, 1027.0);
/// assert_eq!(ok.kind, MetricType::Counter);
/// assert_eq!(scrape.samples[1].timestamp_ms, Some(1_700_000_000_000));
///
/// // What the HELP and TYPE lines declared.
/// let header = &scrape.families[0];
/// assert_eq!(header.help.as_deref(), Some("Requests served."));
///
/// // The malformed line is reported by number and skipped.
/// assert_eq!(scrape.samples.len(), 2);
/// assert_eq!(scrape.errors.len(), 1);
/// assert_eq!(scrape.errors[0].line, 5);
/// assert_eq!(scrape.errors[0].kind, ParseErrorKind::BadLabelSeparator);
/// ```
#[must_use]
pub fn parse(text: &str) -> Scrape<'_> {
    line::Parser::run(text)
}
