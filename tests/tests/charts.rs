//! The charts as a newcomer reads them, in a real browser: request rates
//! coloured by status class with 2xx at the bottom and a 5xx line per
//! variant, axes that name their unit, one precision and one label for a
//! thing across legend and figures, one tooltip at a time, a drag past the
//! edge zooming to that edge, touch, and what screen readers get.
//!
//! Touch is driven by WebDriver pointer actions of type "touch"
//! (`Browser::touch`), which chromedriver turns into real touch input: the
//! page sees pointer events with `pointerType` "touch".

use serde_json::Value;
use zai_dash_e2e::{Browser, Fleet, Mouse, PANELS, Server, VARIANTS, wait_for};
use zai_dash_engine::units::NO_DATA;

/// A demo relay polled every 500 ms, and a browser on `path` of it.
async fn demo_at(path: &str) -> (Server, Browser) {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open_at(&server, path).await;
    (server, browser)
}

/// A legend entry as the page shows it.
#[derive(Debug, Clone)]
struct Entry {
    label: String,
    /// The swatch's computed colour, `[r, g, b]`.
    rgb: [f64; 3],
    pressed: String,
}

/// Chart `chart`'s legend entries.
async fn entries(browser: &Browser, chart: &str) -> Result<Vec<Entry>, String> {
    let found = browser
        .eval(
            r##"return [...document.querySelectorAll(`#chart-${arguments[0]} .legend-item`)]
                .map(b => [b.textContent.trim(),
                           getComputedStyle(b.querySelector(".swatch")).backgroundColor,
                           b.getAttribute("aria-pressed")]);"##,
            vec![chart.into()],
        )
        .await?;
    let items = found.as_array().ok_or(format!("{found}"))?;
    items
        .iter()
        .map(|e| {
            let rgb: Vec<f64> = e[1]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("rgb(")
                .trim_end_matches(')')
                .split(',')
                .filter_map(|c| c.trim().parse().ok())
                .collect();
            Ok(Entry {
                label: e[0].as_str().unwrap_or_default().to_owned(),
                rgb: rgb.try_into().map_err(|c| format!("colour {c:?} of {e}"))?,
                pressed: e[2].as_str().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// The status class a request-chart colour reads as: green is 2xx, amber
/// (red with half as much green) 4xx, red (little green) 5xx.
fn class_of([r, g, b]: [f64; 3]) -> char {
    if g > r && g > b {
        '2'
    } else if r > b && (0.35..0.8).contains(&(g / r)) {
        '4'
    } else if r > b && g / r < 0.35 {
        '5'
    } else {
        '?'
    }
}

/// Of the pixels of the requests canvas in the band just above the time
/// axis near the right edge (the newest data), the fraction that reads
/// green: the bottom of production's stack.
async fn green_at_the_bottom(browser: &Browser) -> Result<f64, String> {
    let found = browser
        .eval(
            r##"
            const c = document.querySelector("#chart-requests canvas");
            const dpr = c.width / c.clientWidth;
            const ctx = c.getContext("2d");
            let green = 0, all = 0;
            // 6 to 14 CSS px above the axis (22 px from the bottom), over
            // the 30 px left of the plot's right edge (8 px in).
            for (let x = c.clientWidth - 38; x < c.clientWidth - 8; x += 3) {
                for (let y = c.clientHeight - 36; y < c.clientHeight - 28; y += 2) {
                    const [r, g, b] = ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
                    all++;
                    if (g > r + 20 && g > b + 10) green++;
                }
            }
            return green / all;
            "##,
            vec![],
        )
        .await?;
    found.as_f64().ok_or(format!("{found}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_rates_read_by_status_class_with_2xx_at_the_bottom_and_a_5xx_line() {
    let (_server, browser) = demo_at("/?w=1m&theme=dark").await;
    for theme in ["dark", "light"] {
        if theme == "light" {
            browser
                .client
                .goto(&_server.url("/?w=1m&theme=light"))
                .await
                .expect("the light theme");
        }
        let legend = wait_for("both variants' 2xx, 5xx codes and 5xx lines", || async {
            let legend = entries(&browser, "requests").await?;
            let has = |p: &dyn Fn(&str) -> bool| legend.iter().any(|e| p(&e.label));
            let ok = VARIANTS.iter().all(|v| {
                has(&|l| l == format!("5xx · {v}"))
                    && has(&|l| l.starts_with('2') && l.ends_with(v))
                    && has(&|l| l.starts_with("50") && l.ends_with(v))
            });
            if ok {
                Ok(legend)
            } else {
                Err(format!("{legend:?}"))
            }
        })
        .await;
        for variant in VARIANTS {
            let lines: Vec<&Entry> = legend
                .iter()
                .filter(|e| e.label.ends_with(&format!(" · {variant}")))
                .collect();
            let code = |e: &Entry| e.label.split(' ').next().unwrap_or_default().to_owned();
            // Legend order is stack order, bottom first: every 2xx below
            // every 4xx below every 5xx, and the 5xx line last, outside.
            let classes: Vec<char> = lines
                .iter()
                .filter_map(|e| code(e).chars().next())
                .collect();
            let mut sorted = classes.clone();
            sorted.sort_unstable();
            assert_eq!(classes, sorted, "{theme} {variant}: {lines:?}");
            assert_eq!(lines.last().map(|e| code(e)), Some("5xx".to_owned()));
            // Each colour reads as its class, and no two codes share one.
            for e in &lines {
                assert_eq!(
                    class_of(e.rgb),
                    code(e).as_bytes()[0] as char,
                    "{theme}: {e:?}"
                );
            }
            let codes: Vec<&&Entry> = lines.iter().filter(|e| code(e) != "5xx").collect();
            for (i, a) in codes.iter().enumerate() {
                for b in &codes[i + 1..] {
                    assert_ne!(a.rgb, b.rgb, "{theme}: {} and {}", a.label, b.label);
                }
            }
        }
        // On the canvas, the bottom of the stack is the green 2xx band.
        wait_for(
            &format!("{theme}: green at the bottom of the stack"),
            || async {
                match green_at_the_bottom(&browser).await? {
                    f if f >= 0.6 => Ok(()),
                    f => Err(format!("{f} of the pixels green")),
                }
            },
        )
        .await;
        browser
            .screenshot(&format!("charts-requests-{theme}"))
            .await;
    }
}

/// Every chart's canvas: its value axis' unit and tick labels, and its
/// accessible name.
async fn axes(browser: &Browser) -> Result<Vec<(String, String, Vec<String>, String)>, String> {
    let found = browser
        .eval(
            r##"return arguments[0].map(id => {
                const c = document.querySelector(`#chart-${id} canvas`);
                return [id, c?.dataset.axisUnit ?? "", c?.dataset.axisTicks ?? "",
                        c?.getAttribute("aria-label") ?? ""];
            });"##,
            vec![PANELS.to_vec().into()],
        )
        .await?;
    let rows = found.as_array().ok_or(format!("{found}"))?;
    Ok(rows
        .iter()
        .map(|r| {
            let s = |i: usize| r[i].as_str().unwrap_or_default().to_owned();
            let ticks = s(2).split('|').map(str::to_owned).collect();
            (s(0), s(1), ticks, s(3))
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_value_axis_names_its_unit_and_keeps_to_one() {
    let fleet = Fleet::start().await;
    let browser = Browser::open_at(&fleet.server, "/?w=5m").await;
    for chart in PANELS {
        browser.wait_for_lines(chart).await;
    }
    let units = wait_for("every axis labelled", || async {
        let axes = axes(&browser).await?;
        if axes
            .iter()
            .all(|(_, unit, ticks, _)| !unit.is_empty() && ticks.len() >= 2)
        {
            Ok(axes)
        } else {
            Err(format!("{axes:?}"))
        }
    })
    .await;
    for (chart, unit, ticks, name) in units {
        let allowed: &[&str] = match chart.as_str() {
            "requests" => &["req/s"],
            "latency" => &["ms", "s"],
            "tokens" => &["tokens/s"],
            "cost" => &["$/h"],
            "concurrency" => &["requests"],
            "limiter" | "errors" => &["events/s"],
            "sizes" => &["B", "kB", "MB"],
            other => panic!("an unknown chart {other}"),
        };
        assert!(allowed.contains(&unit.as_str()), "{chart}: {unit}");
        // One unit family: every label a bare number (a k/M/B multiple
        // for rates), with the same decimals, none carrying its own unit.
        let number = |t: &str| t.trim_end_matches(['k', 'M', 'B']).parse::<f64>().is_ok();
        assert!(ticks.iter().all(|t| number(t)), "{chart}: {ticks:?}");
        let decimals = |t: &str| {
            t.split_once('.')
                .map_or(0, |(_, f)| f.trim_end_matches(['k', 'M', 'B']).len())
        };
        let nonzero: Vec<usize> = ticks
            .iter()
            .filter(|t| *t != "0")
            .map(|t| decimals(t))
            .collect();
        assert!(
            nonzero.windows(2).all(|w| w[0] == w[1]),
            "{chart}: {ticks:?}"
        );
        // The accessible name is the panel's title and the unit.
        let title = browser
            .text(&format!("#panel-{chart} h2"))
            .await
            .expect("a title");
        assert!(
            name.starts_with(&title) && name.contains('('),
            "{chart}: {name}"
        );
    }
    browser.screenshot("charts-axes").await;
}

/// The significant digits of a figure like `1.30/s`, `12.3k/s` or `0.600`.
fn significant(text: &str) -> usize {
    text.trim_end_matches("/s")
        .trim_end_matches(['k', 'M', 'B'])
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0')
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legend_figures_and_tooltip_share_labels_and_precision() {
    let fleet = Fleet::start().await;
    let browser = Browser::open(&fleet.server).await;
    for (panel, class) in [
        ("requests", "req-rate"),
        ("tokens", "token-rate-in"),
        ("tokens", "token-rate-out"),
        ("cost", "cost-total"),
        ("cost", "cost-input"),
        ("cost", "cost-cache-read"),
        ("cost", "cost-cache-write"),
    ] {
        for figure in browser.wait_for_figures(panel, class).await {
            let v = figure.value.as_str();
            if class.starts_with("cost") {
                // Below a dollar every cost has four decimals (or is a
                // measured $0); no "$0.0008526" next to "$0.00".
                let ok = v == "$0"
                    || v == "<$0.0001"
                    || v.split_once('.')
                        .is_some_and(|(d, f)| f.len() == if d == "$0" { 4 } else { 2 });
                assert!(ok, "{class} {figure:?}");
            } else {
                assert!(v == "0/s" || significant(v) == 3, "{class} {figure:?}");
            }
        }
    }
    // The lines of the tokens and cost charts are named as their figures.
    for chart in ["tokens", "cost"] {
        let labels = browser.wait_for_lines(chart).await;
        let figures: Value = browser
            .eval(
                "return [...document.querySelectorAll(`#panel-${arguments[0]} .figure-label`)]\
                 .map(l => l.textContent.trim());",
                vec![chart.into()],
            )
            .await
            .expect("figure labels");
        let figures: Vec<&str> = figures
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for label in &labels {
            let line = label.split(" · ").next().unwrap_or_default();
            assert!(!line.contains('_'), "{chart}: {label}");
            let named = figures.contains(&line) || figures.contains(&format!("{line}/s").as_str());
            assert!(named, "{chart}: {line} among the figures {figures:?}");
        }
        assert!(
            labels.iter().any(|l| l.starts_with("cache read")),
            "{labels:?}"
        );
    }
    // The tooltip's rates have the figures' precision.
    let tooltip = browser
        .wait_for_tooltip("tokens", |t| t.rows.iter().any(|(_, v)| v != NO_DATA))
        .await;
    for (label, value) in tooltip.rows.iter().filter(|(_, v)| v != NO_DATA) {
        assert!(
            value == "0/s" || significant(value) == 3,
            "{label}: {value}"
        );
    }
}

/// How many tooltips the page shows, the chart of the first, how many
/// charts draw the crosshair line, and how many live regions the charts
/// hold.
async fn tooltips(browser: &Browser) -> Result<(u64, String, u64, u64), String> {
    let found = browser
        .eval(
            r##"const tips = document.querySelectorAll(".tooltip");
               return [tips.length, tips[0]?.closest(".chart")?.id ?? "",
                       document.querySelectorAll(".chart .crosshair").length,
                       document.querySelectorAll(".chart [role=status], .chart [aria-live]").length];"##,
            vec![],
        )
        .await?;
    let n = |i: usize| found[i].as_u64().unwrap_or(u64::MAX);
    Ok((
        n(0),
        found[1].as_str().unwrap_or_default().to_owned(),
        n(2),
        n(3),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hovering_one_chart_shows_one_tooltip_and_the_crosshair_on_every_chart() {
    let fleet = Fleet::start().await;
    let browser = Browser::open(&fleet.server).await;
    browser.wait_for_lines("latency").await;
    browser.wait_for_tooltip("latency", |_| true).await;
    let (count, chart, lines, live) = tooltips(&browser).await.expect("the DOM");
    assert_eq!((count, chart.as_str()), (1, "chart-latency"), "one tooltip");
    assert_eq!(
        lines,
        PANELS.len() as u64,
        "a crosshair line on every chart"
    );
    assert_eq!(live, 0, "no live regions chattering in the charts");
    // Near the right edge, the tooltip sits left of the crosshair.
    let placed = browser
        .eval(
            r##"const tip = document.querySelector("#chart-latency .tooltip").getBoundingClientRect();
               const line = document.querySelector("#chart-latency .crosshair").getBoundingClientRect();
               return tip.right <= line.left;"##,
            vec![],
        )
        .await
        .expect("the DOM");
    assert_eq!(
        placed,
        Value::Bool(true),
        "the tooltip clear of the crosshair"
    );
    browser.screenshot("charts-one-tooltip").await;

    // On another chart, the tooltip moves there.
    browser.wait_for_tooltip("requests", |_| true).await;
    let (count, chart, ..) = tooltips(&browser).await.expect("the DOM");
    assert_eq!((count, chart.as_str()), (1, "chart-requests"));
}

/// The paused range in the address bar, `(from, to)` Unix ms, if any.
async fn paused_range(browser: &Browser) -> Result<Option<(i64, i64)>, String> {
    let found = browser
        .eval(
            r##"const q = new URLSearchParams(location.search);
               return q.has("from") ? [Number(q.get("from")), Number(q.get("to"))] : null;"##,
            vec![],
        )
        .await?;
    Ok(found
        .as_array()
        .map(|r| (r[0].as_i64().unwrap_or(0), r[1].as_i64().unwrap_or(0))))
}

/// Waits until the paused range differs from `before`; returns it.
async fn new_range(browser: &Browser, before: Option<(i64, i64)>) -> (i64, i64) {
    wait_for("a new paused range", || async {
        match paused_range(browser).await? {
            Some(r) if Some(r) != before => Ok(r),
            other => Err(format!("{other:?}")),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drag_past_the_edge_zooms_to_that_edge_of_the_window() {
    let (_server, browser) = demo_at("/?w=5m").await;
    browser.wait_for_lines("requests").await;
    for variant in VARIANTS {
        browser.wait_for_scrapes(variant, 6).await;
    }
    // The requests chart is in the left column: right of it is the page.
    let canvas = "#chart-requests canvas";
    let (width, height) = browser.size(canvas).await.expect("the canvas");
    let y = height / 2.0;

    // Live: a drag ending 60 px right of the canvas, over the next panel,
    // zooms up to the window's right edge: the latest poll, when released.
    let edge = browser.drawn("requests").await.expect("a chart").at;
    let drag = |from: f64, to: f64| [Mouse::To(from, y), Mouse::Down, Mouse::To(to, y), Mouse::Up];
    browser
        .gesture(canvas, &drag(width * 0.6, width + 60.0))
        .await
        .expect("a drag");
    let (from, to) = new_range(&browser, None).await;
    assert!(
        to >= edge && from < to,
        "{from}..{to}, the edge was at {edge}"
    );

    // Paused: to the right edge exactly, then to the left edge exactly
    // (from inside the axis labels, left of the plot).
    let (width, _) = browser.size(canvas).await.expect("the canvas");
    browser
        .gesture(canvas, &drag(width * 0.5, width + 60.0))
        .await
        .expect("a drag");
    let (from2, to2) = new_range(&browser, Some((from, to))).await;
    assert_eq!(to2, to, "the end of the window");
    assert!(from2 > from, "{from2} inside {from}..{to}");
    browser
        .gesture(canvas, &drag(width * 0.5, 10.0))
        .await
        .expect("a drag");
    let (from3, to3) = new_range(&browser, Some((from2, to2))).await;
    assert_eq!(from3, from2, "the start of the window");
    assert!(to3 < to2, "{to3} inside {from2}..{to2}");
}

/// The crosshair line's x on chart `chart`, CSS px, if it is drawn.
async fn crosshair_x(browser: &Browser, chart: &str) -> Result<Option<f64>, String> {
    let found = browser
        .eval(
            "const l = document.querySelector(`#chart-${arguments[0]} .crosshair`);\
             return l ? parseFloat(l.style.left) : null;",
            vec![chart.into()],
        )
        .await?;
    Ok(found.as_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn touch_moves_the_crosshair_and_two_fingers_or_a_long_press_zoom() {
    let (_server, browser) = demo_at("/?w=5m").await;
    browser.wait_for_lines("latency").await;
    for variant in VARIANTS {
        browser.wait_for_scrapes(variant, 6).await;
    }
    let canvas = "#chart-latency canvas";
    let (w, h) = browser.size(canvas).await.expect("the canvas");
    let y = h / 2.0;

    // A tap: the crosshair, and the tooltip on this chart, stay after it.
    browser
        .touch(canvas, &[&[Mouse::To(w * 0.7, y), Mouse::Down, Mouse::Up]])
        .await
        .expect("a tap");
    let tapped = wait_for("the crosshair where the finger tapped", || async {
        let x = crosshair_x(&browser, "latency")
            .await?
            .ok_or("no crosshair")?;
        let tips = tooltips(&browser).await?;
        if (x - w * 0.7).abs() <= 2.0 && tips.0 == 1 && tips.1 == "chart-latency" {
            Ok(x)
        } else {
            Err(format!("at {x}, {tips:?}"))
        }
    })
    .await;
    // Press and move at once: the crosshair follows; nothing zooms.
    browser
        .touch(
            canvas,
            &[&[
                Mouse::To(w * 0.5, y),
                Mouse::Down,
                Mouse::To(w * 0.45, y),
                Mouse::To(w * 0.4, y),
                Mouse::Up,
            ]],
        )
        .await
        .expect("a scrub");
    wait_for("the crosshair where the finger lifted", || async {
        match crosshair_x(&browser, "latency").await? {
            Some(x) if (x - w * 0.4).abs() <= 2.0 && x != tapped => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(paused_range(&browser).await, Ok(None), "a scrub is no zoom");

    // Two fingers: the range between them.
    browser
        .touch(
            canvas,
            &[
                &[
                    Mouse::To(w * 0.3, y),
                    Mouse::Down,
                    Mouse::To(w * 0.35, y),
                    Mouse::Pause(0),
                    Mouse::Up,
                ],
                &[
                    Mouse::To(w * 0.8, y + 10.0),
                    Mouse::Down,
                    Mouse::To(w * 0.75, y + 10.0),
                    Mouse::Up,
                    Mouse::Pause(0),
                ],
            ],
        )
        .await
        .expect("a two-finger drag");
    let (from, to) = new_range(&browser, None).await;
    // 40% of the canvas is a bit more of the plot (64 px are margins).
    let share = (to - from) as f64 / 300_000.0;
    assert!(
        (0.35..0.55).contains(&share),
        "{from}..{to}: {share} of the window"
    );
    browser.screenshot("charts-touch-zoomed").await;

    // A long press, then a move: a drag from where the finger rested.
    let (w, _) = browser.size(canvas).await.expect("the canvas");
    browser
        .touch(
            canvas,
            &[&[
                Mouse::To(w * 0.2, y),
                Mouse::Down,
                Mouse::Pause(800),
                Mouse::To(w * 0.4, y),
                Mouse::To(w * 0.6, y),
                Mouse::Up,
            ]],
        )
        .await
        .expect("a long-press drag");
    let (from2, to2) = new_range(&browser, Some((from, to))).await;
    let share = (to2 - from2) as f64 / (to - from) as f64;
    assert!(
        from2 > from && to2 < to,
        "{from2}..{to2} inside {from}..{to}"
    );
    assert!(
        (0.35..0.55).contains(&share),
        "{share} of the zoomed window"
    );
}

/// Chart `chart` for a screen reader: the canvas' role, name and
/// description's id, and the summary table's caption and rows.
async fn accessible(browser: &Browser, chart: &str) -> Result<Value, String> {
    browser
        .eval(
            r##"const c = document.querySelector(`#chart-${arguments[0]} canvas`);
               const table = document.getElementById(c.getAttribute("aria-describedby"));
               return {
                   role: c.getAttribute("role"), name: c.getAttribute("aria-label"),
                   caption: table?.caption?.textContent ?? "",
                   hidden: table ? getComputedStyle(table.parentElement).clipPath === "inset(50%)" : false,
                   rows: [...(table?.tBodies[0]?.rows ?? [])]
                       .map(r => [...r.cells].map(c => c.textContent.trim())),
               };"##,
            vec![chart.into()],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_are_named_images_with_a_table_of_values_and_pressed_legend_toggles() {
    let (_server, browser) = demo_at("/?w=5m").await;
    for chart in PANELS {
        browser.wait_for_lines(chart).await;
    }
    for chart in PANELS {
        let title = browser
            .text(&format!("#panel-{chart} h2"))
            .await
            .expect("a title");
        let a11y = wait_for(&format!("{chart}'s summary with values"), || async {
            let a11y = accessible(&browser, chart).await?;
            let rows = a11y["rows"].as_array().cloned().unwrap_or_default();
            let filled = rows.iter().any(|r| r[1].as_str() != Some(NO_DATA));
            if filled {
                Ok(a11y)
            } else {
                Err(format!("{a11y}"))
            }
        })
        .await;
        assert_eq!(a11y["role"], "img", "{chart}");
        let name = a11y["name"].as_str().unwrap_or_default();
        assert!(name.starts_with(&title), "{chart}: {name}");
        let caption = a11y["caption"].as_str().unwrap_or_default();
        assert!(caption.starts_with(&title), "{chart}: {caption}");
        assert_eq!(a11y["hidden"], true, "{chart}: visually hidden");
        // A row per line: its label, latest, lowest and highest, and the
        // lines are the legend's.
        let rows = a11y["rows"].as_array().expect("rows");
        let legend = browser.legend(chart).await.expect("a legend");
        let labels: Vec<&str> = rows.iter().filter_map(|r| r[0].as_str()).collect();
        assert_eq!(labels, legend, "{chart}");
        assert!(
            rows.iter().all(|r| r.as_array().map(Vec::len) == Some(4)),
            "{chart}: {rows:?}"
        );
    }

    // The hidden tables take no room: the page does not scroll sideways.
    let wide = browser
        .eval(
            "return document.documentElement.scrollWidth > innerWidth;",
            vec![],
        )
        .await
        .expect("the DOM");
    assert_eq!(wide, false, "a page wider than the window");

    // A legend button is a toggle: pressed while its line is shown.
    let label = "p99 · canary";
    let pressed = |want: &'static str| {
        let browser = &browser;
        async move {
            wait_for(&format!("{label} aria-pressed={want}"), || async {
                let entries = entries(browser, "latency").await?;
                let entry = entries
                    .iter()
                    .find(|e| e.label == label)
                    .ok_or("no entry")?;
                let listed = accessible(browser, "latency").await?["rows"]
                    .as_array()
                    .is_some_and(|rows| rows.iter().any(|r| r[0] == label));
                if entry.pressed == want && listed == (want == "true") {
                    Ok(())
                } else {
                    Err(format!("{entry:?}, in the table: {listed}"))
                }
            })
            .await
        }
    };
    pressed("true").await;
    let button = format!(
        "//*[@id='chart-latency']//button[contains(@class, 'legend-item')][normalize-space(.)='{label}']"
    );
    for want in ["false", "true"] {
        browser
            .client
            .find(fantoccini::Locator::XPath(&button))
            .await
            .expect("the legend button")
            .click()
            .await
            .expect("a click");
        pressed(want).await;
    }
}
