//! Links that carry their data: the window on screen, written into a URL
//! fragment so that whoever opens it sees the same figures and charts with
//! no relay at all, and no server ever sees the data (browsers do not send
//! the fragment).
//!
//! What travels is each variant's buffer rows over the window (see
//! [`Buffer::rows`]), thinned to one row per chart point, as versioned
//! text; the app compresses it with the browser's own `CompressionStream`
//! and base64url-encodes it behind `#d1.`. Reading it back ([`decode`]) rebuilds the
//! buffers, so every panel is computed by the same engine code as live.
//!
//! Counters are written as whole-number differences from the row before,
//! which are small and repetitive and compress several times better than
//! the totals; any other value (a float sum, a gauge) is written whole as
//! its IEEE 754 bits in hex, so the copy is exact. Neither needs float
//! formatting or parsing, which would add core's Grisu/Dragon4 code (about
//! 7 KB gzip) to the app for this alone (see `units::fixed`).

use std::fmt::{self, Write};

use crate::{
    buffer::{Buffer, TargetRows},
    extract::{Direction, HistPart, Histogram, QuotaWindow, Slot},
    series::Grid,
};

/// The format this build writes and reads.
pub const VERSION: u32 = 1;

/// First line of the text.
const MAGIC: &str = "zai-dash data";

/// Why a link's data could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Written in another format version than this build reads.
    Version(String),
    /// Damaged (cut short, edited) or not a data link at all.
    Malformed(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Version(v) => write!(
                f,
                "the link carries data in format {v}, and this zai-dash reads format {VERSION}"
            ),
            Error::Malformed(e) => write!(f, "the link's data is damaged ({e})"),
        }
    }
}

/// What a data link holds.
#[derive(Clone)]
pub struct Contents {
    /// When it was copied, Unix ms.
    pub copied_ms: i64,
    /// The window it shows, Unix ms.
    pub from_ms: i64,
    /// The window's end, Unix ms.
    pub to_ms: i64,
    /// How far apart its rows may be, ms: the chart resolution.
    pub step_ms: i64,
    /// Each variant's name and rows.
    pub variants: Vec<(String, Buffer)>,
}

/// The URL fragment (without `#`) for `payload`, the compressed text in
/// base64url.
pub fn fragment(payload: &str) -> String {
    format!("d{VERSION}.{payload}")
}

/// The payload of a location hash (with or without `#`): `None` when the
/// hash is not a data link, an error when it is one of another version.
pub fn payload(hash: &str) -> Option<Result<&str, Error>> {
    let rest = hash.strip_prefix('#').unwrap_or(hash).strip_prefix('d')?;
    let (version, payload) = rest.split_once('.')?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if version == VERSION.to_string() {
        Ok(payload)
    } else {
        Err(Error::Version(version.to_owned()))
    })
}

/// Writes the text for the window `[from_ms, to_ms]` drawn on a grid, a
/// variant at a time: each variant's rows from one lookback before the
/// window (so its first points have rates) to its end, at most one per
/// grid step.
pub struct Writer {
    text: String,
    range: (i64, i64),
    lookback_ms: i64,
    step_ms: i64,
}

impl Writer {
    /// A link copied at `copied_ms` of `range` as drawn on `grid`.
    pub fn new(copied_ms: i64, range: (i64, i64), grid: &Grid) -> Writer {
        let (from_ms, to_ms) = range;
        Writer {
            text: format!(
                "{MAGIC} {VERSION}\ncopied {copied_ms}\nrange {from_ms} {to_ms} {}\n",
                grid.step_ms
            ),
            range,
            lookback_ms: grid.lookback_ms,
            step_ms: grid.step_ms,
        }
    }

    /// Adds the variant `name`'s rows.
    pub fn variant(&mut self, name: &str, buffer: &Buffer) {
        let out = &mut self.text;
        let schema = buffer.schema();
        let _ = write!(out, "variant {}\nschema", escape(name));
        for slot in schema {
            let _ = write!(out, " {}", slot_name(slot));
        }
        out.push('\n');
        for t in buffer.rows(self.range, self.lookback_ms, self.step_ms) {
            write_target(out, schema, &t);
        }
    }

    /// The text.
    pub fn finish(self) -> String {
        self.text
    }
}

fn write_target(out: &mut String, schema: &[Slot], t: &TargetRows) {
    let _ = write!(out, "target {}\nslots", escape(&t.id));
    for slot in &t.slots {
        let index = schema.iter().position(|s| s == slot).unwrap_or_default();
        let _ = write!(out, " {index}");
    }
    out.push_str("\ntimes");
    let mut prev = None;
    for &t in &t.times {
        let _ = write!(out, " {}", prev.map_or(t, |p| t - p));
        prev = Some(t);
    }
    out.push('\n');
    line(out, "families", t.families.iter().map(|f| format!("{f:x}")));
    line(out, "resets", t.resets.iter());
    line(out, "flags", t.flags.iter());
    for (time, build) in &t.deploys {
        let _ = writeln!(out, "deploy {time} {}", escape(build));
    }
    for column in &t.columns {
        out.push_str("column");
        write_values(out, column);
        out.push('\n');
    }
}

fn line<T: fmt::Display>(out: &mut String, key: &str, items: impl Iterator<Item = T>) {
    out.push_str(key);
    for item in items {
        let _ = write!(out, " {item}");
    }
    out.push('\n');
}

/// A column's values: `n` for absent, `x` and the hex bits for a whole
/// value, else the whole-number difference from the previous value (exact:
/// checked by adding it back).
fn write_values(out: &mut String, column: &[f64]) {
    let mut prev = f64::NAN;
    for &v in column {
        let delta = v - prev;
        if v.is_nan() {
            out.push_str(" n");
        } else if delta.fract() == 0.0
            && delta.abs() < 1e15
            && (prev + delta as i64 as f64).to_bits() == v.to_bits()
        {
            let _ = write!(out, " {}", delta as i64);
        } else {
            let _ = write!(out, " x{:x}", v.to_bits());
        }
        prev = v;
    }
}

/// Reads the text a [`Writer`] wrote.
pub fn decode(text: &str) -> Result<Contents, Error> {
    let mut r = Reader {
        lines: text.lines().peekable(),
        at: 0,
    };
    let head = r.next(MAGIC)?.trim();
    if head != VERSION.to_string() {
        return Err(Error::Version(head.to_owned()));
    }
    let copied = r.numbers("copied ", 10)?;
    let range = r.numbers("range ", 10)?;
    let (&[copied_ms], &[from_ms, to_ms, step_ms]) = (copied.as_slice(), range.as_slice()) else {
        return Err(r.fail("expected the copied time and the range"));
    };
    let mut variants = Vec::new();
    while r.lines.peek().is_some() {
        let name = r.next("variant ")?;
        let name = unescape(name).ok_or_else(|| r.fail("bad variant name"))?;
        let mut schema = Vec::new();
        for word in r.next("schema")?.split_whitespace() {
            schema.push(parse_slot(word).ok_or_else(|| r.fail("unknown slot"))?);
        }
        let mut targets = Vec::new();
        while let Some(id) = r.next_if("target ") {
            targets.push(read_target(&mut r, id, &schema)?);
        }
        let buffer = Buffer::from_rows(schema, targets).map_err(|e| r.fail(e))?;
        variants.push((name, buffer));
    }
    Ok(Contents {
        copied_ms,
        from_ms,
        to_ms,
        step_ms,
        variants,
    })
}

/// The text's lines, read in order, each expected to start with a key.
struct Reader<'a> {
    lines: std::iter::Peekable<std::str::Lines<'a>>,
    /// The number of the line last read (1-based).
    at: usize,
}

impl<'a> Reader<'a> {
    /// What is wrong at the line last read.
    #[cold]
    fn fail(&self, what: &str) -> Error {
        Error::Malformed(format!("line {}: {what}", self.at))
    }

    /// The rest of the next line, which must start with `key`.
    fn next(&mut self, key: &str) -> Result<&'a str, Error> {
        self.at += 1;
        match self.lines.next() {
            Some(line) => line
                .strip_prefix(key)
                .ok_or_else(|| self.fail("unexpected line")),
            None => Err(self.fail("cut short")),
        }
    }

    /// The rest of the next line if it starts with `key`.
    fn next_if(&mut self, key: &str) -> Option<&'a str> {
        let rest = self.lines.peek()?.strip_prefix(key)?;
        self.lines.next();
        self.at += 1;
        Some(rest)
    }

    /// The next line, which must start with `key`, as numbers in `radix`.
    fn numbers(&mut self, key: &str, radix: u32) -> Result<Vec<i64>, Error> {
        let rest = self.next(key)?;
        let mut numbers = Vec::new();
        for word in rest.split_whitespace() {
            let n = i64::from_str_radix(word, radix).map_err(|_| self.fail("not a number"))?;
            numbers.push(n);
        }
        Ok(numbers)
    }

    /// [`Reader::numbers`], each one fitting a `T`.
    fn small<T: TryFrom<i64>>(&mut self, key: &str, radix: u32) -> Result<Vec<T>, Error> {
        let numbers = self.numbers(key, radix)?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            out.push(T::try_from(n).map_err(|_| self.fail("number out of range"))?);
        }
        Ok(out)
    }
}

/// One target's lines, after its `target` line (`id`).
fn read_target(r: &mut Reader<'_>, id: &str, schema: &[Slot]) -> Result<TargetRows, Error> {
    let id = unescape(id).ok_or_else(|| r.fail("bad target id"))?;
    let mut slots = Vec::new();
    for i in r.small::<usize>("slots", 10)? {
        slots.push(
            schema
                .get(i)
                .cloned()
                .ok_or_else(|| r.fail("no such slot"))?,
        );
    }
    let mut times = r.numbers("times", 10)?;
    for i in 1..times.len() {
        times[i] = times[i - 1]
            .checked_add(times[i])
            .ok_or_else(|| r.fail("time out of range"))?;
    }
    let families = r.small("families", 16)?;
    let resets = r.small("resets", 10)?;
    let flags = r.small("flags", 10)?;
    let mut deploys = Vec::new();
    while let Some(deploy) = r.next_if("deploy ") {
        let (t, build) = deploy.split_once(' ').ok_or_else(|| r.fail("bad deploy"))?;
        let t = t.parse().map_err(|_| r.fail("bad deploy time"))?;
        deploys.push((t, unescape(build).ok_or_else(|| r.fail("bad build"))?));
    }
    let mut columns = Vec::with_capacity(slots.len());
    for _ in 0..slots.len() {
        let values = r.next("column")?;
        columns.push(read_values(values).ok_or_else(|| r.fail("bad value"))?);
    }
    Ok(TargetRows {
        id,
        slots,
        times,
        families,
        resets,
        flags,
        columns,
        deploys,
    })
}

/// A column's values as [`write_values`] wrote them.
fn read_values(rest: &str) -> Option<Vec<f64>> {
    let mut prev = f64::NAN;
    let mut values = Vec::new();
    for word in rest.split_whitespace() {
        let v = match word.strip_prefix('x') {
            Some(bits) => f64::from_bits(u64::from_str_radix(bits, 16).ok()?),
            None if word == "n" => f64::NAN,
            None if prev.is_finite() => prev + word.parse::<i64>().ok()? as f64,
            None => return None,
        };
        values.push(v);
        prev = v;
    }
    Some(values)
}

/// A slot as one word, e.g. `requests/200`, `tokens/input/glm-4.7`,
/// `tokens/input` (no model label, as every link before models were kept
/// reads), or `duration/le3fe0000000000000` (the bucket bound's bits: 0.5).
fn slot_name(slot: &Slot) -> String {
    let hist = |h: &Histogram| match h {
        Histogram::Duration => "duration",
        Histogram::RequestSize => "request_size",
        Histogram::ResponseSize => "response_size",
    };
    match slot {
        Slot::Requests(code) => format!("requests/{}", escape(code)),
        Slot::Hist(h, HistPart::Bucket(le)) => format!("{}/le{le:x}", hist(h)),
        Slot::Hist(h, HistPart::Sum) => format!("{}/sum", hist(h)),
        Slot::Hist(h, HistPart::Count) => format!("{}/count", hist(h)),
        Slot::Tokens(d, model) => format!("tokens/{}", by_model(*d, model)),
        Slot::Cost(d, model) => format!("cost/{}", by_model(*d, model)),
        Slot::UpstreamErrors(e) => format!("upstream_errors/{}", escape(e)),
        Slot::Retries(r) => format!("retries/{}", escape(r)),
        Slot::Adjustments(a) => format!("adjustments/{}", escape(a)),
        Slot::Rejections => "rejections".into(),
        Slot::Concurrent => "concurrent".into(),
        Slot::MaxWorkers => "max_workers".into(),
        Slot::Utilization => "utilization".into(),
        Slot::RateLimit => "rate_limit".into(),
        Slot::QuotaUsage(w) => format!("quota_usage/{}", w.label()),
        Slot::QuotaRemaining(w) => format!("quota_remaining/{}", w.label()),
        Slot::QuotaReset(w) => format!("quota_reset/{}", w.label()),
        Slot::QuotaSampleAge => "quota_sample_age".into(),
    }
}

/// A direction and a model as `input/glm-4.7`, or `input` for no model.
fn by_model(d: Direction, model: &str) -> String {
    if model.is_empty() {
        d.label().to_owned()
    } else {
        format!("{}/{}", d.label(), escape(model))
    }
}

/// The inverse of [`slot_name`].
fn parse_slot(word: &str) -> Option<Slot> {
    let (kind, arg) = word.split_once('/').unwrap_or((word, ""));
    // `input/glm-4.7` or `input`: the inverse of `by_model`.
    let by_model = |slot: fn(Direction, Box<str>) -> Slot| {
        let (d, model) = arg.split_once('/').unwrap_or((arg, ""));
        let d = Direction::ALL.into_iter().find(|x| x.label() == d)?;
        Some(slot(d, unescape(model)?.into()))
    };
    let window = || QuotaWindow::ALL.into_iter().find(|w| w.label() == arg);
    let text = || unescape(arg).map(Into::into);
    let hist = |h| {
        let part = match arg {
            "sum" => HistPart::Sum,
            "count" => HistPart::Count,
            _ => HistPart::Bucket(u64::from_str_radix(arg.strip_prefix("le")?, 16).ok()?),
        };
        Some(Slot::Hist(h, part))
    };
    match kind {
        "requests" => text().map(Slot::Requests),
        "duration" => hist(Histogram::Duration),
        "request_size" => hist(Histogram::RequestSize),
        "response_size" => hist(Histogram::ResponseSize),
        "tokens" => by_model(Slot::Tokens),
        "cost" => by_model(Slot::Cost),
        "upstream_errors" => text().map(Slot::UpstreamErrors),
        "retries" => text().map(Slot::Retries),
        "adjustments" => text().map(Slot::Adjustments),
        "rejections" => Some(Slot::Rejections),
        "concurrent" => Some(Slot::Concurrent),
        "max_workers" => Some(Slot::MaxWorkers),
        "utilization" => Some(Slot::Utilization),
        "rate_limit" => Some(Slot::RateLimit),
        "quota_usage" => window().map(Slot::QuotaUsage),
        "quota_remaining" => window().map(Slot::QuotaRemaining),
        "quota_reset" => window().map(Slot::QuotaReset),
        "quota_sample_age" => Some(Slot::QuotaSampleAge),
        _ => None,
    }
}

/// `s` as one word: bytes other than letters, digits and `._-:+` as `%XX`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"._-:+".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The inverse of [`escape`]; `None` for a bad escape or invalid UTF-8.
fn unescape(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_cost_slots_name_their_model_and_old_names_read_as_no_model() {
        let slot = Slot::Tokens(Direction::CacheRead, "glm-4.7".into());
        assert_eq!(slot_name(&slot), "tokens/cache_read/glm-4.7");
        assert_eq!(parse_slot("tokens/cache_read/glm-4.7"), Some(slot));
        // A model with a slash stays one word.
        let slot = Slot::Cost(Direction::Input, "zai/glm 4".into());
        assert_eq!(slot_name(&slot), "cost/input/zai%2Fglm%204");
        assert_eq!(parse_slot(&slot_name(&slot)), Some(slot));
        // Links written before models were kept: no model.
        let old = Slot::Tokens(Direction::Input, "".into());
        assert_eq!(parse_slot("tokens/input"), Some(old.clone()));
        assert_eq!(slot_name(&old), "tokens/input");
        assert_eq!(parse_slot("cost/sideways"), None);
        assert_eq!(parse_slot("tokens/input/%zz"), None);
    }
}
