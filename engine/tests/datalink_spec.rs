//! A link that carries its data: the rows of a window written as text and
//! read back give buffers that answer every query as the originals did;
//! thinned to one row per chart point, totals stay exact and restarts stay
//! seen; a damaged or newer link says so instead of showing wrong data.

use zai_dash_engine::{
    buffer::{Buffer, EventKind},
    datalink::{self, Error, Writer},
    extract::{Histogram, Slot},
    parse::parse,
    series::Grid,
    snapshot::snapshot,
};

/// A zai-proxy exposition of a process started at `start` (Unix s) that
/// has served `n` requests: float counters (cost, latency sums) that no
/// decimal difference adds back to exactly, a histogram, a gauge that
/// comes and goes, a build, and a status code that appears late.
fn exposition(start: f64, build: &str, n: u64) -> String {
    let mut text = format!(
        "process_start_time_seconds {start}\n\
         zai_proxy_build_info{{version=\"{build}\",commit=\"c0ffee\"}} 1\n\
         # TYPE zai_proxy_requests_total counter\n\
         zai_proxy_requests_total{{status_code=\"200\"}} {ok}\n\
         # TYPE zai_proxy_request_duration_seconds histogram\n\
         zai_proxy_request_duration_seconds_bucket{{le=\"0.5\"}} {fast}\n\
         zai_proxy_request_duration_seconds_bucket{{le=\"2.5\"}} {n}\n\
         zai_proxy_request_duration_seconds_bucket{{le=\"+Inf\"}} {n}\n\
         zai_proxy_request_duration_seconds_sum {sum}\n\
         zai_proxy_request_duration_seconds_count {n}\n\
         # TYPE zai_proxy_estimated_cost_usd_total counter\n\
         zai_proxy_estimated_cost_usd_total{{direction=\"output\"}} {cost}\n",
        ok = n - n / 7,
        fast = n / 2,
        sum = n as f64 * 0.731_1,
        cost = n as f64 * 0.000_123_7,
    );
    if n >= 70 {
        text.push_str(&format!(
            "zai_proxy_requests_total{{status_code=\"503 Service Unavailable\"}} {}\n",
            n / 7
        ));
    }
    if !n.is_multiple_of(3) {
        text.push_str(&format!("zai_proxy_concurrent_requests {}\n", n % 5));
    }
    text
}

/// Two pods polled every 5 s for `rows` polls, out of step by 1 s; pod
/// "b" restarts at poll 40 and is deployed anew at poll 60.
fn two_pods(rows: u64) -> Buffer {
    let mut buffer = Buffer::default();
    for i in 0..rows {
        let t = 1_700_000_000_000 + 5_000 * i as i64;
        let a = exposition(1_000.0, "1.0", 10 + 3 * i);
        buffer.push_target("a", t, &parse(&a)).unwrap();
        let (start, n) = if i < 40 {
            (1_000.0, 5 * i)
        } else {
            (2_000.0, 2 * (i - 40))
        };
        let b = exposition(start, if i < 60 { "1.0" } else { "1.1" }, n);
        buffer
            .push_target("b pod/1", t + 1_000, &parse(&b))
            .unwrap();
    }
    buffer
}

/// Everything the panels read of a window, as comparable text.
fn reading(buffer: &Buffer, from: i64, to: i64) -> String {
    let window = buffer.window(from, to);
    let figures = serde_json::to_string(&snapshot("production", &window)).unwrap();
    let events: Vec<_> = buffer
        .events(from, to)
        .into_iter()
        .map(|e| (e.t_ms, e.target, e.kind))
        .collect();
    format!(
        "{figures}\nrows {}\nresets {}\nevents {events:?}\np90 {:?}",
        window.len(),
        window.resets(),
        window.quantile(Histogram::Duration, 0.9),
    )
}

/// The text of a link copied at `copied` carrying `variants`.
fn encode(copied: i64, range: (i64, i64), grid: &Grid, variants: &[(&str, &Buffer)]) -> String {
    let mut writer = Writer::new(copied, range, grid);
    for (name, buffer) in variants {
        writer.variant(name, buffer);
    }
    writer.finish()
}

fn round_trip(buffer: &Buffer, from: i64, to: i64, grid: &Grid) -> Buffer {
    let text = encode(42, (from, to), grid, &[("production", buffer)]);
    let mut contents = datalink::decode(&text).expect("its own text reads back");
    assert_eq!(
        (contents.copied_ms, contents.from_ms, contents.to_ms),
        (42, from, to)
    );
    assert_eq!(contents.step_ms, grid.step_ms);
    let (name, copy) = contents.variants.pop().expect("one variant");
    assert_eq!(name, "production");
    copy
}

const T0: i64 = 1_700_000_000_000;

#[test]
fn a_window_read_back_answers_every_query_as_the_original() {
    let buffer = two_pods(100);
    let (from, to) = (T0 + 100_000, T0 + 450_000);
    let grid = Grid::new(from, to, 200, 5_000);
    let copy = round_trip(&buffer, from, to, &grid);

    assert_eq!(reading(&copy, from, to), reading(&buffer, from, to));
    // Including the restart of pod b (poll 40) and its deploy (poll 60).
    let kinds: Vec<EventKind> = copy.events(from, to).into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::Restart), "{kinds:?}");
    assert!(
        kinds.contains(&EventKind::Deploy("1.1 (c0ffee)".into())),
        "{kinds:?}"
    );
    // And the rows one lookback before the window, for the first points' rates.
    assert_eq!(copy.first_time(), Some(from - grid.lookback_ms));
}

#[test]
fn every_value_comes_back_bit_for_bit() {
    let buffer = two_pods(100);
    let (from, to) = (T0, T0 + 500_000);
    let grid = Grid::new(from, to, 200, 5_000);
    let copy = round_trip(&buffer, from, to, &grid);
    let all = |b: &Buffer| b.rows((from, to), 0, 1);
    let (original, copied) = (all(&buffer), all(&copy));
    assert_eq!(original.len(), 2);
    for (o, c) in original.iter().zip(&copied) {
        assert_eq!((&o.id, &o.slots, &o.times), (&c.id, &c.slots, &c.times));
        assert_eq!(
            (&o.families, &o.resets, &o.flags),
            (&c.families, &c.resets, &c.flags)
        );
        assert_eq!(o.deploys, c.deploys);
        let bits = |cols: &[Vec<f64>]| -> Vec<Vec<u64>> {
            cols.iter()
                .map(|c| c.iter().map(|v| v.to_bits()).collect())
                .collect()
        };
        assert_eq!(bits(&o.columns), bits(&c.columns), "target {}", o.id);
    }
}

#[test]
fn a_long_window_is_thinned_to_one_row_per_point_with_exact_totals() {
    // 2,000 polls (2 h 46 min) drawn on 20 points: a row per step at most.
    let buffer = two_pods(2_000);
    let (from, to) = (T0 + 60_000, T0 + 9_990_000);
    let grid = Grid::new(from, to, 20, 5_000);
    let copy = round_trip(&buffer, from, to, &grid);
    let max_rows = ((to - from + grid.lookback_ms) / grid.step_ms + 2) as usize;
    for t in copy.rows((from, to), grid.lookback_ms, 1) {
        assert!(t.times.len() <= max_rows, "{} rows", t.times.len());
    }

    let (a, b) = (buffer.window(from, to), copy.window(from, to));
    let all = |s: &Slot| s.is_counter();
    // Stitched counters: the first and last rows carry the exact totals,
    // and so every figure of the window (rates, quantiles, latest gauges);
    // only the count of scrapes behind them is smaller.
    assert_eq!(b.sum_total(all), a.sum_total(all));
    let (mut original, thinned) = (snapshot("production", &a), snapshot("production", &b));
    assert!(
        thinned.scrapes < original.scrapes / 10,
        "{}",
        thinned.scrapes
    );
    original.scrapes = thinned.scrapes;
    assert_eq!(
        serde_json::to_string(&thinned).unwrap(),
        serde_json::to_string(&original).unwrap()
    );
    let cost = |s: &Slot| s.is_cost(zai_dash_engine::extract::Direction::Output);
    assert_eq!(b.sum_total(cost), a.sum_total(cost));
    // Pod b's restart, at a dropped row, is still counted and marked.
    assert_eq!(b.resets(), a.resets());
    let restarts = |buf: &Buffer| {
        buf.events(from, to)
            .iter()
            .filter(|e| e.kind == EventKind::Restart)
            .count()
    };
    assert_eq!(restarts(&copy), 1);
    assert_eq!(restarts(&buffer), 1);
}

#[test]
fn a_data_link_fragment_names_its_version() {
    assert_eq!(datalink::fragment("abc"), "d1.abc");
    assert_eq!(datalink::payload("#d1.abc"), Some(Ok("abc")));
    assert_eq!(datalink::payload("d1.abc"), Some(Ok("abc")));
    assert_eq!(
        datalink::payload("#d7.abc"),
        Some(Err(Error::Version("7".into())))
    );
    // Anything else is not a data link: ignored, not an error.
    for other in ["", "#", "#top", "#d.abc", "#dx.abc", "#d1"] {
        assert_eq!(datalink::payload(other), None, "{other:?}");
    }
}

#[test]
fn damaged_or_newer_data_is_refused_with_the_reason() {
    let buffer = two_pods(10);
    let grid = Grid::new(T0, T0 + 50_000, 200, 5_000);
    let text = encode(1, (T0, T0 + 50_000), &grid, &[("canary", &buffer)]);

    let newer = text.replacen("zai-dash data 1", "zai-dash data 2", 1);
    assert_eq!(
        datalink::decode(&newer).err(),
        Some(Error::Version("2".into()))
    );
    let message = |text: &str| match datalink::decode(text) {
        Err(Error::Malformed(m)) => m,
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("{text:?} was read"),
    };
    assert_eq!(message("hello"), "line 1: unexpected line");
    // Cut anywhere inside a target: the line that is missing is named.
    let cut = &text[..text.find("resets").unwrap()];
    assert!(message(cut).ends_with("cut short"), "{}", message(cut));
    let garbled = text.replacen("column ", "column y", 1);
    assert!(message(&garbled).ends_with("bad value"));
    let unknown = text.replacen("schema ", "schema bogus/slot ", 1);
    assert!(message(&unknown).ends_with("unknown slot"));
    let shuffled = text.replacen("times ", "times 1 -5 ", 1);
    assert!(
        message(&shuffled).contains("do not"),
        "{}",
        message(&shuffled)
    );
    // The reason reads as a sentence for the page.
    assert_eq!(
        Error::Version("2".into()).to_string(),
        "the link carries data in format 2, and this zai-dash reads format 1"
    );
}

#[test]
fn names_with_spaces_slashes_and_non_ascii_survive() {
    let mut buffer = Buffer::default();
    let text = |n: u32| format!("zai_proxy_requests_total{{status_code=\"5xx/über %\"}} {n}\n");
    buffer.push_target("pod a/ü", T0, &parse(&text(1))).unwrap();
    buffer
        .push_target("pod a/ü", T0 + 5_000, &parse(&text(4)))
        .unwrap();
    let grid = Grid::new(T0, T0 + 5_000, 200, 5_000);
    let encoded = encode(0, (T0, T0 + 5_000), &grid, &[("can ary", &buffer)]);
    let contents = datalink::decode(&encoded).unwrap();
    let (name, copy) = &contents.variants[0];
    assert_eq!(name, "can ary");
    assert_eq!(copy.targets().count(), 0, "a copy's targets are finished");
    let slot = Slot::Requests("5xx/über %".into());
    assert_eq!(copy.window(T0, T0 + 5_000).total(&slot), Some(3.0));
}
