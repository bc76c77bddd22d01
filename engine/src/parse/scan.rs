//! The byte scanner: names, label sets, values and timestamps, escapes,
//! and line ends, read from the bytes of one line with a table lookup per
//! byte.

use std::borrow::Cow;

use super::{Labels, ParseErrorKind};

/// Where a label scan is: at a label's first byte (or the closing brace),
/// with `count` labels before it whose names hash into the `names` bits.
#[derive(Clone, Copy)]
pub(super) struct LabelState {
    pub(super) at: usize,
    pub(super) count: usize,
    pub(super) names: u64,
}

/// Validates a label set from `from` (the start of a label, or the `}`),
/// where `open` is the index after its `{`. Returns the index of the `}`,
/// the number of labels and the state at the start of the last label.
pub(super) fn scan_labels(
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
pub(super) fn family_name(rest: &str) -> Option<(&str, &str)> {
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
pub(super) fn parse_value(token: &str) -> Option<f64> {
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
pub(super) fn parse_timestamp(token: &str) -> Option<i64> {
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

/// Unescapes a label value whose raw text is known to be valid: it holds
/// no escapes but `\\`, `\"` and `\n`, and `escaped` says whether it holds
/// any.
pub(super) fn unescape_value(raw: &str, escaped: bool) -> Cow<'_, str> {
    if escaped {
        unescape(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Unescapes `\\`, `\n` and `\"`, the escapes of label values and of HELP
/// text (0.0.4 has `\\` and `\n` in HELP, OpenMetrics adds `\"`). Any other
/// backslash is kept as written: a label value cannot hold one (it was
/// validated), and HELP is free text where a stray backslash is no reason to
/// drop the line.
pub(super) fn unescape(text: &str) -> Cow<'_, str> {
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
pub(super) const NAME_CHAR: u8 = 1;
/// Byte class: may appear in a label name after the first byte.
pub(super) const LABEL_CHAR: u8 = 2;
/// Byte class: an ASCII digit, which may not start a name.
const DIGIT: u8 = 4;

/// Byte classes for the name scanners, one table lookup per byte.
pub(super) static CLASS: [u8; 256] = {
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
pub(super) fn scan_name(b: &[u8]) -> usize {
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
pub(super) fn scan_while(b: &[u8], mut i: usize, class: u8) -> usize {
    while i < b.len() && CLASS[usize::from(b[i])] & class != 0 {
        i += 1;
    }
    i
}

pub(super) fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// The first index from `i` that is not a space or tab.
pub(super) fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_blank(b[i]) {
        i += 1;
    }
    i
}

/// The end of a value or timestamp token: the first space, tab, CR or LF
/// from `i`, or the end of the text.
pub(super) fn scan_token(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// Whether `i` is where a line ends: LF, CR LF or the end of the text.
pub(super) fn at_line_end(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None | Some(b'\n') => true,
        Some(b'\r') => matches!(b.get(i + 1), None | Some(b'\n')),
        Some(_) => false,
    }
}

/// The index of the first LF at or after `i`, or the length of the text.
pub(super) fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

/// The first index from `i` that is a space or tab, or the end.
pub(super) fn scan_until_blank(b: &[u8], mut i: usize) -> usize {
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
}
