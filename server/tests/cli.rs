//! `zai-dash parse` and `zai-dash snapshot` as a user runs them: the real
//! binary, real files and pipes, checked on stdout, stderr and exit code.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

const FIXTURE_T0: &str = zai_dash_fixtures::VARIANT_PATH;
const FIXTURE_T5: &str = zai_dash_fixtures::VARIANT_T5S_PATH;

/// Runs `zai-dash args…` with `stdin` piped in.
fn zai_dash(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zai-dash"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("it exits")
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn parse_prints_one_json_object_per_sample() {
    let input = "# TYPE a counter\n\
                 a_total{path=\"/x,y\",q=\"say \\\"hi\\\"\"} 1.5e+06 1700000000000\n\
                 b +Inf\n";
    let out = zai_dash(&["parse", "-"], input);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json_lines(&out),
        [
            serde_json::json!({"name": "a_total", "labels": {"path": "/x,y", "q": "say \"hi\""},
                               "value": 1_500_000.0, "timestamp_ms": 1_700_000_000_000_i64}),
            serde_json::json!({"name": "b", "labels": {}, "value": "+Inf", "timestamp_ms": null}),
        ]
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn parse_reports_bad_lines_on_stderr_keeps_the_good_ones_and_exits_1() {
    let out = zai_dash(&["parse"], "good 1\nbad{ 2\nalso_good 3\n");
    assert_eq!(out.status.code(), Some(1));
    let names: Vec<String> = json_lines(&out)
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["good", "also_good"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("line 2: "), "{stderr}");
}

#[test]
fn parse_summary_counts_the_fixture() {
    let out = zai_dash(&["parse", "--summary", FIXTURE_T0], "");
    assert!(out.status.success(), "{out:?}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 278 samples in 29 families, no bad line (the fixture's own count).
    assert_eq!(summary["samples"], 278);
    assert_eq!(summary["bad_lines"], 0);
    let families: u64 = summary["families"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(families, 29);
    assert_eq!(summary["families"]["summary"], 1);
}

#[test]
fn parse_of_a_missing_file_says_so_and_exits_2() {
    let out = zai_dash(&["parse", "/nonexistent/metrics.prom"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/metrics.prom"));
}

#[test]
fn snapshot_of_the_fixture_pair_is_the_corrected_metric_snapshot() {
    let out = zai_dash(
        &[
            "snapshot",
            "--variant",
            "production",
            "--interval",
            "5s",
            FIXTURE_T0,
            FIXTURE_T5,
        ],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let close = |field: &str, want: f64| {
        let got = s[field]
            .as_f64()
            .unwrap_or_else(|| panic!("{field}: {}", s[field]));
        assert!(
            (got - want).abs() < 1e-6 * want.abs().max(1.0),
            "{field}: {got} vs {want}"
        );
    };
    // 3 new 200s in 5 s; tokens Δ 2411 / 1877 / 118528 over 5 s (the
    // reference's oracle for the original gives the same rates).
    close("req_rate", 0.6);
    close("token_rate_in", 482.2);
    close("token_rate_out", 375.4);
    close("token_rate_cache_read", 23_705.6);
    // Percentiles from the 5 s bucket increases summed over all series
    // (one request each in (2.5,5], (10,30] and (30,60] s), not from the
    // 502 series' lifetime buckets as the original did.
    close("latency_p50", 20_000.0);
    close("latency_p95", 55_500.0);
    close("latency_p99", 59_100.0);
    // One retry (reason="retry" 490 → 491), not 982 lifetime attempts.
    close("retry_attempts", 1.0);
    assert_eq!(s["variant"], "production");
    assert_eq!(
        s["quota"],
        serde_json::Value::Null,
        "production exports no quota"
    );
}

#[test]
fn snapshot_of_absent_families_is_null_not_zero() {
    let dir = std::env::temp_dir().join(format!("zai-dash-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.prom"), dir.join("b.prom"));
    std::fs::write(&a, "zai_proxy_requests_total{status_code=\"200\"} 1\n").unwrap();
    std::fs::write(&b, "zai_proxy_requests_total{status_code=\"200\"} 3\n").unwrap();
    let out = zai_dash(
        &[
            "snapshot",
            "--variant",
            "x",
            "--interval",
            "2s",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        "",
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success(), "{out:?}");
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["req_rate"], 1.0);
    for absent in [
        "token_rate_in",
        "latency_p50",
        "concurrent_requests",
        "upstream_errors",
    ] {
        assert_eq!(s[absent], serde_json::Value::Null, "{absent}");
    }
}

#[test]
fn snapshot_refuses_a_bad_interval() {
    let out = zai_dash(
        &["snapshot", "--variant", "x", "--interval", "soon", "a", "b"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("soon"));
}
