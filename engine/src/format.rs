//! Writes the Prometheus text exposition format byte for byte as Go's
//! client_golang does (`expfmt`'s text writer), the inverse of [`crate::parse`].
//!
//! The demo simulation uses it so that its output cannot be told apart from a
//! real zai-proxy `/metrics` page, and the parser's round-trip tests use it to
//! generate expositions.

use std::fmt::Write as _;

use crate::parse::MetricType;

/// Appends `v` as client_golang writes sample values and `le`/`quantile`
/// label values.
///
/// That is Go's `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest digits
/// that read back as exactly `v`, in exponent form when the decimal exponent
/// is below -4 or at least 6 (Go fixes the `%e` threshold at 6 for the
/// shortest precision), with a signed exponent of at least two digits.
/// Like client_golang's `writeFloat`, any zero (including -0) is written as
/// `0`, and the special values as `+Inf`, `-Inf` and `NaN`.
///
/// ```
/// use zai_dash_engine::format::write_float;
/// let mut out = String::new();
/// for v in [123456.0, 1e6, 1.52338944e8, 0.0001, 1e-5, f64::INFINITY] {
///     write_float(&mut out, v);
///     out.push(' ');
/// }
/// assert_eq!(out, "123456 1e+06 1.52338944e+08 0.0001 1e-05 +Inf ");
/// ```
pub fn write_float(out: &mut String, v: f64) {
    if v == 0.0 {
        out.push('0');
        return;
    }
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if v < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` prints the shortest round-trip digits, the same digits
    // Go's shortest formatting picks; only the layout differs. Borrow `out`
    // as scratch space for it, then rewrite the tail in Go's layout.
    let start = out.len();
    let _ = write!(out, "{:e}", v.abs()); // writing to a String cannot fail
    let mut digits = [0u8; 17]; // an f64 never needs more than 17 digits
    let mut count = 0;
    let (mantissa, exponent) = out[start..].split_once('e').unwrap_or((&out[start..], "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    for (slot, digit) in digits
        .iter_mut()
        .zip(mantissa.bytes().filter(|&c| c != b'.'))
    {
        *slot = digit;
        count += 1;
    }
    out.truncate(start);
    let digits = &digits[..count];
    let push_digits = |out: &mut String, digits: &[u8]| {
        out.extend(digits.iter().map(|&d| char::from(d)));
    };
    if !(-4..6).contains(&exponent) {
        push_digits(out, &digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            push_digits(out, &digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exponent.unsigned_abs());
    } else if exponent < 0 {
        out.push_str("0.");
        for _ in 1..-exponent {
            out.push('0');
        }
        push_digits(out, digits);
    } else {
        let int_len = exponent as usize + 1;
        if digits.len() <= int_len {
            push_digits(out, digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            push_digits(out, &digits[..int_len]);
            out.push('.');
            push_digits(out, &digits[int_len..]);
        }
    }
}

/// Appends a label set as `{a="x",b="y"}` in the given order, escaping `\`,
/// `"` and newline in values; appends nothing for an empty set, as
/// client_golang does.
pub fn write_labels(out: &mut String, labels: &[(&str, &str)]) {
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        write_escaped(out, value, true);
        out.push('"');
    }
    out.push('}');
}

/// Appends one sample line, `name{labels} value\n`, without a timestamp
/// (client_golang's default).
pub fn write_sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    write_sample_with_timestamp(out, name, labels, value, None);
}

/// Appends one sample line, with ` timestamp_ms` after the value when given
/// (client_golang writes explicit timestamps as integer milliseconds).
pub fn write_sample_with_timestamp(
    out: &mut String,
    name: &str,
    labels: &[(&str, &str)],
    value: f64,
    timestamp_ms: Option<i64>,
) {
    out.push_str(name);
    write_labels(out, labels);
    out.push(' ');
    write_float(out, value);
    if let Some(ms) = timestamp_ms {
        let _ = write!(out, " {ms}");
    }
    out.push('\n');
}

/// Appends the `# HELP` and `# TYPE` lines that open a family, escaping `\`
/// and newline in the help text. Like client_golang, an empty help still
/// gets its line (`# HELP name ` with the trailing space).
pub fn write_family_header(out: &mut String, name: &str, help: &str, kind: MetricType) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    write_escaped(out, help, false);
    out.push_str("\n# TYPE ");
    out.push_str(name);
    out.push(' ');
    out.push_str(kind.as_str());
    out.push('\n');
}

/// A label value escaped as the text format (and PromQL's double-quoted
/// strings) escape it: `\` as `\\`, `"` as `\"`, a newline as `\n`.
pub fn label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    write_escaped(&mut out, value, true);
    out
}

/// Appends `text` with `\` and newline escaped, and `"` too when `quote` is
/// set (label values; HELP text leaves quotes alone).
fn write_escaped(out: &mut String, text: &str, quote: bool) {
    let mut rest = text;
    while let Some(pos) = rest
        .bytes()
        .position(|c| c == b'\\' || c == b'\n' || (quote && c == b'"'))
    {
        out.push_str(&rest[..pos]);
        out.push_str(match rest.as_bytes()[pos] {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            _ => "\\\"",
        });
        rest = &rest[pos + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_as_the_text_format_escapes_them() {
        assert_eq!(label_value("a\\b\"c\nd"), r#"a\\b\"c\nd"#);
    }

    fn float(v: f64) -> String {
        let mut out = String::new();
        write_float(&mut out, v);
        out
    }

    /// Each expectation is what Go 1.23's `strconv.FormatFloat(v, 'g', -1, 64)`
    /// prints (client_golang's special cases for 0 and ±1 agree with it).
    #[test]
    fn write_float_matches_go_shortest_g() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (0.5, "0.5"),
            (0.005, "0.005"),
            (0.025, "0.025"),
            (0.0001, "0.0001"),
            (0.00015, "0.00015"),
            (0.000713, "0.000713"),
            (0.00001, "1e-05"),
            (2.1e-5, "2.1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e-10, "1e-10"),
            (5e-324, "5e-324"),
            (12.47, "12.47"),
            (1843.27, "1843.27"),
            (12345.678, "12345.678"),
            (100000.0, "100000"),
            (123456.0, "123456"),
            (260456.71, "260456.71"),
            (999999.0, "999999"),
            (999999.5, "999999.5"),
            (1e6, "1e+06"),
            (-1e6, "-1e+06"),
            (1234567.0, "1.234567e+06"),
            (1.1803216e7, "1.1803216e+07"),
            (1.52338944e8, "1.52338944e+08"),
            (1.78918092e9, "1.78918092e+09"),
            (1e21, "1e+21"),
            (1e23, "1e+23"),
            (1e100, "1e+100"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (6.8248576000000005, "6.8248576000000005"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for &(v, expected) in cases {
            assert_eq!(float(v), expected, "write_float({v:?})");
        }
    }

    #[test]
    fn write_float_appends_after_existing_text() {
        let mut out = String::from("x ");
        write_float(&mut out, -1.5e-9);
        assert_eq!(out, "x -1.5e-09");
    }

    #[test]
    fn write_float_round_trips_awkward_values() {
        for v in [
            f64::MIN_POSITIVE,
            f64::EPSILON,
            1.0 / 3.0,
            2f64.powi(53) + 2.0,
            -1e23,
            0.1,
        ] {
            assert_eq!(float(v).parse::<f64>(), Ok(v), "{v:?}");
        }
    }

    #[test]
    fn labels_are_escaped_and_empty_sets_omitted() {
        let mut out = String::new();
        write_labels(&mut out, &[]);
        assert_eq!(out, "");
        write_labels(&mut out, &[("a", "x"), ("path", "C:\\dir\n\"q\"")]);
        assert_eq!(out, r#"{a="x",path="C:\\dir\n\"q\""}"#);
    }

    #[test]
    fn samples_and_headers_look_like_client_golang() {
        let mut out = String::new();
        write_family_header(&mut out, "up", "Up or\ndown \\ \"x\"", MetricType::Gauge);
        write_sample(&mut out, "up", &[("job", "a")], 1.0);
        write_sample_with_timestamp(&mut out, "up", &[], 0.0, Some(-5));
        write_family_header(&mut out, "t", "", MetricType::Untyped);
        assert_eq!(
            out,
            "# HELP up Up or\\ndown \\\\ \"x\"\n# TYPE up gauge\nup{job=\"a\"} 1\nup 0 -5\n\
             # HELP t \n# TYPE t untyped\n"
        );
    }
}
