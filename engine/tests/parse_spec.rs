//! The specification of `zai_dash_engine::parse` and its inverse
//! `zai_dash_engine::format`, written as tests.
//!
//! Sections: sample lines, label sets, values, timestamps, line structure,
//! HELP/TYPE lines, which family a sample belongs to, error reporting, the
//! correctness matrix of the project's parser survey (reference section A1),
//! the two shared fixtures, differential tests against prometheus-parse 0.2.5,
//! and property tests (no panics; `parse(format(x)) == x`).

// The property tests need proptest, which has no wasm32 random source.
#![cfg(not(target_arch = "wasm32"))]

use std::borrow::Cow;
use std::collections::BTreeMap;

use proptest::prelude::*;
use zai_dash_engine::format::{
    write_family_header, write_float, write_labels, write_sample, write_sample_with_timestamp,
};
use zai_dash_engine::parse::{
    FamilyHeader, MetricType, ParseError, ParseErrorKind, Sample, Scrape, parse,
};

const FIXTURE: &str = zai_dash_fixtures::VARIANT;
const FIXTURE_T5S: &str = zai_dash_fixtures::VARIANT_T5S;

// ---------------------------------------------------------------- helpers

/// Parses `text`, which must hold exactly one sample and no errors.
fn one(text: &str) -> Sample<'_> {
    let scrape = parse(text);
    assert_eq!(scrape.errors, [], "errors in {text:?}");
    assert_eq!(scrape.samples.len(), 1, "samples in {text:?}");
    scrape.samples[0]
}

/// The label pairs of a sample as owned strings, in written order.
fn pairs(sample: &Sample<'_>) -> Vec<(String, String)> {
    sample
        .labels
        .iter()
        .map(|(name, value)| (name.to_owned(), value.into_owned()))
        .collect()
}

fn owned(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// The `(line, kind)` of every error in `text`.
fn errors(text: &str) -> Vec<(usize, ParseErrorKind)> {
    parse(text)
        .errors
        .iter()
        .map(|error| (error.line, error.kind))
        .collect()
}

/// The single error a one-line input produces.
fn error_of(line: &str) -> ParseErrorKind {
    let scrape = parse(line);
    assert_eq!(scrape.samples, [], "{line:?} must not yield a sample");
    assert_eq!(scrape.errors.len(), 1, "{line:?} must yield one error");
    assert_eq!(scrape.errors[0].line, 1);
    scrape.errors[0].kind
}

fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn value_of(line: &str) -> f64 {
    one(line).value
}

/// The kind of every sample, by name, in input order.
fn kinds(text: &str) -> Vec<(&str, MetricType)> {
    let scrape = parse(text);
    assert_eq!(scrape.errors, []);
    scrape.samples.iter().map(|s| (s.name, s.kind)).collect()
}

// ---------------------------------------------------------------- sample lines

#[test]
fn a_bare_sample_has_a_name_a_value_and_nothing_else() {
    let s = one("foo 1");
    assert_eq!(s.name, "foo");
    assert!(s.labels.is_empty());
    assert_eq!(s.labels.len(), 0);
    assert_eq!(s.value, 1.0);
    assert_eq!(s.timestamp_ms, None);
    assert_eq!(s.kind, MetricType::Untyped);
}

#[test]
fn empty_braces_mean_no_labels() {
    let s = one("foo{} 7");
    assert!(s.labels.is_empty());
    assert_eq!(s.value, 7.0);
}

#[test]
fn metric_names_may_contain_colons() {
    let s = one("job:http_requests:rate5m{job=\"api\"} 1");
    assert_eq!(s.name, "job:http_requests:rate5m");
    assert_eq!(one(":leading_colon 2").name, ":leading_colon");
    assert_eq!(one("_underscore 3").name, "_underscore");
}

#[test]
fn metric_names_may_not_start_with_a_digit_or_hold_other_characters() {
    assert_eq!(error_of("1foo 1"), ParseErrorKind::BadMetricName);
    assert_eq!(error_of("foo-bar 1"), ParseErrorKind::BadMetricName);
    assert_eq!(error_of("foo.bar 1"), ParseErrorKind::BadMetricName);
    assert_eq!(error_of("{a=\"b\"} 1"), ParseErrorKind::BadMetricName);
    assert_eq!(error_of("föo 1"), ParseErrorKind::BadMetricName);
}

#[test]
fn blanks_may_separate_the_name_from_its_labels() {
    let s = one("foo \t{a=\"1\"} 2");
    assert_eq!(pairs(&s), owned(&[("a", "1")]));
    assert_eq!(s.value, 2.0);
}

// ---------------------------------------------------------------- label sets

#[test]
fn labels_come_back_in_written_order() {
    let s = one(r#"http{method="POST",code="200",path="/v1"} 1"#);
    assert_eq!(
        pairs(&s),
        owned(&[("method", "POST"), ("code", "200"), ("path", "/v1")])
    );
    assert_eq!(s.labels.len(), 3);
    assert_eq!(s.labels.get("code").as_deref(), Some("200"));
    assert_eq!(s.labels.get("missing"), None);
}

#[test]
fn label_values_may_contain_commas_equals_and_braces() {
    let s = one(r#"req{path="/a,b",q="a=b",route="/users/{id}",x="}{,=\""} 1"#);
    assert_eq!(
        pairs(&s),
        owned(&[
            ("path", "/a,b"),
            ("q", "a=b"),
            ("route", "/users/{id}"),
            ("x", "}{,=\"")
        ])
    );
}

#[test]
fn escaped_quotes_backslashes_and_newlines_are_unescaped() {
    let s = one(
        r#"msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9"#,
    );
    assert_eq!(s.labels.get("path").as_deref(), Some(r"C:\DIR\FILE.TXT"));
    assert_eq!(
        s.labels.get("error").as_deref(),
        Some("Cannot find file:\n\"FILE.TXT\"")
    );
    assert_eq!(s.value, 1.458255915e9);
}

#[test]
fn values_without_escapes_are_borrowed_from_the_input() {
    let text = String::from(r#"m{plain="abc",esc="a\"b"} 1"#);
    let s = one(&text);
    assert!(matches!(s.labels.get("plain"), Some(Cow::Borrowed("abc"))));
    assert!(matches!(s.labels.get("esc"), Some(Cow::Owned(v)) if v == "a\"b"));
    let (name, _) = s.labels.iter().next().unwrap();
    assert!(std::ptr::eq(name.as_ptr(), text[2..].as_ptr()));
}

#[test]
fn label_values_may_hold_any_unicode() {
    let s = one("m{emoji=\"🦀 ünï\tcode\"} 1");
    assert_eq!(s.labels.get("emoji").as_deref(), Some("🦀 ünï\tcode"));
}

#[test]
fn blanks_around_commas_and_equals_are_allowed() {
    let s = one("m{ a = \"1\" ,\tb=\"2\", c =\"3\" } 1");
    assert_eq!(pairs(&s), owned(&[("a", "1"), ("b", "2"), ("c", "3")]));
}

#[test]
fn a_trailing_comma_before_the_closing_brace_is_allowed() {
    let s = one(r#"m{a="1",} 1"#);
    assert_eq!(pairs(&s), owned(&[("a", "1")]));
    assert_eq!(s.labels.len(), 1);
}

#[test]
fn label_sets_compare_by_pairs_not_by_spelling() {
    let scrape =
        parse("m{a=\"1\", b=\"x\"} 1\nm{a=\"1\",b=\"\\x78\"} 1\nm{a = \"1\",b=\"x\",} 2\n");
    assert_eq!(scrape.errors.len(), 1, "\\x is not a valid escape");
    let [first, second] = [scrape.samples[0].labels, scrape.samples[1].labels];
    assert_eq!(first, second);
    assert_ne!(first.raw(), second.raw());
    assert_eq!(first.raw(), "a=\"1\", b=\"x\"");
    assert_ne!(first, parse("m{b=\"x\",a=\"1\"} 1").samples[0].labels);
}

#[test]
fn labels_debug_as_a_map() {
    let s = one(r#"m{a="1",b="q\""} 1"#);
    assert_eq!(format!("{:?}", s.labels), r#"{"a": "1", "b": "q\""}"#);
}

#[test]
fn label_names_follow_the_label_name_grammar() {
    assert_eq!(one(r#"m{_a1="x"} 1"#).labels.len(), 1);
    assert_eq!(error_of(r#"m{a:b="1"} 1"#), ParseErrorKind::BadLabelName);
    assert_eq!(error_of(r#"m{1a="1"} 1"#), ParseErrorKind::BadLabelName);
    assert_eq!(error_of(r#"m{a-b="1"} 1"#), ParseErrorKind::BadLabelName);
    assert_eq!(error_of(r#"m{,a="1"} 1"#), ParseErrorKind::BadLabelName);
    assert_eq!(
        error_of(r#"m{a="1",,b="2"} 1"#),
        ParseErrorKind::BadLabelName
    );
}

#[test]
fn a_label_name_may_appear_only_once() {
    assert_eq!(
        error_of(r#"m{a="1",a="2"} 1"#),
        ParseErrorKind::DuplicateLabel
    );
    let many: Vec<String> = (0..12).map(|i| format!("l{i}=\"{i}\"")).collect();
    let ok = format!("m{{{}}} 1", many.join(","));
    assert_eq!(one(&ok).labels.len(), 12);
    let dup = format!("m{{{},l3=\"again\"}} 1", many.join(","));
    assert_eq!(error_of(&dup), ParseErrorKind::DuplicateLabel);
}

#[test]
fn malformed_label_sets_name_the_problem() {
    let cases = [
        (r#"m{a} 1"#, ParseErrorKind::MissingLabelEquals),
        (r#"m{a "1"} 1"#, ParseErrorKind::MissingLabelEquals),
        (r#"m{a=1} 1"#, ParseErrorKind::UnquotedLabelValue),
        (r#"m{a='1'} 1"#, ParseErrorKind::UnquotedLabelValue),
        (r#"m{a="1} 1"#, ParseErrorKind::UnterminatedLabelValue),
        (r#"m{a="1\"} 1"#, ParseErrorKind::UnterminatedLabelValue),
        ("m{a=\"1\\", ParseErrorKind::UnterminatedLabelValue),
        (r#"m{a="\t"} 1"#, ParseErrorKind::BadEscape),
        (r#"m{a="\u00e9"} 1"#, ParseErrorKind::BadEscape),
        (r#"m{a="1" b="2"} 1"#, ParseErrorKind::BadLabelSeparator),
        (r#"m{a="1";b="2"} 1"#, ParseErrorKind::BadLabelSeparator),
        (r#"m{a="1""#, ParseErrorKind::UnterminatedLabelSet),
        (r#"m{a="1","#, ParseErrorKind::UnterminatedLabelSet),
        ("m{", ParseErrorKind::UnterminatedLabelSet),
    ];
    for (line, kind) in cases {
        assert_eq!(error_of(line), kind, "{line}");
    }
}

// ---------------------------------------------------------------- values

#[test]
fn infinities_and_nan_are_spelled_as_go_accepts_them() {
    for (token, expected) in [
        ("+Inf", f64::INFINITY),
        ("Inf", f64::INFINITY),
        ("inf", f64::INFINITY),
        ("+inf", f64::INFINITY),
        ("INF", f64::INFINITY),
        ("Infinity", f64::INFINITY),
        ("+infinity", f64::INFINITY),
        ("-Inf", f64::NEG_INFINITY),
        ("-inf", f64::NEG_INFINITY),
        ("-Infinity", f64::NEG_INFINITY),
    ] {
        assert_eq!(value_of(&format!("m {token}")), expected, "{token}");
    }
    for token in ["NaN", "nan", "NAN", "nAn"] {
        assert!(value_of(&format!("m {token}")).is_nan(), "{token}");
    }
    for token in ["-NaN", "+NaN", "Infx", "Inff", "In", "na", "+", "-", "."] {
        assert_eq!(
            error_of(&format!("m {token}")),
            ParseErrorKind::BadValue,
            "{token}"
        );
    }
}

#[test]
fn numbers_may_have_signs_fractions_and_exponents() {
    for (token, expected) in [
        ("0", 0.0),
        ("-0", 0.0),
        ("42", 42.0),
        ("+42", 42.0),
        ("-7.5", -7.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1.52e+08", 1.52e8),
        ("1.52338944e+08", 152_338_944.0),
        ("1E+06", 1e6),
        ("1e-05", 1e-5),
        ("2.1e-05", 2.1e-5),
        ("1e6", 1e6),
        ("6.8248576000000005", 6.824_857_600_000_000_5),
        ("9007199254740993", 9_007_199_254_740_992.0),
    ] {
        assert_eq!(value_of(&format!("m {token}")), expected, "{token}");
    }
    for token in [
        "1e", "1e+", "0x10", "1_000", "1,5", "12abc", "--1", "e5", "1e400", "-1e309",
    ] {
        assert_eq!(
            error_of(&format!("m {token}")),
            ParseErrorKind::BadValue,
            "{token}"
        );
    }
}

#[test]
fn a_sample_needs_a_value() {
    assert_eq!(error_of("m"), ParseErrorKind::MissingValue);
    assert_eq!(error_of("m   "), ParseErrorKind::MissingValue);
    assert_eq!(error_of(r#"m{a="1"}"#), ParseErrorKind::MissingValue);
    assert_eq!(error_of(r#"m{a="1"} "#), ParseErrorKind::MissingValue);
}

#[test]
fn the_value_may_follow_the_closing_brace_directly() {
    assert_eq!(one(r#"m{a="1"}5"#).value, 5.0);
}

// ---------------------------------------------------------------- timestamps

#[test]
fn an_integer_timestamp_is_milliseconds() {
    let s = one(r#"http_requests_total{method="post",code="200"} 1027 1395066363000"#);
    assert_eq!(s.timestamp_ms, Some(1_395_066_363_000));
    assert_eq!(
        one("something_weird +Inf -3982045").timestamp_ms,
        Some(-3_982_045)
    );
    assert_eq!(one("m 1 9223372036854775807").timestamp_ms, Some(i64::MAX));
}

#[test]
fn a_fractional_timestamp_is_openmetrics_seconds() {
    assert_eq!(
        one("m 1 1700000000.123").timestamp_ms,
        Some(1_700_000_000_123)
    );
    assert_eq!(one("m 1 1.5").timestamp_ms, Some(1500));
    assert_eq!(one("m 1 1.7e9").timestamp_ms, Some(1_700_000_000_000));
}

#[test]
fn a_bad_timestamp_rejects_the_line() {
    for token in [
        "abc",
        "12x",
        "1e400",
        "NaN",
        "+Inf",
        "9223372036854775808",
        "1e17",
    ] {
        assert_eq!(
            error_of(&format!("m 1 {token}")),
            ParseErrorKind::BadTimestamp,
            "{token}"
        );
    }
}

#[test]
fn only_an_exemplar_may_follow_the_timestamp() {
    assert_eq!(error_of("m 1 2 3"), ParseErrorKind::TrailingText);
    assert_eq!(error_of("m 1 2 x"), ParseErrorKind::TrailingText);
}

#[test]
fn exemplars_are_ignored() {
    let s = one(r#"req_bucket{le="0.5"} 11 # {trace_id="abc"} 0.05 1.7e9"#);
    assert_eq!(s.value, 11.0);
    assert_eq!(s.timestamp_ms, None);
    assert_eq!(pairs(&s), owned(&[("le", "0.5")]));
    let s = one(r#"req_total 7 1700000000000 # {trace_id="a b}"} 1"#);
    assert_eq!((s.value, s.timestamp_ms), (7.0, Some(1_700_000_000_000)));
}

// ---------------------------------------------------------------- line structure

#[test]
fn crlf_line_ends_are_accepted() {
    let scrape = parse("# HELP a Help.\r\n# TYPE a gauge\r\na{x=\"1\"} 1\r\nb 2 3\r\n");
    assert_eq!(scrape.errors, []);
    assert_eq!(scrape.families[0].help.as_deref(), Some("Help."));
    assert_eq!(scrape.families[0].kind, MetricType::Gauge);
    assert_eq!(scrape.samples[1].timestamp_ms, Some(3));
}

#[test]
fn the_final_newline_is_optional() {
    let scrape = parse("a 1\nb 2");
    assert_eq!(scrape.errors, []);
    assert_eq!(scrape.samples.len(), 2);
    assert_eq!(scrape.samples[1].value, 2.0);
}

#[test]
fn tabs_and_repeated_spaces_separate_fields() {
    let s = one("m\t{a=\"1\"}\t\t3.5 \t 1000\t");
    assert_eq!((s.value, s.timestamp_ms), (3.5, Some(1000)));
}

#[test]
fn blank_lines_and_indentation_are_ignored() {
    let scrape = parse("\n\n   \t\n  a 1\n\t# TYPE b counter\n\tb 2\n\n");
    assert_eq!(scrape.errors, []);
    assert_eq!(
        kinds("  a 1\n\t# TYPE b counter\n\tb 2\n"),
        [("a", MetricType::Untyped), ("b", MetricType::Counter)]
    );
    assert_eq!(scrape.samples.len(), 2);
}

#[test]
fn other_comments_are_ignored() {
    let scrape = parse(
        "#\n# just a comment\n#HELPER text\n# UNIT a seconds\n# help a lower case is a comment\na 1\n",
    );
    assert_eq!(scrape.errors, []);
    assert_eq!(scrape.families, []);
    assert_eq!(scrape.samples.len(), 1);
}

/// Prometheus's text lexer takes `HELP` and `TYPE` as keywords only when a
/// blank follows them (then a metric name must come); with nothing after
/// them they are plain comments, not malformed lines.
#[test]
fn a_bare_help_or_type_is_a_plain_comment() {
    for text in [
        "# HELP\na 1\n",
        "# TYPE\na 1\n",
        "# HELP\r\na 1\n",
        "a 1\n# HELP",
    ] {
        let scrape = parse(text);
        assert_eq!(scrape.errors, [], "{text:?}");
        assert_eq!(scrape.families, [], "{text:?}");
        assert_eq!(scrape.samples.len(), 1, "{text:?}");
    }
}

#[test]
fn an_empty_exposition_is_empty() {
    assert_eq!(parse(""), Scrape::default());
    assert_eq!(parse("\n\n"), Scrape::default());
}

#[test]
fn openmetrics_eof_ends_the_exposition() {
    let scrape = parse("# TYPE c counter\nc_total 1\n# EOF\nc_total 2\ngarbage here\n");
    assert_eq!(scrape.errors, []);
    assert_eq!(scrape.samples.len(), 1);
    assert_eq!(scrape.samples[0].value, 1.0);
    assert_eq!(parse("a 1\n# EOF").samples.len(), 1);
    assert_eq!(parse("# EOF trailing words\na 1\n").samples.len(), 1);
}

// ---------------------------------------------------------------- HELP and TYPE

#[test]
fn help_and_type_lines_declare_families_in_order_of_appearance() {
    let scrape =
        parse("# HELP a First.\n# TYPE a counter\na 1\n# TYPE b gauge\n# HELP c Only help.\n");
    assert_eq!(scrape.errors, []);
    assert_eq!(
        scrape.families,
        [
            FamilyHeader {
                name: "a",
                kind: MetricType::Counter,
                help: Some(Cow::Borrowed("First."))
            },
            FamilyHeader {
                name: "b",
                kind: MetricType::Gauge,
                help: None
            },
            FamilyHeader {
                name: "c",
                kind: MetricType::Untyped,
                help: Some(Cow::Borrowed("Only help."))
            },
        ]
    );
}

#[test]
fn help_text_unescapes_backslash_and_newline_only() {
    let scrape = parse(
        "# HELP a Two\\nlines with \\\\ and \"quotes\"\n# HELP b\n# HELP c   spaced  \n# HELP d odd \\x\n# HELP e q \\\"\n",
    );
    assert_eq!(scrape.errors, []);
    let help: Vec<_> = scrape
        .families
        .iter()
        .map(|f| f.help.as_deref().unwrap())
        .collect();
    assert_eq!(
        help,
        [
            "Two\nlines with \\ and \"quotes\"",
            "",
            "spaced  ",
            "odd \\x",
            "q \""
        ]
    );
    assert!(matches!(scrape.families[2].help, Some(Cow::Borrowed(_))));
}

#[test]
fn type_keywords_are_case_insensitive() {
    let scrape = parse("# TYPE a COUNTER\n# TYPE b Histogram\n");
    assert_eq!(scrape.errors, []);
    assert_eq!(scrape.families[0].kind, MetricType::Counter);
    assert_eq!(scrape.families[1].kind, MetricType::Histogram);
}

#[test]
fn openmetrics_types_map_to_the_closest_classic_type() {
    let scrape = parse(
        "# TYPE a gaugehistogram\n# TYPE b stateset\n# TYPE c info\n# TYPE d unknown\n# TYPE e untyped\n",
    );
    assert_eq!(scrape.errors, []);
    let kinds: Vec<_> = scrape.families.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            MetricType::Histogram,
            MetricType::Gauge,
            MetricType::Gauge,
            MetricType::Untyped,
            MetricType::Untyped
        ]
    );
}

#[test]
fn malformed_help_and_type_lines_are_reported() {
    for (line, kind) in [
        ("# HELP  ", ParseErrorKind::BadHelpLine),
        ("# HELP 1abc text", ParseErrorKind::BadHelpLine),
        ("# HELP a.b text", ParseErrorKind::BadHelpLine),
        ("# TYPE ", ParseErrorKind::BadTypeLine),
        ("# TYPE a", ParseErrorKind::BadTypeLine),
        ("# TYPE a  ", ParseErrorKind::BadTypeLine),
        ("# TYPE a bogus", ParseErrorKind::BadTypeLine),
        ("# TYPE a counter extra", ParseErrorKind::BadTypeLine),
        ("# TYPE a-b counter", ParseErrorKind::BadTypeLine),
    ] {
        let scrape = parse(line);
        assert_eq!(scrape.families, [], "{line}");
        assert_eq!(scrape.errors, [ParseError { line: 1, kind }], "{line}");
    }
    assert_eq!(parse("# TYPE a counter \t").errors, []);
}

#[test]
fn a_second_help_or_type_for_a_family_is_reported_and_the_first_kept() {
    let scrape =
        parse("# HELP a One.\n# TYPE a counter\n# HELP a Two.\n# TYPE a gauge\na_total 1\n");
    assert_eq!(
        errors("# HELP a One.\n# TYPE a counter\n# HELP a Two.\n# TYPE a gauge\na_total 1\n"),
        [
            (3, ParseErrorKind::DuplicateHelp),
            (4, ParseErrorKind::DuplicateType)
        ]
    );
    assert_eq!(scrape.families.len(), 1);
    assert_eq!(scrape.families[0].help.as_deref(), Some("One."));
    assert_eq!(scrape.families[0].kind, MetricType::Counter);
    assert_eq!(scrape.samples[0].kind, MetricType::Counter);
}

// ---------------------------------------------------------------- sample kinds

#[test]
fn histogram_buckets_sum_and_count_belong_to_the_histogram() {
    let text = "# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.3\nh_count 2\nh_created 1\nh_total 5\nh_bucketx 1\n";
    assert_eq!(
        kinds(text),
        [
            ("h_bucket", MetricType::Histogram),
            ("h_bucket", MetricType::Histogram),
            ("h_sum", MetricType::Histogram),
            ("h_count", MetricType::Histogram),
            ("h_created", MetricType::Histogram),
            ("h_total", MetricType::Untyped),
            ("h_bucketx", MetricType::Untyped),
        ]
    );
}

#[test]
fn summary_quantiles_sum_and_count_belong_to_the_summary() {
    let text =
        "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\ns_bucket{le=\"1\"} 1\n";
    assert_eq!(
        kinds(text),
        [
            ("s", MetricType::Summary),
            ("s_sum", MetricType::Summary),
            ("s_count", MetricType::Summary),
            ("s_bucket", MetricType::Untyped),
        ]
    );
}

#[test]
fn counters_own_their_name_and_the_openmetrics_total_and_created() {
    let text =
        "# TYPE c counter\nc 1\nc_total 2\nc_created 3\nc_sum 4\n# TYPE g gauge\ng_total 5\n";
    assert_eq!(
        kinds(text),
        [
            ("c", MetricType::Counter),
            ("c_total", MetricType::Counter),
            ("c_created", MetricType::Counter),
            ("c_sum", MetricType::Untyped),
            ("g_total", MetricType::Untyped),
        ]
    );
}

#[test]
fn openmetrics_gaugehistogram_and_info_suffixes_are_recognised() {
    let text = "# TYPE gh gaugehistogram\ngh_bucket{le=\"+Inf\"} 1\ngh_gsum 2\ngh_gcount 1\ngh_sum 2\n# TYPE i info\ni_info{v=\"1\"} 1\n";
    assert_eq!(
        kinds(text),
        [
            ("gh_bucket", MetricType::Histogram),
            ("gh_gsum", MetricType::Histogram),
            ("gh_gcount", MetricType::Histogram),
            ("gh_sum", MetricType::Untyped),
            ("i_info", MetricType::Gauge),
        ]
    );
}

#[test]
fn samples_without_a_type_line_are_untyped() {
    assert_eq!(
        kinds("# HELP a Just help.\na 1\nb_bucket{le=\"1\"} 1\n"),
        [
            ("a", MetricType::Untyped),
            ("b_bucket", MetricType::Untyped)
        ]
    );
}

#[test]
fn a_sample_finds_its_family_even_after_other_type_lines() {
    let text = "# TYPE h histogram\n# TYPE c counter\n# TYPE g gauge\nh_count 1\nc_total 2\nx 3\ng 4\nh_bucket{le=\"1\"} 5\n";
    assert_eq!(
        kinds(text),
        [
            ("h_count", MetricType::Histogram),
            ("c_total", MetricType::Counter),
            ("x", MetricType::Untyped),
            ("g", MetricType::Gauge),
            ("h_bucket", MetricType::Histogram),
        ]
    );
}

#[test]
fn the_most_recent_matching_type_line_wins() {
    let later_exact = "# TYPE a histogram\n# TYPE a_count gauge\n# TYPE z counter\na_count 1\n";
    assert_eq!(kinds(later_exact), [("a_count", MetricType::Gauge)]);
    let later_base = "# TYPE a_count gauge\n# TYPE a histogram\n# TYPE z counter\na_count 1\n";
    assert_eq!(kinds(later_base), [("a_count", MetricType::Histogram)]);
    let current = "# TYPE a_count gauge\n# TYPE a histogram\na_count 1\n";
    assert_eq!(kinds(current), [("a_count", MetricType::Histogram)]);
}

// ---------------------------------------------------------------- consecutive lines

/// The parser skips re-validating the bytes a line shares with the previous
/// sample line; these lines share long prefixes and must still be checked
/// from the first byte that differs.
#[test]
fn a_line_sharing_the_previous_prefix_is_still_checked_in_full() {
    let text = "m{a=\"1\",b=\"2\"} 1\n\
                m{a=\"1\",a=\"3\"} 2\n\
                m{a=\"1\",b=\"2\n\
                m{a=\"1\",} 3\n\
                m{a=\"1\",b=\"x\"}} 4\n\
                mm{a=\"1\",b=\"2\"} 5\n\
                m 6\n\
                m{} 7\n\
                m{a=\"1\",b=\"2\",c=\"3\"} 8\n\
                m{a=\"1\",b=\"2\",c=\"3\",a=\"4\"} 9\n";
    assert_eq!(
        errors(text),
        [
            (2, ParseErrorKind::DuplicateLabel),
            (3, ParseErrorKind::UnterminatedLabelValue),
            (5, ParseErrorKind::BadValue),
            (10, ParseErrorKind::DuplicateLabel),
        ]
    );
    let scrape = parse(text);
    let got: Vec<_> = scrape
        .samples
        .iter()
        .map(|s| (s.name, pairs(s).len(), s.value))
        .collect();
    assert_eq!(
        got,
        [
            ("m", 2, 1.0),
            ("m", 1, 3.0),
            ("mm", 2, 5.0),
            ("m", 0, 6.0),
            ("m", 0, 7.0),
            ("m", 3, 8.0)
        ]
    );
}

#[test]
fn a_type_line_between_repeated_names_still_applies() {
    assert_eq!(
        kinds("m 1\n# TYPE m counter\nm 2\n"),
        [("m", MetricType::Untyped), ("m", MetricType::Counter)]
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn a_malformed_line_is_reported_with_its_number_and_skipped() {
    let text = "a 1\nb{x=\"1} 2\nc 3\nd NaN? \n\ne 5\n# TYPE f bogus\nf 6";
    let scrape = parse(text);
    assert_eq!(
        errors(text),
        [
            (2, ParseErrorKind::UnterminatedLabelValue),
            (4, ParseErrorKind::BadValue),
            (7, ParseErrorKind::BadTypeLine),
        ]
    );
    let names: Vec<_> = scrape.samples.iter().map(|s| s.name).collect();
    assert_eq!(names, ["a", "c", "e", "f"]);
}

#[test]
fn errors_display_as_line_number_and_reason() {
    let error = parse("ok 1\nok 2\nbad value\n").errors[0];
    assert_eq!(error.to_string(), "line 3: invalid value");
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert_eq!(boxed.to_string(), "line 3: invalid value");
    assert_eq!(
        ParseError {
            line: 9,
            kind: ParseErrorKind::BadEscape
        }
        .to_string(),
        "line 9: invalid escape in label value (only \\\\, \\\" and \\n are allowed)"
    );
}

#[test]
fn crlf_and_missing_newline_keep_line_numbers_right() {
    assert_eq!(
        errors("a 1\r\nb x\r\nc 3\r\nd y"),
        [(2, ParseErrorKind::BadValue), (4, ParseErrorKind::BadValue)]
    );
}

// ---------------------------------------------------------------- the A1 correctness matrix

/// Every row of the survey's correctness matrix (perf-and-style-reference.md
/// section A1), with the exact result this parser gives.
#[test]
fn correctness_matrix_rows() {
    let s = one("job:req:rate5m{job=\"api\"} 1");
    assert_eq!((s.name, s.value), ("job:req:rate5m", 1.0));

    assert_eq!(
        one(r#"m{path="/a,b"} 1"#).labels.get("path").as_deref(),
        Some("/a,b")
    );
    assert_eq!(
        one(r#"m{route="/users/{id}"} 1"#)
            .labels
            .get("route")
            .as_deref(),
        Some("/users/{id}")
    );
    assert_eq!(
        one(r#"m{q="a=b"} 1"#).labels.get("q").as_deref(),
        Some("a=b")
    );
    assert_eq!(
        one(r#"m{msg="say \"hi\""} 1"#).labels.get("msg").as_deref(),
        Some("say \"hi\"")
    );
    assert_eq!(
        pairs(&one(r#"m{a="1", b="2"} 1"#)),
        owned(&[("a", "1"), ("b", "2")])
    );
    assert_eq!(one("foo{} 7").value, 7.0);

    assert_eq!(value_of("m +Inf"), f64::INFINITY);
    assert_eq!(value_of("m -Inf"), f64::NEG_INFINITY);
    assert!(value_of("m NaN").is_nan());
    assert_eq!(value_of("m 1.5e-3"), 0.0015);
    assert_eq!(value_of("m 1E+06"), 1e6);
    assert_eq!(
        one("m 1 1395066363000").timestamp_ms,
        Some(1_395_066_363_000)
    );

    let duplicates = parse("m{a=\"1\"} 1\nm{a=\"1\"} 2\n");
    assert_eq!(duplicates.errors, []);
    assert_eq!(duplicates.samples.len(), 2, "duplicate series are kept");

    let om = parse("# TYPE c counter\nc_total 3\n# EOF\n");
    assert_eq!(om.errors, []);
    assert_eq!(
        (om.samples[0].name, om.samples[0].kind),
        ("c_total", MetricType::Counter)
    );

    assert_eq!(
        one(r#"m_bucket{le="1"} 1 # {trace_id="abc"} 0.05"#).value,
        1.0
    );
    assert_eq!(value_of("m\t3"), 3.0);
}

// ---------------------------------------------------------------- fixtures

fn find<'a>(scrape: &'a Scrape<'a>, name: &str, labels: &[(&str, &str)]) -> &'a Sample<'a> {
    let mut found = scrape.samples.iter().filter(|s| {
        s.name == name
            && s.labels.len() == labels.len()
            && labels
                .iter()
                .all(|&(k, v)| s.labels.get(k).as_deref() == Some(v))
    });
    let sample = found
        .next()
        .unwrap_or_else(|| panic!("{name}{labels:?} missing"));
    assert!(found.next().is_none(), "{name}{labels:?} is not unique");
    sample
}

#[test]
fn fixture_parses_completely() {
    for text in [FIXTURE, FIXTURE_T5S] {
        let scrape = parse(text);
        assert_eq!(scrape.errors, []);
        assert_eq!(scrape.samples.len(), 278);
        assert_eq!(scrape.families.len(), 29);
        assert!(scrape.families.iter().all(|f| f.help.is_some()));
        assert!(scrape.samples.iter().all(|s| s.timestamp_ms.is_none()));
    }
}

#[test]
fn fixture_values_and_kinds_spot_checks() {
    let scrape = parse(FIXTURE);
    let tokens = find(
        &scrape,
        "zai_proxy_tokens_total",
        &[
            ("direction", "cache_read"),
            ("model", "glm-4.7"),
            ("pricing_tier", "off_peak"),
            ("variant", "production"),
        ],
    );
    assert_eq!(tokens.value, 152_338_944.0);
    assert_eq!(tokens.kind, MetricType::Counter);

    let gc = find(&scrape, "go_gc_duration_seconds", &[("quantile", "0.5")]);
    assert_eq!((gc.value, gc.kind), (6.1e-5, MetricType::Summary));
    let gc_count = find(&scrape, "go_gc_duration_seconds_count", &[]);
    assert_eq!(
        (gc_count.value, gc_count.kind),
        (512.0, MetricType::Summary)
    );

    let info = find(
        &scrape,
        "zai_proxy_build_info",
        &[
            ("build_time", "2026-09-04T18:22:10Z"),
            ("commit", "224ff4c"),
            ("variant", "production"),
            ("version", "1.11.1"),
        ],
    );
    assert_eq!((info.value, info.kind), (1.0, MetricType::Gauge));
    assert_eq!(
        find(&scrape, "process_start_time_seconds", &[]).value,
        1.78918092e9
    );
    assert_eq!(
        find(
            &scrape,
            "zai_proxy_estimated_cost_usd_total",
            &[
                ("direction", "cache_read"),
                ("model", "glm-4.7"),
                ("pricing_tier", "peak"),
                ("variant", "production"),
            ]
        )
        .value,
        6.8248576000000005
    );
    let bucket = find(
        &scrape,
        "zai_proxy_request_size_bytes_bucket",
        &[
            ("method", "POST"),
            ("path", "/api/anthropic/v1/messages"),
            ("variant", "production"),
            ("le", "1e+06"),
        ],
    );
    assert_eq!(
        (bucket.value, bucket.kind),
        (18550.0, MetricType::Histogram)
    );

    let alloc = scrape
        .families
        .iter()
        .find(|f| f.name == "go_memstats_alloc_bytes")
        .unwrap();
    assert_eq!(alloc.kind, MetricType::Gauge);
    assert_eq!(
        alloc.help.as_deref(),
        Some(
            "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes."
        )
    );
}

#[test]
fn fixture_inf_buckets_equal_their_counts() {
    let scrape = parse(FIXTURE);
    let mut checked = 0;
    for inf in scrape
        .samples
        .iter()
        .filter(|s| s.name.ends_with("_bucket") && s.labels.get("le").as_deref() == Some("+Inf"))
    {
        assert_eq!(inf.kind, MetricType::Histogram);
        let family = inf.name.strip_suffix("_bucket").unwrap();
        let series: Vec<_> = inf.labels.iter().filter(|(k, _)| *k != "le").collect();
        let count = scrape
            .samples
            .iter()
            .find(|s| {
                s.name.strip_suffix("_count") == Some(family)
                    && s.labels.iter().collect::<Vec<_>>() == series
            })
            .unwrap_or_else(|| panic!("no _count for {family}{series:?}"));
        assert_eq!(inf.value, count.value, "{family}{series:?}");
        checked += 1;
    }
    assert_eq!(checked, 15);
}

#[test]
fn write_float_reproduces_every_number_in_the_fixtures() {
    for text in [FIXTURE, FIXTURE_T5S] {
        let scrape = parse(text);
        let mut out = String::new();
        for (line, sample) in text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .zip(&scrape.samples)
        {
            out.clear();
            write_float(&mut out, sample.value);
            assert!(line.ends_with(&format!(" {out}")), "{line} vs {out}");
            for key in ["le", "quantile"] {
                if let Some(bound) = sample.labels.get(key) {
                    out.clear();
                    write_float(&mut out, bound.parse().unwrap());
                    assert_eq!(out, bound, "{line}");
                }
            }
        }
    }
}

#[test]
fn fixture_re_written_with_format_is_identical() {
    let scrape = parse(FIXTURE);
    let mut out = String::new();
    let mut samples = scrape.samples.iter().peekable();
    for family in &scrape.families {
        write_family_header(
            &mut out,
            family.name,
            family.help.as_deref().unwrap(),
            family.kind,
        );
        let own = |s: &&Sample<'_>| {
            s.name
                .strip_prefix(family.name)
                .is_some_and(|rest| ["", "_bucket", "_sum", "_count"].contains(&rest))
        };
        while let Some(sample) = samples.next_if(own) {
            let labels: Vec<_> = sample.labels.iter().collect();
            let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_ref())).collect();
            write_sample(&mut out, sample.name, &labels, sample.value);
        }
    }
    let body: String = FIXTURE
        .lines()
        .skip_while(|l| !l.starts_with("# HELP"))
        .flat_map(|l| [l, "\n"])
        .collect();
    assert_eq!(out, body);
}

// ---------------------------------------------------------------- differential: prometheus-parse

type Row = (String, BTreeMap<String, String>, f64, Option<i64>);

/// Our samples as sorted rows of (name, labels, value, timestamp).
fn our_rows(text: &str) -> Vec<Row> {
    let mut rows: Vec<Row> = parse(text)
        .samples
        .iter()
        .map(|s| {
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| (k.to_owned(), v.into_owned()))
                .collect();
            (s.name.to_owned(), labels, s.value, s.timestamp_ms)
        })
        .collect();
    sort_rows(&mut rows);
    rows
}

/// prometheus-parse's samples flattened back into rows: grouped histogram
/// buckets become `<name>_bucket{...,le}` rows and grouped summary quantiles
/// `<name>{...,quantile}` rows, with the bound written as Go writes it.
/// Timestamps are kept only when the line had one (it substitutes "now").
fn their_rows(text: &str, with_timestamps: bool) -> Vec<Row> {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("in-memory lines cannot fail");
    let mut rows = Vec::new();
    for s in &scrape.samples {
        let labels: BTreeMap<String, String> = s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let timestamp = with_timestamps.then(|| s.timestamp.timestamp_millis());
        let with_bound = |key: &str, bound: f64| {
            let mut labels = labels.clone();
            let mut text = String::new();
            write_float(&mut text, bound);
            labels.insert(key.to_owned(), text);
            labels
        };
        match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => {
                rows.push((s.metric.clone(), labels.clone(), *v, timestamp));
            }
            prometheus_parse::Value::Histogram(buckets) => {
                for b in buckets {
                    let name = format!("{}_bucket", s.metric);
                    rows.push((name, with_bound("le", b.less_than), b.count, timestamp));
                }
            }
            prometheus_parse::Value::Summary(quantiles) => {
                for q in quantiles {
                    let labels = with_bound("quantile", q.quantile);
                    rows.push((s.metric.clone(), labels, q.count, timestamp));
                }
            }
        }
    }
    sort_rows(&mut rows);
    rows
}

fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        (&a.0, &a.1, a.3)
            .cmp(&(&b.0, &b.1, b.3))
            .then(a.2.total_cmp(&b.2))
    });
}

/// Rows with their timestamps dropped and re-sorted, to compare with
/// prometheus-parse's rows, which carry "now" for lines without one.
fn without_timestamps(rows: &[Row]) -> Vec<Row> {
    let mut rows: Vec<Row> = rows
        .iter()
        .map(|(name, labels, value, _)| (name.clone(), labels.clone(), *value, None))
        .collect();
    sort_rows(&mut rows);
    rows
}

fn assert_same_rows(ours: &[Row], theirs: &[Row]) {
    assert_eq!(ours.len(), theirs.len(), "sample counts differ");
    for (a, b) in ours.iter().zip(theirs) {
        assert_eq!((&a.0, &a.1, a.3), (&b.0, &b.1, b.3));
        assert!(same_value(a.2, b.2), "{a:?} vs {b:?}");
    }
}

#[test]
fn agrees_with_prometheus_parse_on_the_fixtures() {
    for text in [FIXTURE, FIXTURE_T5S] {
        assert_same_rows(&our_rows(text), &their_rows(text, false));
        let theirs =
            prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
        let scrape = parse(text);
        assert_eq!(theirs.docs.len(), scrape.families.len());
        for family in &scrape.families {
            assert_eq!(
                theirs.docs.get(family.name).map(String::as_str),
                family.help.as_deref()
            );
        }
    }
}

/// The exposition-format documentation's example, minus the escaped label
/// values that prometheus-parse corrupts.
const DOCS_EXAMPLE: &str = r#"# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
"#;

#[test]
fn agrees_with_prometheus_parse_on_the_documentation_example() {
    let ours = our_rows(DOCS_EXAMPLE);
    assert_eq!(ours.len(), 19);
    assert_same_rows(&without_timestamps(&ours), &their_rows(DOCS_EXAMPLE, false));
    let theirs_with_ts = their_rows(DOCS_EXAMPLE, true);
    for a in ours.iter().filter(|row| row.3.is_some()) {
        assert!(theirs_with_ts.contains(a), "{a:?}");
    }
}

/// Where the survey found prometheus-parse wrong, this parser is right; the
/// test pins both so the comparison stays honest.
#[test]
fn prometheus_parse_loses_what_this_parser_keeps() {
    let rows = |text: &str| (our_rows(text), their_rows(text, false));

    let (ours, theirs) = rows("job:req:rate5m 1\n");
    assert_eq!(ours.len(), 1);
    assert_eq!(theirs.len(), 0, "colon names are dropped");

    let (ours, theirs) = rows("m{path=\"/a,b\"} 1\n");
    assert_eq!(ours[0].1["path"], "/a,b");
    assert_eq!(theirs[0].1["path"], "/a", "commas cut the value");

    let (ours, theirs) = rows("m{route=\"/users/{id}\"} 1\n");
    assert_eq!(ours[0].1["route"], "/users/{id}");
    assert_eq!(theirs.len(), 0, "braces drop the sample");

    let (ours, theirs) = rows("m{q=\"a=b\"} 1\n");
    assert_eq!(ours[0].1["q"], "a=b");
    assert!(theirs[0].1.is_empty(), "'=' drops the label");

    let (ours, theirs) = rows("m{a=\"1\", b=\"2\"} 1\n");
    assert!(ours[0].1.contains_key("b"));
    assert!(theirs[0].1.contains_key(" b"), "spaces stay in names");

    let (ours, theirs) = rows("foo{} 7\n");
    assert_eq!((ours.len(), theirs.len()), (1, 0), "empty braces drop it");
}

// ---------------------------------------------------------------- property tests

/// A generated metric family: what `format` writes and `parse` must return.
#[derive(Clone, Debug)]
struct GenFamily {
    name: String,
    kind: MetricType,
    help: String,
    samples: Vec<GenSample>,
}

#[derive(Clone, Debug)]
struct GenSample {
    suffix: &'static str,
    labels: Vec<(String, String)>,
    value: f64,
    timestamp_ms: Option<i64>,
}

fn kind_strategy() -> impl Strategy<Value = MetricType> {
    prop_oneof![
        Just(MetricType::Counter),
        Just(MetricType::Gauge),
        Just(MetricType::Histogram),
        Just(MetricType::Summary),
        Just(MetricType::Untyped),
    ]
}

/// Sample-name suffixes that stay in a family of `kind`.
fn suffixes(kind: MetricType) -> &'static [&'static str] {
    match kind {
        MetricType::Counter => &["", "_total", "_created"],
        MetricType::Histogram => &["_bucket", "_sum", "_count", "_created", ""],
        MetricType::Summary => &["", "_sum", "_count", "_created"],
        MetricType::Gauge | MetricType::Untyped => &[""],
    }
}

fn value_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::NAN),
        (-1e7..1e7f64),
        (0u32..100_000).prop_map(f64::from),
        (1u32..1000, -30i32..30).prop_map(|(m, e)| f64::from(m) * 10f64.powi(e)),
    ]
}

fn label_value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9/._ -]{0,12}",
        r#"[a-z ,={}"\\\n\t]{0,12}"#,
        any::<String>(),
        "\\PC{0,8}",
    ]
}

fn labels_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,8}", label_value_strategy(), 0..5)
        .prop_map(|m| m.into_iter().collect())
}

fn family_strategy() -> impl Strategy<Value = GenFamily> {
    (
        "[a-zA-Z_:][a-zA-Z0-9_:]{0,12}",
        kind_strategy(),
        "[^\r]{0,30}",
    )
        .prop_flat_map(|(name, kind, help)| {
            let sample = (
                prop::sample::select(suffixes(kind)),
                labels_strategy(),
                value_strategy(),
                prop::option::of(any::<i64>()),
            )
                .prop_map(|(suffix, labels, value, timestamp_ms)| GenSample {
                    suffix,
                    labels,
                    value,
                    timestamp_ms,
                });
            prop::collection::vec(sample, 0..6).prop_map(move |samples| GenFamily {
                name: name.clone(),
                kind,
                help: help.trim_start_matches([' ', '\t']).to_owned(),
                samples,
            })
        })
}

/// Families with unique names ending in `_<index>`, so that no family name
/// equals another family's name plus a suffix.
fn exposition_strategy() -> impl Strategy<Value = Vec<GenFamily>> {
    prop::collection::vec(family_strategy(), 0..8).prop_map(|mut families| {
        for (i, family) in families.iter_mut().enumerate() {
            family.name = format!("{}_{i}", family.name);
        }
        families
    })
}

fn write_exposition(families: &[GenFamily]) -> String {
    let mut out = String::new();
    for family in families {
        write_family_header(&mut out, &family.name, &family.help, family.kind);
        for s in &family.samples {
            let labels: Vec<(&str, &str)> = s
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let name = format!("{}{}", family.name, s.suffix);
            write_sample_with_timestamp(&mut out, &name, &labels, s.value, s.timestamp_ms);
        }
    }
    out
}

/// Checks what must hold for any input: the scrape is self-consistent.
fn check_invariants(text: &str) {
    let scrape = parse(text);
    let lines = text.split('\n').count();
    assert!(scrape.errors.windows(2).all(|w| w[0].line < w[1].line));
    assert!(scrape.errors.iter().all(|e| (1..=lines).contains(&e.line)));
    for s in &scrape.samples {
        let labels: Vec<_> = s.labels.iter().collect();
        assert_eq!(labels.len(), s.labels.len());
        for (name, value) in &labels {
            assert_eq!(s.labels.get(name).as_ref(), Some(value));
        }
    }
}

proptest! {
    #[test]
    fn parsing_any_string_never_panics(text in any::<String>()) {
        check_invariants(&text);
    }

    #[test]
    fn parsing_any_bytes_as_utf8_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_invariants(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parsing_exposition_shaped_noise_never_panics(
        text in r#"([a-z_:]{0,4}[{}="\\, \t\n#0-9.eE+\-a-zIN]{0,12}){0,20}"#
    ) {
        check_invariants(&text);
    }

    #[test]
    fn parse_inverts_format(families in exposition_strategy()) {
        let text = write_exposition(&families);
        let scrape = parse(&text);
        prop_assert_eq!(&scrape.errors, &[], "{}", text);

        let expected_families: Vec<FamilyHeader<'_>> = families
            .iter()
            .map(|f| FamilyHeader { name: &f.name, kind: f.kind, help: Some(Cow::Borrowed(f.help.as_str())) })
            .collect();
        prop_assert_eq!(&scrape.families, &expected_families);

        let expected: Vec<(String, &GenSample, MetricType)> = families
            .iter()
            .flat_map(|f| f.samples.iter().map(move |s| (format!("{}{}", f.name, s.suffix), s, f.kind)))
            .collect();
        prop_assert_eq!(scrape.samples.len(), expected.len());
        for (got, (name, want, kind)) in scrape.samples.iter().zip(&expected) {
            prop_assert_eq!(got.name, name.as_str());
            prop_assert_eq!(got.kind, *kind);
            prop_assert_eq!(pairs(got), want.labels.clone());
            prop_assert!(same_value(got.value, want.value), "{} vs {}", got.value, want.value);
            prop_assert_eq!(got.timestamp_ms, want.timestamp_ms);
        }
    }

    #[test]
    fn write_float_round_trips_through_parse(v in value_strategy()) {
        let mut line = String::from("m ");
        write_float(&mut line, v);
        let parsed = value_of(&line);
        prop_assert!(same_value(parsed, v), "{} -> {}", v, line);
    }

    #[test]
    fn labels_written_from_a_parse_parse_back_the_same(labels in labels_strategy()) {
        let borrowed: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut text = String::from("m");
        write_labels(&mut text, &borrowed);
        text.push_str(" 1");
        let s = one(&text);
        prop_assert_eq!(pairs(&s), labels);
    }

    #[test]
    fn agrees_with_prometheus_parse_on_plain_untyped_input(
        rows in prop::collection::vec(
            (
                "[a-zA-Z_][a-zA-Z0-9_]{0,10}",
                prop::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,6}", "[a-zA-Z0-9 ./:-]{0,10}", 0..4),
                value_strategy(),
                prop::option::of(0i64..4_000_000_000_000),
            ),
            0..20,
        )
    ) {
        let mut text = String::new();
        for (name, labels, value, ts) in &rows {
            let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            write_sample_with_timestamp(&mut text, name, &labels, *value, *ts);
        }
        let ours = our_rows(&text);
        prop_assert_eq!(ours.len(), rows.len());
        assert_same_rows(&without_timestamps(&ours), &their_rows(&text, false));
        let theirs_with_ts = their_rows(&text, true);
        for a in ours.iter().filter(|row| row.3.is_some()) {
            prop_assert!(theirs_with_ts.iter().any(|b| (&a.0, &a.1, a.3) == (&b.0, &b.1, b.3)));
        }
    }
}
