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
use std::collections::HashMap;
use std::fmt;

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
    /// Relies on the text having been validated by [`scan_labels`]; on any
    /// other text it stops early rather than panicking.
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

/// A metric family announced by `# HELP` and/or `# TYPE` lines, in order of
/// first appearance. Lets a UI show help text and types even for families
/// that currently have no samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Family<'a> {
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
    /// The families announced by HELP/TYPE lines.
    pub families: Vec<Family<'a>>,
    /// The rejected lines, in line order.
    pub errors: Vec<ParseError>,
}

/// Parses a whole exposition. Never fails: malformed lines are reported in
/// [`Scrape::errors`] and skipped, and parsing stops at an OpenMetrics
/// `# EOF` line.
#[must_use]
pub fn parse(text: &str) -> Scrape<'_> {
    let b = text.as_bytes();
    let mut parser = Parser::default();
    let mut pos = 0;
    let mut line = 0;
    // One pass: sample lines are scanned up to their own newline, so only
    // comments and rejected lines need a separate search for the line end.
    while pos < b.len() {
        line += 1;
        let start = skip_blanks(b, pos);
        let (end, outcome) = if b.get(start) == Some(&b'#') {
            let end = line_end(b, start);
            let comment = &text[start + 1..end];
            let comment = comment.strip_suffix('\r').unwrap_or(comment);
            (end, parser.comment(comment, line))
        } else if at_line_end(b, start) {
            (line_end(b, start), Ok(Line::Done))
        } else {
            match parser.sample(text, start) {
                Ok(end) => (end, Ok(Line::Done)),
                Err(kind) => (line_end(b, start), Err(kind)),
            }
        };
        pos = end + 1;
        match outcome {
            Ok(Line::Done) => {}
            Ok(Line::Eof) => break,
            Err(kind) => parser.scrape.errors.push(ParseError { line, kind }),
        }
    }
    parser.scrape
}

/// What the main loop does after a line that parsed.
enum Line {
    Done,
    Eof,
}

/// The declared type in full, including OpenMetrics types that
/// [`MetricType`] folds together; it decides which suffixes a family owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Declared {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Untyped,
}

impl Declared {
    fn from_keyword(word: &str) -> Option<Declared> {
        const KEYWORDS: [(&str, Declared); 9] = [
            ("counter", Declared::Counter),
            ("gauge", Declared::Gauge),
            ("histogram", Declared::Histogram),
            ("gaugehistogram", Declared::GaugeHistogram),
            ("summary", Declared::Summary),
            ("info", Declared::Info),
            ("stateset", Declared::StateSet),
            ("untyped", Declared::Untyped),
            ("unknown", Declared::Untyped),
        ];
        KEYWORDS
            .iter()
            .find(|(keyword, _)| keyword.eq_ignore_ascii_case(word))
            .map(|&(_, declared)| declared)
    }

    fn kind(self) -> MetricType {
        match self {
            Declared::Counter => MetricType::Counter,
            Declared::Gauge | Declared::Info | Declared::StateSet => MetricType::Gauge,
            Declared::Histogram | Declared::GaugeHistogram => MetricType::Histogram,
            Declared::Summary => MetricType::Summary,
            Declared::Untyped => MetricType::Untyped,
        }
    }

    /// Whether a sample named `family + suffix` belongs to a family of this
    /// type (`suffix` is empty for the family name itself).
    fn owns_suffix(self, suffix: &str) -> bool {
        match suffix {
            "" => true,
            "_total" => self == Declared::Counter,
            "_created" => matches!(
                self,
                Declared::Counter | Declared::Histogram | Declared::Summary
            ),
            "_bucket" => matches!(self, Declared::Histogram | Declared::GaugeHistogram),
            "_sum" | "_count" => matches!(self, Declared::Histogram | Declared::Summary),
            "_gsum" | "_gcount" => self == Declared::GaugeHistogram,
            "_info" => self == Declared::Info,
            _ => false,
        }
    }
}

/// Every suffix [`Declared::owns_suffix`] can accept.
const SUFFIXES: [&str; 8] = [
    "_total", "_created", "_bucket", "_sum", "_count", "_gsum", "_gcount", "_info",
];

/// What the parser remembers about a family name seen on a HELP/TYPE line.
struct Slot {
    /// Index into `Scrape::families`.
    index: usize,
    /// The line number and type of its TYPE line, if any.
    declared: Option<(usize, Declared)>,
}

/// State carried from line to line while parsing one exposition.
#[derive(Default)]
struct Parser<'a> {
    scrape: Scrape<'a>,
    slots: HashMap<&'a str, Slot>,
    /// The most recent valid TYPE line: resolves nearly every sample without
    /// a hash lookup, since samples follow their TYPE line.
    current: Option<(&'a str, Declared)>,
    /// What the previous sample line lets the next one skip.
    previous: Option<Checkpoint<'a>>,
}

/// The previous sample line, kept because consecutive lines usually repeat
/// its name and most of its labels: all the buckets of a histogram series
/// differ only in `le`. A line that starts with the same bytes needs no
/// second validation of them; on the synthetic exposition of
/// benches/parse.rs this made parsing about 1.75x faster.
#[derive(Clone, Copy)]
struct Checkpoint<'a> {
    name: &'a str,
    kind: MetricType,
    labels: Option<LabelCheckpoint<'a>>,
}

/// The previous line from its name up to the start of its last label, and
/// the label-scan state at that point.
#[derive(Clone, Copy)]
struct LabelCheckpoint<'a> {
    prefix: &'a str,
    /// Offset of the byte after `{` from the start of the name.
    open: usize,
    count: usize,
    names: u64,
}

impl<'a> Parser<'a> {
    /// Handles a line that starts with `#`; `rest` follows the `#`.
    fn comment(&mut self, rest: &'a str, line: usize) -> Result<Line, ParseErrorKind> {
        let b = rest.as_bytes();
        let word_start = skip_blanks(b, 0);
        let word_end = scan_until_blank(b, word_start);
        let after = &rest[word_end..];
        match &rest[word_start..word_end] {
            "HELP" => self.help(after),
            "TYPE" => self.type_line(after, line),
            "EOF" if after.bytes().all(is_blank) => Ok(Line::Eof),
            _ => Ok(Line::Done),
        }
    }

    fn help(&mut self, rest: &'a str) -> Result<Line, ParseErrorKind> {
        let (name, text) = family_name(rest).ok_or(ParseErrorKind::BadHelpLine)?;
        let text = &text[skip_blanks(text.as_bytes(), 0)..];
        let index = self.slot(name).index;
        let family = &mut self.scrape.families[index];
        if family.help.is_some() {
            return Err(ParseErrorKind::DuplicateHelp);
        }
        family.help = Some(unescape_help(text));
        Ok(Line::Done)
    }

    fn type_line(&mut self, rest: &'a str, line: usize) -> Result<Line, ParseErrorKind> {
        let (name, tail) = family_name(rest).ok_or(ParseErrorKind::BadTypeLine)?;
        let tb = tail.as_bytes();
        let word_start = skip_blanks(tb, 0);
        let word_end = scan_until_blank(tb, word_start);
        if word_start == 0 || skip_blanks(tb, word_end) != tb.len() {
            return Err(ParseErrorKind::BadTypeLine);
        }
        let declared = Declared::from_keyword(&tail[word_start..word_end])
            .ok_or(ParseErrorKind::BadTypeLine)?;
        let slot = self.slot(name);
        if slot.declared.is_some() {
            return Err(ParseErrorKind::DuplicateType);
        }
        slot.declared = Some((line, declared));
        let index = slot.index;
        self.scrape.families[index].kind = declared.kind();
        self.current = Some((name, declared));
        // A later TYPE line can change the kind of a repeated name.
        self.previous = None;
        Ok(Line::Done)
    }

    /// The slot for a family name, creating the family on first sight.
    fn slot(&mut self, name: &'a str) -> &mut Slot {
        let families = &mut self.scrape.families;
        self.slots.entry(name).or_insert_with(|| {
            families.push(Family {
                name,
                kind: MetricType::Untyped,
                help: None,
            });
            Slot {
                index: families.len() - 1,
                declared: None,
            }
        })
    }

    /// Parses the sample line whose name starts at `start`; returns the index
    /// of its line end.
    fn sample(&mut self, text: &'a str, start: usize) -> Result<usize, ParseErrorKind> {
        let b = text.as_bytes();
        let line = &b[start..];
        let mut known = None;
        let mut resume = None;
        if let Some(previous) = self.previous {
            let labels = previous
                .labels
                .filter(|labels| line.starts_with(labels.prefix.as_bytes()));
            let name = previous.name.as_bytes();
            if labels.is_some()
                || line.starts_with(name)
                    && line
                        .get(name.len())
                        .is_none_or(|&c| CLASS[usize::from(c)] & NAME_CHAR == 0)
            {
                known = Some((name.len(), previous.kind));
                resume = labels;
            }
        }
        let name_len = match known {
            Some((len, _)) => len,
            None => scan_name(line),
        };
        if name_len == 0 {
            return Err(ParseErrorKind::BadMetricName);
        }
        let name_end = start + name_len;
        let name = &text[start..name_end];

        let mut i = skip_blanks(b, name_end);
        let mut labels = Labels::default();
        let mut checkpoint = None;
        let scan = match resume {
            Some(cp) => Some((
                start + cp.open,
                LabelState {
                    at: start + cp.prefix.len(),
                    count: cp.count,
                    names: cp.names,
                },
            )),
            None if b.get(i) == Some(&b'{') => Some((
                i + 1,
                LabelState {
                    at: i + 1,
                    count: 0,
                    names: 0,
                },
            )),
            None if i == name_end && !at_line_end(b, i) => {
                return Err(ParseErrorKind::BadMetricName);
            }
            None => None,
        };
        if let Some((open, from)) = scan {
            let (close, count, last) = scan_labels(text, open, from)?;
            labels = Labels {
                raw: &text[open..close],
                len: count,
            };
            checkpoint = Some(LabelCheckpoint {
                prefix: &text[start..last.at],
                open: open - start,
                count: last.count,
                names: last.names,
            });
            i = skip_blanks(b, close + 1);
        }

        if at_line_end(b, i) {
            return Err(ParseErrorKind::MissingValue);
        }
        let value_end = scan_token(b, i);
        let value = parse_value(&text[i..value_end]).ok_or(ParseErrorKind::BadValue)?;
        let mut rest = skip_blanks(b, value_end);
        let mut timestamp_ms = None;
        if !at_line_end(b, rest) && b[rest] != b'#' {
            let ts_end = scan_token(b, rest);
            let timestamp = parse_timestamp(&text[rest..ts_end]);
            timestamp_ms = Some(timestamp.ok_or(ParseErrorKind::BadTimestamp)?);
            rest = skip_blanks(b, ts_end);
            if !at_line_end(b, rest) && b[rest] != b'#' {
                return Err(ParseErrorKind::TrailingText);
            }
        }

        let kind = match known {
            Some((_, kind)) => kind,
            None => self.resolve(name),
        };
        self.scrape.samples.push(Sample {
            name,
            labels,
            value,
            timestamp_ms,
            kind,
        });
        self.previous = Some(Checkpoint {
            name,
            kind,
            labels: checkpoint,
        });
        Ok(line_end(b, rest))
    }

    /// The type of the family a sample name belongs to (see [`Sample::kind`]).
    fn resolve(&self, name: &str) -> MetricType {
        if let Some((family, declared)) = self.current
            && let Some(suffix) = name.strip_prefix(family)
            && declared.owns_suffix(suffix)
        {
            return declared.kind();
        }
        self.lookup(name)
    }

    /// Slow path of [`Parser::resolve`]: the most recent TYPE line among the
    /// exact name and the name minus each suffix.
    fn lookup(&self, name: &str) -> MetricType {
        let declared_for = |family: &str, suffix: &str| {
            self.slots
                .get(family)
                .and_then(|slot| slot.declared)
                .filter(|&(_, declared)| declared.owns_suffix(suffix))
        };
        let mut best = declared_for(name, "");
        for suffix in SUFFIXES {
            if let Some(family) = name.strip_suffix(suffix)
                && let Some(found) = declared_for(family, suffix)
                && best.is_none_or(|(line, _)| found.0 > line)
            {
                best = Some(found);
            }
        }
        best.map_or(MetricType::Untyped, |(_, declared)| declared.kind())
    }
}

/// Where a label scan is: at a label's first byte (or the closing brace),
/// with `count` labels before it whose names hash into the `names` bits.
#[derive(Clone, Copy)]
struct LabelState {
    at: usize,
    count: usize,
    names: u64,
}

/// Validates a label set from `from` (the start of a label, or the `}`),
/// where `open` is the index after its `{`. Returns the index of the `}`,
/// the number of labels and the state at the start of the last label.
fn scan_labels(
    text: &str,
    open: usize,
    from: LabelState,
) -> Result<(usize, usize, LabelState), ParseErrorKind> {
    let b = text.as_bytes();
    let LabelState {
        at: mut i,
        mut count,
        mut names,
    } = from;
    let mut last = from;
    loop {
        i = skip_blanks(b, i);
        match b.get(i) {
            Some(b'}') => break,
            Some(&c) if is_label_start(c) => {}
            _ if at_line_end(b, i) => return Err(ParseErrorKind::UnterminatedLabelSet),
            _ => return Err(ParseErrorKind::BadLabelName),
        }
        last = LabelState {
            at: i,
            count,
            names,
        };
        let name_start = i;
        i = scan_while(b, i + 1, LABEL_CHAR);
        if b.get(i).is_some_and(|&c| {
            !matches!(c, b'=' | b',' | b'}' | b'"' | b'\n' | b'\r') && !is_blank(c)
        }) {
            return Err(ParseErrorKind::BadLabelName);
        }
        let name = &text[name_start..i];
        // A 64-bit Bloom filter of the names so far: only a hit costs a
        // rescan of the (already validated) labels before this one.
        let bit = name_bit(name.as_bytes());
        if names & bit != 0 {
            let before = Labels {
                raw: &text[open..name_start],
                len: count,
            };
            if before.get(name).is_some() {
                return Err(ParseErrorKind::DuplicateLabel);
            }
        }
        names |= bit;
        i = skip_blanks(b, i);
        if b.get(i) != Some(&b'=') {
            return Err(ParseErrorKind::MissingLabelEquals);
        }
        i = skip_blanks(b, i + 1);
        if b.get(i) != Some(&b'"') {
            return Err(ParseErrorKind::UnquotedLabelValue);
        }
        i = scan_label_value(b, i + 1)?;
        count += 1;
        i = skip_blanks(b, i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => break,
            _ if at_line_end(b, i) => return Err(ParseErrorKind::UnterminatedLabelSet),
            _ => return Err(ParseErrorKind::BadLabelSeparator),
        }
    }
    Ok((i, count, last))
}

/// One bit per label name for the duplicate check in [`scan_labels`].
fn name_bit(name: &[u8]) -> u64 {
    let key = u64::from(name[0])
        | u64::from(name[name.len() / 2]) << 8
        | u64::from(name[name.len() - 1]) << 16
        | (name.len() as u64) << 24;
    1 << (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// Checks a quoted label value starting after its opening quote; returns the
/// index just past the closing quote.
fn scan_label_value(b: &[u8], mut i: usize) -> Result<usize, ParseErrorKind> {
    loop {
        let found = b[i..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c == b'\n')
            .ok_or(ParseErrorKind::UnterminatedLabelValue)?;
        i += found;
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\n' => return Err(ParseErrorKind::UnterminatedLabelValue),
            _ => {}
        }
        match b.get(i + 1) {
            Some(b'\\' | b'"' | b'n') => i += 2,
            None | Some(b'\n') => return Err(ParseErrorKind::UnterminatedLabelValue),
            Some(_) => return Err(ParseErrorKind::BadEscape),
        }
    }
}

/// Splits `  name rest` (the text after `HELP`/`TYPE`) into the family name
/// and what follows it; `None` unless a valid name is followed by a blank or
/// the end of the line.
fn family_name(rest: &str) -> Option<(&str, &str)> {
    let b = rest.as_bytes();
    let start = skip_blanks(b, 0);
    if start == 0 {
        return None;
    }
    let len = scan_name(&b[start..]);
    let end = start + len;
    if len == 0 || b.get(end).is_some_and(|&c| !is_blank(c)) {
        return None;
    }
    Some((&rest[start..end], &rest[end..]))
}

/// Parses a sample value the way Go's `strconv.ParseFloat` does for the
/// inputs exporters write. Numbers go to `str::parse`, which is correctly
/// rounded (a hand-rolled integer fast path measured no faster in
/// benches/parse.rs); the special words are matched here because Rust also
/// accepts `+nan`/`-nan`, which Go rejects, and a number too large for f64
/// is an error in Go where Rust returns infinity.
fn parse_value(token: &str) -> Option<f64> {
    let b = token.as_bytes();
    let unsigned = match b.first()? {
        b'+' | b'-' => 1,
        _ => 0,
    };
    match b.get(unsigned)? {
        // Go reports overflow to ±Inf as a range error; so do we.
        c if c.is_ascii_digit() || *c == b'.' => token.parse().ok().filter(|v: &f64| v.is_finite()),
        _ => {
            let word = &token[unsigned..];
            if word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("infinity") {
                Some(if b[0] == b'-' {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })
            } else if unsigned == 0 && word.eq_ignore_ascii_case("nan") {
                Some(f64::NAN)
            } else {
                None
            }
        }
    }
}

/// An int64 of milliseconds (0.0.4), or a finite float of seconds
/// (OpenMetrics) rounded to milliseconds.
fn parse_timestamp(token: &str) -> Option<i64> {
    if let Ok(ms) = token.parse::<i64>() {
        return Some(ms);
    }
    let b = token.as_bytes();
    let unsigned = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b
        .get(unsigned)
        .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
    {
        return None;
    }
    let ms = (token.parse::<f64>().ok()? * 1000.0).round();
    // `i64::MAX as f64` rounds up to 2^63, so the upper bound is exclusive.
    (ms >= i64::MIN as f64 && ms < i64::MAX as f64).then_some(ms as i64)
}

/// Unescapes a label value whose raw text is known to be valid.
fn unescape_value(raw: &str, escaped: bool) -> Cow<'_, str> {
    if !escaped {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Unescapes HELP text: `\\` and `\n` (0.0.4) and `\"` (OpenMetrics). Any
/// other backslash is kept as written: HELP is free text and a stray
/// backslash is no reason to drop the line.
fn unescape_help(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(escaped @ ('\\' | '"')) => out.push(escaped),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Byte class: may appear in a metric name after the first byte.
const NAME_CHAR: u8 = 1;
/// Byte class: may appear in a label name after the first byte.
const LABEL_CHAR: u8 = 2;
/// Byte class: an ASCII digit, which may not start a name.
const DIGIT: u8 = 4;

/// Byte classes for the name scanners, one table lookup per byte.
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let byte = c as u8;
        if byte.is_ascii_alphabetic() || byte == b'_' {
            table[c] = NAME_CHAR | LABEL_CHAR;
        } else if byte.is_ascii_digit() {
            table[c] = NAME_CHAR | LABEL_CHAR | DIGIT;
        } else if byte == b':' {
            table[c] = NAME_CHAR;
        }
        c += 1;
    }
    table
};

/// The length of the metric name at the start of `b`; 0 if there is none.
fn scan_name(b: &[u8]) -> usize {
    match b.first() {
        Some(&c) if CLASS[usize::from(c)] & (NAME_CHAR | DIGIT) == NAME_CHAR => {
            scan_while(b, 1, NAME_CHAR)
        }
        _ => 0,
    }
}

fn is_label_start(c: u8) -> bool {
    CLASS[usize::from(c)] & (LABEL_CHAR | DIGIT) == LABEL_CHAR
}

/// The first index from `i` whose byte is not in `class`.
fn scan_while(b: &[u8], mut i: usize, class: u8) -> usize {
    while i < b.len() && CLASS[usize::from(b[i])] & class != 0 {
        i += 1;
    }
    i
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// The first index from `i` that is not a space or tab.
fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_blank(b[i]) {
        i += 1;
    }
    i
}

/// The end of a value or timestamp token: the first space, tab, CR or LF
/// from `i`, or the end of the text.
fn scan_token(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Whether `i` is where a line ends: LF, CR LF or the end of the text.
fn at_line_end(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None | Some(b'\n') => true,
        Some(b'\r') => matches!(b.get(i + 1), None | Some(b'\n')),
        Some(_) => false,
    }
}

/// The index of the first LF at or after `i`, or the length of the text.
fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

/// The first index from `i` that is a space or tab, or the end.
fn scan_until_blank(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !is_blank(b[i]) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_go_parse_float() {
        assert_eq!(parse_value("1.52e+08"), Some(1.52e8));
        assert_eq!(parse_value("-.5"), Some(-0.5));
        assert_eq!(parse_value("+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_value("-iNf"), Some(f64::NEG_INFINITY));
        assert!(parse_value("nAn").is_some_and(f64::is_nan));
        assert_eq!(parse_value("-NaN"), None);
        assert_eq!(parse_value("+nan"), None);
        assert_eq!(parse_value("infx"), None);
        assert_eq!(parse_value("-"), None);
        assert_eq!(parse_value("1e"), None);
    }

    #[test]
    fn timestamps_are_int_ms_or_float_seconds() {
        assert_eq!(parse_timestamp("-3982045"), Some(-3_982_045));
        assert_eq!(parse_timestamp("1700000000.123"), Some(1_700_000_000_123));
        assert_eq!(parse_timestamp("1.5e3"), Some(1_500_000));
        assert_eq!(parse_timestamp("9223372036854775808"), None);
        assert_eq!(parse_timestamp("1e300"), None);
        assert_eq!(parse_timestamp("inf"), None);
        assert_eq!(parse_timestamp("NaN"), None);
    }

    #[test]
    fn only_known_suffixes_belong_to_a_family() {
        assert!(Declared::Counter.owns_suffix("_total"));
        assert!(!Declared::Gauge.owns_suffix("_total"));
        assert!(Declared::Summary.owns_suffix("_count"));
        assert!(!Declared::Summary.owns_suffix("_bucket"));
        assert!(Declared::GaugeHistogram.owns_suffix("_gsum"));
        assert!(!Declared::Histogram.owns_suffix("_x"));
        for suffix in SUFFIXES {
            assert!(
                [
                    Declared::Counter,
                    Declared::Histogram,
                    Declared::GaugeHistogram,
                    Declared::Summary,
                    Declared::Info
                ]
                .iter()
                .any(|d| d.owns_suffix(suffix)),
                "{suffix} is owned by some type"
            );
        }
    }
}
