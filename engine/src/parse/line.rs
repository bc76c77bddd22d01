//! The line parser: what each line of an exposition means (HELP, TYPE,
//! sample, comment, EOF), with the state carried from line to line (the
//! declared families, and what the previous sample lets the next one skip).

use std::collections::HashMap;

use super::scan::{
    CLASS, LabelState, NAME_CHAR, at_line_end, family_name, is_blank, line_end, parse_timestamp,
    parse_value, scan_labels, scan_name, scan_token, scan_until_blank, skip_blanks, unescape,
};
use super::{FamilyHeader, Labels, MetricType, ParseError, ParseErrorKind, Sample, Scrape};

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
struct HeaderEntry {
    /// Index into `Scrape::families`.
    index: usize,
    /// The line number and type of its TYPE line, if any.
    declared: Option<(usize, Declared)>,
}

/// State carried from line to line while parsing one exposition.
#[derive(Default)]
pub(super) struct Parser<'a> {
    scrape: Scrape<'a>,
    entries: HashMap<&'a str, HeaderEntry>,
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
    /// Parses a whole exposition: [`parse`](super::parse).
    pub(super) fn run(text: &'a str) -> Scrape<'a> {
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

    /// Handles a line that starts with `#`; `rest` follows the `#`.
    fn comment(&mut self, rest: &'a str, line: usize) -> Result<Line, ParseErrorKind> {
        let b = rest.as_bytes();
        let word_start = skip_blanks(b, 0);
        let word_end = scan_until_blank(b, word_start);
        let after = &rest[word_end..];
        match &rest[word_start..word_end] {
            // Prometheus's lexer reads HELP and TYPE as keywords only when
            // a blank follows; a bare `# HELP` is a plain comment to it.
            "HELP" | "TYPE" if after.is_empty() => Ok(Line::Done),
            "HELP" => self.help(after),
            "TYPE" => self.type_line(after, line),
            "EOF" if after.bytes().all(is_blank) => Ok(Line::Eof),
            _ => Ok(Line::Done),
        }
    }

    fn help(&mut self, rest: &'a str) -> Result<Line, ParseErrorKind> {
        let (name, text) = family_name(rest).ok_or(ParseErrorKind::BadHelpLine)?;
        let text = &text[skip_blanks(text.as_bytes(), 0)..];
        let index = self.entry(name).index;
        let family = &mut self.scrape.families[index];
        if family.help.is_some() {
            return Err(ParseErrorKind::DuplicateHelp);
        }
        family.help = Some(unescape(text));
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
        let entry = self.entry(name);
        if entry.declared.is_some() {
            return Err(ParseErrorKind::DuplicateType);
        }
        entry.declared = Some((line, declared));
        let index = entry.index;
        self.scrape.families[index].kind = declared.kind();
        self.current = Some((name, declared));
        // A later TYPE line can change the kind of a repeated name.
        self.previous = None;
        Ok(Line::Done)
    }

    /// The entry for a family name, creating its header on first sight.
    fn entry(&mut self, name: &'a str) -> &mut HeaderEntry {
        let families = &mut self.scrape.families;
        self.entries.entry(name).or_insert_with(|| {
            families.push(FamilyHeader {
                name,
                kind: MetricType::Untyped,
                help: None,
            });
            HeaderEntry {
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
            self.entries
                .get(family)
                .and_then(|entry| entry.declared)
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

#[cfg(test)]
mod tests {
    use super::*;

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
