//! The URL is the state, in a real browser on `zai-dash serve --demo`: a
//! crafted link sets every control and the panels; every control writes
//! the link; Back undoes deliberate changes while polls add no history;
//! bad parameters fall back with a notice; drag-zoom pauses on an absolute
//! range and Esc (or a double-click) returns to live; a snapshot link shows
//! the same window later; and the app hosted by a plain static server talks
//! to the relay named by `relay=` when, and only when, CORS allows it.

use fantoccini::{Locator, key::Key};
use serde_json::Value;
use zai_dash_e2e::{Browser, Mouse, Server, StaticSite, VARIANTS, now_ms, wait_for};
use zai_dash_engine::units::NO_DATA;

/// The demo relay, polled every 500 ms.
async fn demo(extra: &[&str]) -> Server {
    let mut args = vec!["--demo", "--refresh-ms", "500"];
    args.extend_from_slice(extra);
    Server::start(&args).await
}

/// A headless Chromium on `url`.
async fn open(url: &str) -> Browser {
    let browser = Browser::start().await;
    browser.client.goto(url).await.expect("open the app");
    browser
}

/// Waits until every variant has at least `n` accepted scrapes.
async fn wait_for_data(browser: &Browser, n: u64) {
    for variant in VARIANTS {
        browser.wait_for_scrapes(variant, n).await;
    }
}

/// Waits until every variant has `n` more accepted scrapes than now.
async fn wait_for_more_data(browser: &Browser, n: u64) {
    for variant in VARIANTS {
        let seen = browser.scrape_count(variant).await;
        browser.wait_for_scrapes(variant, seen + n).await;
    }
}

/// The address bar, the history and every control, read at one instant.
#[derive(Clone, Debug, PartialEq)]
struct Page {
    /// `location.search`, as written.
    search: String,
    /// Its parameters, decoded, in order.
    query: Vec<(String, String)>,
    /// `history.length`.
    history: u64,
    /// `data-window` of the pressed window buttons.
    window: Vec<String>,
    /// The custom window field.
    custom: String,
    /// `data-show` of the pressed variant buttons.
    show: Vec<String>,
    /// The refresh select's value.
    refresh: String,
    /// `.app[data-theme]`.
    theme: String,
    /// `.app[data-kiosk]`.
    kiosk: String,
    /// Whether the controls are rendered.
    controls: bool,
    /// `#live-badge[data-state]`: live or paused.
    badge: String,
    /// The badge's text.
    badge_text: String,
    /// The pause button's text.
    pause: String,
    /// The keys of the notices, when the notice bar is shown.
    notices: Option<Vec<String>>,
    /// Whether the keyboard help is shown.
    help: bool,
    /// The link in `#copied-link`, once one was copied.
    copied: Option<String>,
}

impl Page {
    /// The value of query parameter `key`, if present.
    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The paused range in the URL, as Unix ms.
    fn range(&self) -> Option<(i64, i64)> {
        let ms = |key| self.param(key)?.parse::<i64>().ok();
        Some((ms("from")?, ms("to")?))
    }

    /// Whether the controls read the default live view: 15m, both
    /// variants, the relay's refresh, live, controls shown.
    fn controls_at_defaults(&self) -> bool {
        self.window == ["15m"]
            && self.custom == "15m"
            && self.show == ["both"]
            && self.refresh == "auto"
            && self.kiosk == "false"
            && self.controls
            && self.badge == "live"
    }
}

/// Reads the [`Page`] in one script.
async fn read_page(browser: &Browser) -> Result<Page, String> {
    let v = browser
        .eval(
            r##"
            const q = css => document.querySelector(css);
            const pressed = css => [...document.querySelectorAll(css)]
                .filter(b => b.getAttribute("aria-pressed") === "true")
                .map(b => b.dataset.window ?? b.dataset.show);
            const rendered = el => !!el && el.getClientRects().length > 0;
            const app = q(".app");
            const notices = q("#notices");
            return {
                search: location.search,
                query: [...new URLSearchParams(location.search)],
                history: history.length,
                window: pressed("#window-select button"),
                custom: q("#window-input")?.value ?? "",
                show: pressed("#variant-select button"),
                refresh: q("#refresh-select")?.value ?? "",
                theme: app?.dataset.theme ?? "",
                kiosk: app?.dataset.kiosk ?? "",
                controls: rendered(q("nav.controls")),
                badge: q("#live-badge")?.dataset.state ?? "",
                badge_text: q("#live-badge")?.textContent.trim() ?? "",
                pause: q("#pause-toggle")?.textContent.trim() ?? "",
                notices: rendered(notices)
                    ? [...notices.querySelectorAll("li")].map(li => li.dataset.key)
                    : null,
                help: rendered(q("#help")),
                copied: q("#copied-link")?.value ?? null,
            };
            "##,
            vec![],
        )
        .await?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let texts = |v: &Value| {
        v.as_array()
            .map(|items| items.iter().map(text).collect::<Vec<_>>())
            .ok_or_else(|| format!("not a list: {v}"))
    };
    Ok(Page {
        search: text(&v["search"]),
        query: v["query"]
            .as_array()
            .ok_or_else(|| format!("no query: {v}"))?
            .iter()
            .map(|pair| (text(&pair[0]), text(&pair[1])))
            .collect(),
        history: v["history"].as_u64().ok_or_else(|| format!("{v}"))?,
        window: texts(&v["window"])?,
        custom: text(&v["custom"]),
        show: texts(&v["show"])?,
        refresh: text(&v["refresh"]),
        theme: text(&v["theme"]),
        kiosk: text(&v["kiosk"]),
        controls: v["controls"].as_bool().unwrap_or(false),
        badge: text(&v["badge"]),
        badge_text: text(&v["badge_text"]),
        pause: text(&v["pause"]),
        notices: match &v["notices"] {
            Value::Null => None,
            list => Some(texts(list)?),
        },
        help: v["help"].as_bool().unwrap_or(false),
        copied: v["copied"].as_str().map(str::to_owned),
    })
}

/// Waits until the page satisfies `ok`; returns it.
async fn until(browser: &Browser, what: &str, ok: impl Fn(&Page) -> bool) -> Page {
    wait_for(what, || async {
        let page = read_page(browser).await?;
        if ok(&page) {
            Ok(page)
        } else {
            Err(format!("{page:?}"))
        }
    })
    .await
}

/// Owned query pairs, for comparing with [`Page::query`].
fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Waits until the URL's parameters are exactly `pairs`, in order.
async fn until_query(browser: &Browser, pairs: &[(&str, &str)]) -> Page {
    let want = query(pairs);
    until(browser, &format!("the URL to read {want:?}"), |p| {
        p.query == want
    })
    .await
}

/// Clicks the first element `locator` finds.
async fn click_on(browser: &Browser, locator: Locator<'_>) {
    let found = browser.client.find(locator).await;
    let clicked = match found {
        Ok(el) => el.click().await,
        Err(e) => Err(e),
    };
    clicked.unwrap_or_else(|e| panic!("click {locator:?}: {e}"));
}

/// Clicks the first element matching `css`.
async fn click(browser: &Browser, css: &str) {
    click_on(browser, Locator::Css(css)).await;
}

/// Clicks the legend entry `label` of chart `chart`.
async fn click_legend(browser: &Browser, chart: &str, label: &str) {
    let xpath = format!(
        "//*[@id='chart-{chart}']//button[contains(@class, 'legend-item')][normalize-space(.)='{label}']"
    );
    click_on(browser, Locator::XPath(&xpath)).await;
}

/// Presses `key` on the page (outside any form field).
async fn press(browser: &Browser, key: char) {
    browser.press(key).await.expect("a key press");
}

/// Types `text` over the custom window field's content and commits it.
async fn type_window(browser: &Browser, text: &str) {
    browser
        .type_over("#window-input", text)
        .await
        .expect("typing");
}

/// Chooses `value` in the refresh select.
async fn choose_refresh(browser: &Browser, value: &str) {
    browser
        .find("#refresh-select")
        .await
        .expect("the select")
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value}: {e}"));
}

/// `HH:MM:SS` of `ms` in the browser's time zone, as the badge shows it.
async fn clock(browser: &Browser, ms: i64) -> String {
    let v = browser
        .eval(
            "const d = new Date(arguments[0]);
             return [d.getHours(), d.getMinutes(), d.getSeconds()]
                 .map(n => String(n).padStart(2, '0')).join(':');",
            vec![ms.into()],
        )
        .await
        .expect("a clock");
    v.as_str().expect("a string").to_owned()
}

/// Checks that the badge says paused on exactly `from`–`to`: both times,
/// in that order (a range over midnight puts the date before each).
async fn assert_badge_shows(browser: &Browser, page: &Page, (from, to): (i64, i64)) {
    assert_eq!(page.badge, "paused", "{page:?}");
    let (from, to) = (clock(browser, from).await, clock(browser, to).await);
    let text = &page.badge_text;
    let at = |t: &str| text.find(t);
    let (start, end) = (at(&from), text.rfind(&to));
    assert!(
        start.zip(end).is_some_and(|(s, e)| s < e) && text.contains('–'),
        "{from}–{to} in {page:?}"
    );
}

/// The legend of chart `chart`: each line's label and whether it is off.
async fn legend(browser: &Browser, chart: &str) -> Result<Vec<(String, bool)>, String> {
    let v = browser
        .eval(
            "return [...document.querySelectorAll(`#chart-${arguments[0]} .legend-item`)]
                 .map(b => [b.textContent.trim(), b.classList.contains('off')]);",
            vec![chart.into()],
        )
        .await?;
    let items = v.as_array().ok_or_else(|| format!("not a list: {v}"))?;
    Ok(items
        .iter()
        .map(|i| {
            let label = i[0].as_str().unwrap_or_default().to_owned();
            (label, i[1].as_bool().unwrap_or(false))
        })
        .collect())
}

/// Waits until chart `chart`'s legend has every one of `labels`; returns
/// the whole legend.
async fn wait_for_legend(browser: &Browser, chart: &str, labels: &[&str]) -> Vec<(String, bool)> {
    wait_for(&format!("{labels:?} on chart {chart}"), || async {
        let items = legend(browser, chart).await?;
        if labels.iter().all(|l| items.iter().any(|(i, _)| i == l)) {
            Ok(items)
        } else {
            Err(format!("{items:?}"))
        }
    })
    .await
}

/// Waits until the latency panel has figures of exactly `variants` (one
/// per shown variant).
async fn wait_for_figures_of(browser: &Browser, variants: &[&str]) {
    wait_for(&format!("latency figures of {variants:?}"), || async {
        let figures = browser.figures("latency", "p50").await?;
        let shown: Vec<String> = figures.into_iter().map(|f| f.variant).collect();
        if shown == variants {
            Ok(())
        } else {
            Err(format!("{shown:?}"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_link_sets_every_control_and_the_panels() {
    let server = demo(&[]).await;
    let crafted = "?w=1h&v=canary&r=2s&hide=latency:p99&theme=light";
    let browser = open(&server.url(&format!("/{crafted}"))).await;

    let page = until(&browser, "the controls to read the link", |p| {
        p.window == ["1h"]
            && p.custom == "1h"
            && p.show == ["canary"]
            && p.refresh == "2s"
            && p.theme == "light"
            && p.kiosk == "false"
            && p.controls
            && p.badge == "live"
            && p.pause == "pause"
    })
    .await;
    assert_eq!(page.search, crafted, "opening a link does not rewrite it");
    assert_eq!(page.notices, None, "{page:?}");

    // Canary only: its lines without a variant suffix, p99 switched off
    // by `hide`, and no production figure, though production is polled
    // (its status card counts scrapes).
    let lines = wait_for_legend(&browser, "latency", &["p50", "p95", "p99"]).await;
    for (label, off) in &lines {
        assert_eq!(*off, label == "p99", "{label} in {lines:?}");
    }
    browser.wait_for_scrapes("canary", 3).await;
    browser.wait_for_scrapes("production", 3).await;
    let canary = wait_for("canary's p50", || async {
        let figures = browser.figures("latency", "p50").await?;
        match figures.as_slice() {
            [f] if f.condition == "up" && f.value != NO_DATA => Ok(f.clone()),
            _ => Err(format!("{figures:?}")),
        }
    })
    .await;
    assert_eq!(canary.variant, "canary");
    browser.screenshot("view-crafted-link").await;

    // A paused range, kiosk mode and the dark theme.
    let (from, to) = (now_ms() - 10 * 60_000, now_ms() - 5 * 60_000);
    let crafted = format!("?from={from}&to={to}&theme=dark&kiosk=1");
    browser
        .client
        .goto(&server.url(&format!("/{crafted}")))
        .await
        .expect("open the second link");
    let page = until(&browser, "a paused kiosk in the dark theme", |p| {
        p.search == crafted
            && p.kiosk == "true"
            && !p.controls
            && p.theme == "dark"
            && p.badge == "paused"
    })
    .await;
    assert_badge_shows(&browser, &page, (from, to)).await;

    // `k` leaves kiosk mode: the controls are back, reading the link.
    press(&browser, 'k').await;
    let page = until_query(
        &browser,
        &[
            ("from", from.to_string().as_str()),
            ("to", to.to_string().as_str()),
            ("theme", "dark"),
        ],
    )
    .await;
    assert!(page.controls && page.kiosk == "false", "{page:?}");
    assert!(page.window.is_empty(), "no live window pressed: {page:?}");
    assert_eq!((page.custom.as_str(), page.pause.as_str()), ("", "resume"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_control_writes_the_url() {
    let server = demo(&[]).await;
    let browser = open(&server.url("/")).await;
    let start = until(&browser, "the default view", Page::controls_at_defaults).await;
    assert_eq!(start.search, "", "a fresh page has an empty query");
    assert_eq!((start.notices.as_ref(), start.help), (None, false));
    let theme = start.theme.clone();
    let other = if theme == "dark" { "light" } else { "dark" };

    // Window: a button, then a typed window; a bad one is refused with a
    // notice and changes nothing.
    click(&browser, "#window-select button[data-window='1h']").await;
    let page = until_query(&browser, &[("w", "1h")]).await;
    assert_eq!(page.window, ["1h"]);
    type_window(&browser, "90m").await;
    let page = until_query(&browser, &[("w", "90m")]).await;
    assert_eq!((page.window.len(), page.custom.as_str()), (0, "90m"));
    type_window(&browser, "forever").await;
    let page = until(&browser, "a notice about the window", |p| {
        p.notices.as_deref() == Some(&["w".to_owned()][..])
    })
    .await;
    assert_eq!(page.query, query(&[("w", "90m")]));
    click(&browser, "#dismiss-notices").await;
    until(&browser, "the notice dismissed", |p| p.notices.is_none()).await;

    // Variants.
    click(&browser, "#variant-select button[data-show='canary']").await;
    let page = until_query(&browser, &[("w", "90m"), ("v", "canary")]).await;
    assert_eq!(page.show, ["canary"]);

    // Refresh: an interval, off, and back to the relay's.
    for (choice, param) in [("10s", Some("10s")), ("off", Some("off")), ("auto", None)] {
        choose_refresh(&browser, choice).await;
        let mut want = vec![("w", "90m"), ("v", "canary")];
        want.extend(param.map(|p| ("r", p)));
        let page = until_query(&browser, &want).await;
        assert_eq!(page.refresh, choice);
    }

    // Theme.
    click(&browser, "#theme-toggle").await;
    let base = [("w", "90m"), ("v", "canary"), ("theme", other)];
    let page = until_query(&browser, &base).await;
    assert_eq!(page.theme, other);

    // Pause and resume: the range on screen, absolute, then live again.
    click(&browser, "#pause-toggle").await;
    let page = until(&browser, "paused", |p| p.range().is_some()).await;
    let (from, to) = page.range().expect("a range");
    assert_eq!(to - from, 90 * 60_000, "the 90m window on screen");
    assert_eq!(page.param("w"), None, "{page:?}");
    assert_eq!(page.pause, "resume");
    assert_badge_shows(&browser, &page, (from, to)).await;
    click(&browser, "#pause-toggle").await;
    let page = until_query(&browser, &base).await;
    assert_eq!(
        (page.badge.as_str(), page.pause.as_str()),
        ("live", "pause")
    );

    // The live link is this page's address.
    click(&browser, "#copy-live").await;
    let page = until(&browser, "a copied link", |p| p.copied.is_some()).await;
    assert_eq!(
        page.copied.as_deref(),
        Some(format!("{}{}", server.url("/"), page.search).as_str())
    );

    // Shortcuts: help, windows, variants, theme, pause, kiosk.
    press(&browser, '?').await;
    until(&browser, "the help", |p| p.help).await;
    press(&browser, Key::Escape.into()).await;
    let page = until(&browser, "the help closed", |p| !p.help).await;
    assert_eq!(page.query, query(&base), "Esc when live changes nothing");
    press(&browser, '3').await;
    until_query(&browser, &[("w", "1h"), ("v", "canary"), ("theme", other)]).await;
    press(&browser, 'v').await;
    let page = until_query(&browser, &[("w", "1h"), ("theme", other)]).await;
    assert_eq!(page.show, ["both"]);
    press(&browser, 't').await;
    let page = until_query(&browser, &[("w", "1h"), ("theme", theme.as_str())]).await;
    assert_eq!(page.theme, theme);
    press(&browser, 'p').await;
    let page = until(&browser, "paused by p", |p| p.range().is_some()).await;
    assert_eq!(page.badge, "paused");
    press(&browser, 'p').await;
    until_query(&browser, &[("w", "1h"), ("theme", theme.as_str())]).await;
    press(&browser, 'k').await;
    let page = until_query(
        &browser,
        &[("w", "1h"), ("theme", theme.as_str()), ("kiosk", "1")],
    )
    .await;
    assert!(!page.controls && page.kiosk == "true", "{page:?}");
    press(&browser, 'k').await;
    let page = until_query(&browser, &[("w", "1h"), ("theme", theme.as_str())]).await;
    assert!(page.controls, "{page:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_undoes_a_deliberate_change_and_polls_add_no_history() {
    let server = demo(&[]).await;
    let browser = open(&server.url("/")).await;
    wait_for_data(&browser, 2).await;
    let fresh = until(&browser, "the default view", Page::controls_at_defaults).await;

    click(&browser, "#window-select button[data-window='1h']").await;
    let page = until_query(&browser, &[("w", "1h")]).await;
    assert_eq!(page.history, fresh.history + 1, "a deliberate change");

    // Polls redraw everything and touch neither the URL nor the history.
    wait_for_more_data(&browser, 3).await;
    let polled = read_page(&browser).await.expect("the page");
    assert_eq!(
        (polled.search.as_str(), polled.history),
        (page.search.as_str(), page.history)
    );

    // A legend toggle replaces the entry: the URL follows, history does not.
    wait_for_legend(&browser, "latency", &["p50 · production"]).await;
    click_legend(&browser, "latency", "p50 · production").await;
    let hide = "latency:p50 · production";
    let page = until_query(&browser, &[("w", "1h"), ("hide", hide)]).await;
    assert_eq!(page.history, fresh.history + 1, "a legend toggle");
    let lines = legend(&browser, "latency").await.expect("the legend");
    let label = hide.strip_prefix("latency:").expect("a latency line");
    assert!(lines.contains(&(label.to_owned(), true)), "{lines:?}");

    click(&browser, "#variant-select button[data-show='canary']").await;
    let page = until_query(&browser, &[("w", "1h"), ("v", "canary"), ("hide", hide)]).await;
    assert_eq!(page.history, fresh.history + 2);
    wait_for_figures_of(&browser, &["canary"]).await;

    // Back: both variants again, with the hidden line still hidden.
    browser.client.back().await.expect("Back");
    let page = until_query(&browser, &[("w", "1h"), ("hide", hide)]).await;
    assert_eq!(page.show, ["both"]);
    assert_eq!(page.window, ["1h"]);
    wait_for_figures_of(&browser, &VARIANTS).await;
    // Back again: the page as it was opened.
    browser.client.back().await.expect("Back");
    let page = until(&browser, "the fresh view", |p| {
        p.search.is_empty() && p.controls_at_defaults()
    })
    .await;
    assert_eq!(page.history, fresh.history + 2, "Back adds no entry");
    let lines = legend(&browser, "latency").await.expect("the legend");
    assert!(lines.iter().all(|(_, off)| !off), "{lines:?}");
    // Forward redoes.
    browser.client.forward().await.expect("Forward");
    until_query(&browser, &[("w", "1h"), ("hide", hide)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_show_a_notice_each_and_their_defaults() {
    let server = demo(&[]).await;
    let bad = "?w=forever&v=staging&r=7s&theme=pink&kiosk=maybe&from=5&relay=javascript:alert(1)";
    let browser = open(&server.url(&format!("/{bad}"))).await;

    let page = until(&browser, "the notices", |p| p.notices.is_some()).await;
    assert_eq!(
        page.notices.as_deref(),
        Some(&["w", "from", "v", "r", "theme", "kiosk", "relay"].map(str::to_owned)[..])
    );
    assert!(page.controls_at_defaults(), "{page:?}");
    assert!(["dark", "light"].contains(&page.theme.as_str()), "{page:?}");
    let window = browser
        .text("#notices li[data-key='w']")
        .await
        .expect("the notice");
    assert!(window.contains("showing 15m"), "{window}");
    // The relay falls back to this origin: data arrives.
    wait_for_data(&browser, 2).await;
    browser.screenshot("view-bad-parameters").await;

    click(&browser, "#dismiss-notices").await;
    let page = until(&browser, "the notices dismissed", |p| p.notices.is_none()).await;
    assert_eq!(page.search, bad, "the link stays as opened until a change");
    // The first change writes the view, without the bad parameters.
    click(&browser, "#window-select button[data-window='5m']").await;
    until_query(&browser, &[("w", "5m")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_a_chart_zooms_into_a_paused_range_and_esc_returns_to_live() {
    let server = demo(&[]).await;
    let opened = now_ms();
    let browser = open(&server.url("/?w=5m")).await;
    browser.wait_for_lines("latency").await;
    browser.wait_for_lines("requests").await;
    // Enough history that the zoomed range holds several scrapes, not
    // just the first one or two (which a lookback may not pair up).
    for variant in ["production", "canary"] {
        browser.wait_for_scrapes(variant, 10).await;
    }
    let live = until_query(&browser, &[("w", "5m")]).await;

    let canvas = "#chart-latency canvas";
    let (width, height) = browser.size(canvas).await.expect("the canvas");
    // From 40% of the width to just inside the plot's right edge (8 px
    // from the canvas's), so the zoom takes in the data received so far.
    let y = height / 2.0;
    browser
        .gesture(
            canvas,
            &[
                Mouse::To(width * 0.4, y),
                Mouse::Down,
                Mouse::To(width - 9.5, y),
                Mouse::Up,
            ],
        )
        .await
        .expect("a drag");
    let zoomed = until(&browser, "the zoomed range in the URL", |p| {
        p.range().is_some()
    })
    .await;
    let (from, to) = zoomed.range().expect("a range");
    let keys: Vec<&str> = zoomed.query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["from", "to"], "{zoomed:?}");
    assert!(from < to && to - from < 5 * 60_000, "{from}..{to}");
    assert!(
        from >= opened - 5 * 60_000 && to <= now_ms(),
        "inside the live window: {from}..{to}"
    );
    assert_badge_shows(&browser, &zoomed, (from, to)).await;
    assert_eq!((zoomed.window.len(), zoomed.custom.as_str()), (0, ""));
    assert_eq!(zoomed.history, live.history + 1);
    // Every chart zooms: the request rates received so far are in range
    // (latency quantiles may be missing there: few requests end per poll).
    wait_for_panel_data(&browser, "requests").await;
    browser.screenshot("view-zoomed").await;

    // Esc: back to the live window it came from.
    press(&browser, Key::Escape.into()).await;
    let page = until_query(&browser, &[("w", "5m")]).await;
    assert_eq!(page.badge, "live");
    assert_eq!(page.window, ["5m"]);

    // Back returns to the zoom; a double-click on a chart leaves it again.
    browser.client.back().await.expect("Back");
    let page = until(&browser, "the zoom again", |p| {
        p.range() == Some((from, to))
    })
    .await;
    assert_eq!(page.badge, "paused");
    browser
        .gesture(
            canvas,
            &[
                Mouse::To(width / 2.0, y),
                Mouse::Down,
                Mouse::Up,
                Mouse::Down,
                Mouse::Up,
            ],
        )
        .await
        .expect("a double-click");
    let page = until_query(&browser, &[("w", "5m")]).await;
    assert_eq!(page.badge, "live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_link_opened_later_shows_the_same_absolute_window() {
    let server = demo(&[]).await;
    let view = "v=production&theme=dark";
    let browser = open(&server.url(&format!("/?{view}"))).await;
    wait_for_data(&browser, 3).await;
    wait_for_panel_data(&browser, "requests").await;
    let live = until_query(&browser, &[("v", "production"), ("theme", "dark")]).await;

    click(&browser, "#copy-snapshot").await;
    let page = until(&browser, "a snapshot link", |p| p.copied.is_some()).await;
    let link = page.copied.clone().expect("a link");
    assert_eq!(
        (page.search.as_str(), page.badge.as_str(), page.history),
        (live.search.as_str(), "live", live.history),
        "copying a link changes nothing"
    );
    let prefix = server.url("/?from=");
    let rest = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{link}"));
    let (from, rest) = rest.split_once("&to=").unwrap_or_else(|| panic!("{link}"));
    let (to, rest) = rest.split_once('&').unwrap_or_else(|| panic!("{link}"));
    assert_eq!(rest, view, "{link}");
    let (from, to): (i64, i64) = (from.parse().expect("from"), to.parse().expect("to"));
    assert_eq!(to - from, 15 * 60_000, "the default window on screen");

    // Later: the live view has moved on past the snapshot's end.
    wait_for_more_data(&browser, 2).await;
    browser.client.goto(&link).await.expect("open the snapshot");
    let page = until(&browser, "the snapshot's window", |p| {
        p.range() == Some((from, to)) && p.badge == "paused"
    })
    .await;
    assert_eq!(page.search, link[link.find('?').expect("a query")..]);
    assert_eq!(page.show, ["production"]);
    assert_eq!(page.theme, "dark");
    assert_eq!((page.window.len(), page.custom.as_str()), (0, ""));
    assert_badge_shows(&browser, &page, (from, to)).await;

    // Polls go on, and the window stays where the link put it. The page
    // opened after the window had passed, yet its panels are full: the
    // relay's history (here the demo's own past) filled them at open.
    wait_for_data(&browser, 3).await;
    let later = read_page(&browser).await.expect("the page");
    assert_eq!(
        (later.search, later.badge_text),
        (page.search, page.badge_text)
    );
    for panel in ["requests", "latency", "tokens", "cost"] {
        wait_for_panel_data(&browser, panel).await;
    }
    let note = browser.attr("#history-note", "data-state").await;
    assert_eq!(
        note.as_deref(),
        Ok("loaded"),
        "the page says where the data came from"
    );
}

/// Waits until panel `panel` has lines in its window.
async fn wait_for_panel_data(browser: &Browser, panel: &str) {
    wait_for(&format!("data in the {panel} panel's window"), || async {
        match has_data(browser, panel).await? {
            true => Ok(()),
            false => Err("no data in this window".to_owned()),
        }
    })
    .await
}

/// Whether panel `panel` has lines in its window (its "no data" note hidden).
async fn has_data(browser: &Browser, panel: &str) -> Result<bool, String> {
    let v = browser
        .eval(
            "const note = document.querySelector(`#panel-${arguments[0]} .no-data`);
             return note && note.hidden;",
            vec![panel.into()],
        )
        .await?;
    v.as_bool().ok_or_else(|| format!("no panel {panel}: {v}"))
}

/// Waits until the app says it is disconnected from its relay with an
/// error that contains `cause`; returns the error.
async fn wait_for_disconnected(browser: &Browser, cause: &str) -> String {
    wait_for(&format!("disconnected: {cause}"), || async {
        let state = browser.attr("#connection", "data-state").await?;
        let error = browser.text("#setup-error").await?;
        if state == "disconnected" && error.contains(cause) {
            Ok(error)
        } else {
            Err(format!("{state}: {error:?}"))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statically_hosted_app_uses_the_relay_in_its_link_where_cors_allows() {
    let origin = StaticSite::start().await.origin();
    let relay = demo(&["--allow-origin", &origin]).await;
    let browser = open(&format!("{origin}/?relay={}", relay.url(""))).await;

    wait_for_data(&browser, 2).await;
    browser.wait_for_figures("requests", "req-rate").await;
    for variant in VARIANTS {
        let state = browser
            .attr(&format!("#status-{variant}"), "data-state")
            .await;
        assert_eq!(state.as_deref(), Ok("up"), "{variant}");
    }
    let connection = browser.attr("#connection", "data-state").await;
    assert_eq!(connection.as_deref(), Ok("connected"));
    browser.screenshot("view-static-hosting").await;

    // A relay that allows another origin answers, but not to this page.
    let refusing = demo(&["--allow-origin", "http://127.0.0.1:9"]).await;
    let answer = reqwest::Client::new()
        .get(refusing.url("/api/variants"))
        .header("Origin", &origin)
        .send()
        .await
        .expect("the relay answers");
    assert!(answer.status().is_success(), "{answer:?}");
    assert!(
        answer
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "{answer:?}"
    );
    browser
        .client
        .goto(&format!("{origin}/?relay={}", refusing.url("")))
        .await
        .expect("open the app on the other relay");
    let error = wait_for_disconnected(&browser, "cannot reach the relay").await;
    let cards = browser
        .eval(
            "return document.querySelectorAll('.variant-status').length;",
            vec![],
        )
        .await;
    let cards = cards.map(|n| n.as_u64());
    assert_eq!(cards, Ok(Some(0)), "no variant without the relay: {error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_served_page_says_why_it_cannot_use_another_relay() {
    // The relay's Content-Security-Policy lets its page connect to its own
    // origin only; `localhost` is another origin than `127.0.0.1`.
    let relay = demo(&[]).await;
    let elsewhere = relay.url("").replace("127.0.0.1", "localhost");
    let browser = open(&relay.url(&format!("/?relay={elsewhere}"))).await;
    let error = wait_for_disconnected(&browser, "Content-Security-Policy").await;
    assert!(
        error.contains("http://localhost:"),
        "names the address: {error}"
    );
    assert!(error.contains("static host"), "says what to do: {error}");
}
