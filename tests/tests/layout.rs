//! The header and its controls as a new user meets them, in a real browser
//! on `zai-dash serve --demo`: the window field speaks the buttons' language
//! (`24h`, any case) and drops a stale error; copying a link says so without
//! moving anything, or shows the link in a dialog when the clipboard is
//! refused; a paused range names its date and time zone; kiosk mode says
//! how to leave; the badge never claims LIVE when refresh is off or the
//! relay is out of reach; a phone gets a page that fits and a menu; and
//! every text meets WCAG 2.2 AA contrast in both themes, with the help a
//! real modal dialog. Screenshots of each land in `target/e2e/`.

use std::net::TcpListener as StdListener;

use fantoccini::key::Key;
use serde_json::Value;
use zai_dash_e2e::{Browser, Server, StaticSite, now_ms, wait_for};

/// Both themes, by their URL spelling.
const THEMES: [&str; 2] = ["light", "dark"];

/// The demo relay, polled every 500 ms.
async fn demo() -> Server {
    Server::start(&["--demo", "--refresh-ms", "500"]).await
}

/// Runs `script` (a function body) and returns its result, as a string
/// where it is one ("" otherwise).
async fn js(browser: &Browser, script: &str) -> Result<String, String> {
    let v = browser.eval(script, vec![]).await?;
    Ok(v.as_str().map_or_else(|| v.to_string(), str::to_owned))
}

/// Waits until `script` returns `true`; `what` names the condition, and a
/// failure shows what `show` returned last.
async fn until_js(browser: &Browser, what: &str, script: &str, show: &str) {
    wait_for(what, || async {
        if browser.eval(script, vec![]).await? == Value::Bool(true) {
            Ok(())
        } else {
            Err(js(browser, show).await?)
        }
    })
    .await
}

/// Whether the first element matching `css` is rendered (has a box).
fn rendered(css: &str) -> String {
    format!("return !!document.querySelector(\"{css}\")?.getClientRects().length;")
}

/// The badge's state and text, read at one instant.
async fn badge(browser: &Browser) -> Result<(String, String), String> {
    let v = browser
        .eval(
            "const b = document.querySelector('#live-badge');
             return b && [b.dataset.state, b.textContent.trim()];",
            vec![],
        )
        .await?;
    match (v[0].as_str(), v[1].as_str()) {
        (Some(state), Some(text)) => Ok((state.to_owned(), text.to_owned())),
        _ => Err(format!("no badge: {v}")),
    }
}

/// Waits until the badge is in `state`; returns its text.
async fn wait_for_badge(browser: &Browser, state: &str) -> String {
    wait_for(&format!("the badge to read {state}"), || async {
        let (now, text) = badge(browser).await?;
        if now == state {
            Ok(text)
        } else {
            Err(format!("{now}: {text}"))
        }
    })
    .await
}

/// Waits until `location.search` is `search`.
async fn wait_for_search(browser: &Browser, search: &str) {
    wait_for(&format!("the URL to read {search:?}"), || async {
        let now = js(browser, "return location.search;").await?;
        if now == search { Ok(()) } else { Err(now) }
    })
    .await
}

/// The id of the focused element ("" for none, or one without an id).
async fn focused(browser: &Browser) -> Result<String, String> {
    js(browser, "return document.activeElement?.id ?? '';").await
}

/// Waits until the element with id `id` has focus.
async fn wait_for_focus(browser: &Browser, id: &str) {
    wait_for(&format!("focus on #{id}"), || async {
        let now = focused(browser).await?;
        if now == id { Ok(()) } else { Err(now) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_24h_button_writes_24h_and_windows_are_typed_in_any_case() {
    let server = demo().await;
    let browser = Browser::open(&server).await;

    browser
        .click("#window-select button[data-window='24h']")
        .await;
    wait_for_search(&browser, "?w=24h").await;
    let field = js(
        &browser,
        "return document.querySelector('#window-input').value;",
    )
    .await;
    assert_eq!(
        field.as_deref(),
        Ok("24h"),
        "the field says it as the button"
    );

    // A refused window leaves a notice; the next good one clears it.
    browser
        .type_over("#window-input", "forever")
        .await
        .expect("typing");
    until_js(
        &browser,
        "a notice on the window",
        &rendered("#notices li[data-key='w']"),
        "return document.querySelector('#notices')?.textContent;",
    )
    .await;
    browser
        .type_over("#window-input", "1H")
        .await
        .expect("typing");
    wait_for_search(&browser, "?w=1h").await;
    until_js(
        &browser,
        "the notice gone",
        "return !document.querySelector('#notices').getClientRects().length;",
        "return document.querySelector('#notices')?.textContent;",
    )
    .await;
    let field = js(
        &browser,
        "return document.querySelector('#window-input').value;",
    )
    .await;
    assert_eq!(field.as_deref(), Ok("1h"));
}

/// The boxes of the header's controls, badge and connection state, CSS
/// pixels (not the toast's, which floats over the page).
async fn header_boxes(browser: &Browser) -> Result<Vec<Value>, String> {
    let v = browser
        .eval(
            "return [...document.querySelectorAll('#controls > :not(.toast), #live-badge, #connection')]
                 .map(el => { const r = el.getBoundingClientRect();
                              return [el.id || el.tagName, r.x, r.y, r.width, r.height]; });",
            vec![],
        )
        .await?;
    v.as_array()
        .cloned()
        .ok_or_else(|| format!("not a list: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copying_a_link_says_so_for_a_moment_and_moves_nothing() {
    let server = demo().await;
    let browser = Browser::open(&server).await;
    browser.wait_for_scrapes("production", 2).await;
    let before = header_boxes(&browser).await.expect("the header");

    // The toast says "copied" only once the clipboard took the link.
    browser.click("#copy-live").await;
    until_js(
        &browser,
        "the copy confirmed",
        "const t = document.querySelector('#copy-toast');
         return t.dataset.shown === 'true' && getComputedStyle(t).visibility === 'visible'
             && t.contains(document.querySelector('#copy-note'));",
        "return document.querySelector('#copy-toast')?.outerHTML;",
    )
    .await;
    let note = browser.text("#copy-note").await.expect("the note");
    assert_eq!(note, "copied the live link");
    let link = js(
        &browser,
        "return document.querySelector('#copied-link').value;",
    )
    .await;
    assert_eq!(link, Ok(server.url("/")));
    assert_eq!(
        header_boxes(&browser).await,
        Ok(before.clone()),
        "while shown"
    );
    browser.screenshot("layout-copied-toast").await;

    // It goes by itself, and the header stays where it was.
    until_js(
        &browser,
        "the confirmation gone",
        "const t = document.querySelector('#copy-toast');
         return t.dataset.shown === 'false' && getComputedStyle(t).visibility === 'hidden';",
        "return document.querySelector('#copy-toast')?.outerHTML;",
    )
    .await;
    assert_eq!(header_boxes(&browser).await, Ok(before), "after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_clipboard_shows_the_link_in_a_dialog_that_gives_focus_back() {
    let server = demo().await;
    for theme in THEMES {
        let browser = Browser::open_at(&server, &format!("/?theme={theme}")).await;
        browser.wait_for_scrapes("production", 2).await;
        browser
            .eval(
                "navigator.clipboard.writeText = () =>
                     Promise.reject(new DOMException('refused', 'NotAllowedError'));",
                vec![],
            )
            .await
            .expect("a refusing clipboard");
        // Paused, so an Esc that reached the page would go live.
        browser.press('p').await.expect("pause");
        wait_for_badge(&browser, "paused").await;

        browser.click("#copy-snapshot").await;
        until_js(
            &browser,
            "the dialog with the link",
            "const d = document.querySelector('#copy-dialog');
             return !!d.getClientRects().length && d.contains(document.querySelector('#copied-link'));",
            "return document.querySelector('#copy-dialog')?.outerHTML;",
        )
        .await;
        let dialog = browser
            .eval(
                "const d = document.querySelector('#copy-dialog');
                 const input = document.querySelector('#copied-link');
                 return [d.getAttribute('role'), d.getAttribute('aria-modal'),
                         document.getElementById(d.getAttribute('aria-labelledby'))?.textContent,
                         input.value, input.selectionStart, input.selectionEnd,
                         document.querySelector('#copy-toast').dataset.shown];",
                vec![],
            )
            .await
            .expect("the dialog");
        assert_eq!(dialog[0], "dialog", "{dialog}");
        assert_eq!(dialog[1], "true", "{dialog}");
        assert_eq!(dialog[2], "Copy this link by hand", "{dialog}");
        let link = dialog[3].as_str().unwrap_or_default();
        assert!(link.starts_with(&server.url("/?from=")), "{dialog}");
        assert_eq!(
            (dialog[4].as_u64(), dialog[5].as_u64()),
            (Some(0), Some(link.len() as u64)),
            "selected, to copy: {dialog}"
        );
        assert_eq!(dialog[6], "false", "no toast claims it was copied");
        wait_for_focus(&browser, "copied-link").await;
        browser
            .screenshot(&format!("layout-copy-dialog-{theme}"))
            .await;

        // Esc closes the dialog only: focus returns to the button, and
        // the view stays paused.
        browser
            .press_focused(Key::Escape.into())
            .await
            .expect("Esc");
        until_js(
            &browser,
            "the dialog closed",
            "return !document.querySelector('#copy-dialog').getClientRects().length;",
            "return document.querySelector('#copy-dialog')?.outerHTML;",
        )
        .await;
        wait_for_focus(&browser, "copy-snapshot").await;
        assert_eq!(badge(&browser).await.map(|b| b.0), Ok("paused".to_owned()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_is_a_modal_dialog_that_takes_focus_and_gives_it_back() {
    let server = demo().await;
    let browser = Browser::open(&server).await;
    browser.click("#help-open").await;
    until_js(
        &browser,
        "the help shown",
        &rendered("#help"),
        "return document.querySelector('#help')?.outerHTML;",
    )
    .await;
    let attrs = browser
        .eval(
            "const d = document.querySelector('#help');
             return [d.getAttribute('role'), d.getAttribute('aria-modal'),
                     document.getElementById(d.getAttribute('aria-labelledby'))?.textContent];",
            vec![],
        )
        .await
        .expect("the help");
    assert_eq!(
        attrs,
        serde_json::json!(["dialog", "true", "Keyboard shortcuts"])
    );
    let inside = "return document.querySelector('#help').contains(document.activeElement);";
    let active = "return document.activeElement?.outerHTML;";
    until_js(&browser, "focus in the help", inside, active).await;
    // Tab stays inside.
    for _ in 0..3 {
        browser.press_focused(Key::Tab.into()).await.expect("Tab");
        until_js(&browser, "focus still in the help", inside, active).await;
    }
    browser
        .press_focused(Key::Escape.into())
        .await
        .expect("Esc");
    wait_for_focus(&browser, "help-open").await;

    // From the keyboard: `?` on a focused button, Esc back to it.
    browser
        .eval("document.querySelector('#theme-toggle').focus();", vec![])
        .await
        .expect("focus");
    browser.press_focused('?').await.expect("?");
    until_js(&browser, "focus in the help", inside, active).await;
    browser
        .press_focused(Key::Escape.into())
        .await
        .expect("Esc");
    wait_for_focus(&browser, "theme-toggle").await;
    until_js(
        &browser,
        "the help closed",
        "return !document.querySelector('#help').getClientRects().length;",
        active,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_theme_button_names_the_theme_in_force() {
    let server = demo().await;
    let browser = Browser::open_at(&server, "/?theme=dark").await;
    for (theme, next) in [("dark", "light"), ("light", "dark")] {
        wait_for(&format!("the {theme} theme, named"), || async {
            let label = browser.text("#theme-toggle").await?;
            let current = browser.attr(".app", "data-theme").await?;
            if current == theme && label == format!("theme: {theme}") {
                Ok(())
            } else {
                Err(format!("{current}: {label}"))
            }
        })
        .await;
        browser.click("#theme-toggle").await;
        wait_for_search(&browser, &format!("?theme={next}")).await;
    }
}

/// The local date (`YYYY-MM-DD`) of `ms` and of now, in the browser.
async fn dates(browser: &Browser, ms: i64) -> (String, String) {
    let v = browser
        .eval(
            "const day = d => [d.getFullYear(), d.getMonth() + 1, d.getDate()]
                 .map(n => String(n).padStart(2, '0')).join('-');
             return [day(new Date(arguments[0])), day(new Date())];",
            vec![ms.into()],
        )
        .await
        .expect("the dates");
    let text = |i: usize| v[i].as_str().unwrap_or_default().to_owned();
    (text(0), text(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_range_names_its_date_and_time_zone() {
    let server = demo().await;
    let browser = Browser::start().await;
    let hour = 3_600_000;
    // Yesterday's range, then one a minute long just now.
    for (from, to) in [
        (now_ms() - 26 * hour, now_ms() - 25 * hour),
        (now_ms() - 120_000, now_ms() - 60_000),
    ] {
        browser
            .client
            .goto(&server.url(&format!("/?from={from}&to={to}")))
            .await
            .expect("open the range");
        let text = wait_for_badge(&browser, "paused").await;
        let (date, today) = dates(&browser, from).await;
        assert!(text.contains(" UTC"), "the time zone: {text}");
        assert_eq!(
            text.contains(&date),
            date != today,
            "dated when not today ({today}): {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosk_mode_shows_the_window_and_how_to_leave() {
    let server = demo().await;
    for theme in THEMES {
        let browser = Browser::open_at(&server, &format!("/?w=1h&theme={theme}&kiosk=1")).await;
        let label = wait_for("the kiosk label", || async {
            let text = browser.text("#kiosk-exit").await?;
            if text.is_empty() { Err(text) } else { Ok(text) }
        })
        .await;
        assert!(
            label.contains("1h window") && label.contains("press k"),
            "{label}"
        );
        let controls = browser.eval(&rendered("#controls"), vec![]).await;
        assert_eq!(controls, Ok(Value::Bool(false)), "kiosk hides the controls");
        browser.wait_for_lines("requests").await;
        browser.screenshot(&format!("layout-kiosk-{theme}")).await;

        // A click leaves too, for screens without a keyboard.
        browser.click("#kiosk-exit").await;
        wait_for_search(&browser, &format!("?w=1h&theme={theme}")).await;
        until_js(
            &browser,
            "the controls back and the label gone",
            "return !!document.querySelector('#controls').getClientRects().length
                 && !document.querySelector('#kiosk-exit').getClientRects().length;",
            "return document.querySelector('header').outerHTML;",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_refresh_off_the_badge_does_not_say_live() {
    let server = demo().await;
    let browser = Browser::open_at(&server, "/?r=off&theme=light").await;
    browser.wait_for_scrapes("production", 1).await;
    let text = wait_for_badge(&browser, "not-refreshing").await;
    assert!(!text.contains("LIVE"), "{text}");
    assert!(text.contains("NOT REFRESHING"), "{text}");
    browser.screenshot("layout-refresh-off-light").await;
    browser.press('t').await.expect("the dark theme");
    wait_for_search(&browser, "?r=off&theme=dark").await;
    browser.screenshot("layout-refresh-off-dark").await;

    // A click on it turns refresh back on: live, and it says so.
    browser.click("#live-badge").await;
    wait_for_search(&browser, "?theme=dark").await;
    let text = wait_for_badge(&browser, "live").await;
    assert_eq!(text, "● LIVE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_relay_stops_the_badge_saying_live() {
    let site = StaticSite::start().await.addr;
    // A port that was free a moment ago: nothing listens there.
    let closed = StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let browser = Browser::start().await;
    for theme in THEMES {
        browser
            .client
            .goto(&format!(
                "http://{site}/?relay=http://{closed}&theme={theme}"
            ))
            .await
            .expect("open the app");
        let text = wait_for_badge(&browser, "unreachable").await;
        assert!(!text.contains("LIVE"), "{text}");
        assert!(text.contains("RELAY UNREACHABLE"), "{text}");
        let connection = browser.attr("#connection", "data-state").await;
        assert_eq!(connection.as_deref(), Ok("disconnected"));
        browser
            .screenshot(&format!("layout-unreachable-{theme}"))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_phone_width_the_page_fits_and_a_menu_unfolds_the_controls() {
    let server = demo().await;
    let browser = Browser::start().await;
    browser.set_size(390, 844).await;
    let fits = "const root = document.documentElement;
                return root.scrollWidth <= root.clientWidth
                    && [...document.querySelectorAll('.panel, .variant-status, header.top')]
                        .every(el => el.getBoundingClientRect().right <= root.clientWidth);";
    let widths = "const root = document.documentElement;
                  return JSON.stringify([root.scrollWidth, root.clientWidth,
                      [...document.querySelectorAll('.panel')].map(p => p.getBoundingClientRect().right)]);";
    for theme in THEMES {
        browser
            .client
            .goto(&server.url(&format!("/?theme={theme}")))
            .await
            .expect("open the app");
        browser.wait_for_lines("requests").await;
        browser.wait_for_figures("requests", "req-rate").await;
        until_js(&browser, "no sideways scroll", fits, widths).await;

        // One compact row: name, badge and menu side by side; no controls.
        let row = browser
            .eval(
                "const top = css => document.querySelector(css).getBoundingClientRect().top;
                 return [top('header h1'), top('#live-badge'), top('#menu-toggle'),
                         document.querySelector('header.top').getBoundingClientRect().height,
                         document.querySelector('#menu-toggle').getAttribute('aria-expanded'),
                         !!document.querySelector('#controls').getClientRects().length];",
                vec![],
            )
            .await
            .expect("the header");
        let top = |i: usize| row[i].as_f64().unwrap_or(f64::NAN);
        assert!(
            (top(0) - top(2)).abs() < 12.0 && (top(1) - top(2)).abs() < 12.0,
            "one row: {row}"
        );
        assert!(top(3) < 64.0, "a compact header: {row}");
        assert_eq!(
            (&row[4], &row[5]),
            (&Value::from("false"), &Value::Bool(false))
        );
        browser.screenshot(&format!("layout-phone-{theme}")).await;

        browser.click("#menu-toggle").await;
        until_js(
            &browser,
            "the controls unfolded",
            "return document.querySelector('#menu-toggle').getAttribute('aria-expanded') === 'true'
                 && !!document.querySelector('#controls').getClientRects().length;",
            "return document.querySelector('header').outerHTML;",
        )
        .await;
        until_js(
            &browser,
            "no sideways scroll with the menu open",
            fits,
            widths,
        )
        .await;
        browser
            .screenshot(&format!("layout-phone-menu-{theme}"))
            .await;
        browser.click("#menu-toggle").await;
        until_js(
            &browser,
            "the controls folded",
            "return !document.querySelector('#controls').getClientRects().length;",
            "return document.querySelector('header').outerHTML;",
        )
        .await;
    }
}

/// Every visible text's contrast failing WCAG 2.2 AA (4.5:1, 3:1 for large
/// text), from the rendered styles: the text colour (faded by the opacity
/// of the element and its ancestors) over the effective background (the
/// ancestors' backgrounds composited up to the first opaque one). Texts
/// are elements with a text node of their own, form fields (their value)
/// and `::before`/`::after` content. Returns the failures and how many
/// texts were checked.
async fn contrast_failures(browser: &Browser) -> Result<(Vec<String>, u64), String> {
    let v = browser
        .eval(
            r#"
            const parse = c => {
                let m = c.match(/^rgba?\(([^)]*)\)$/);
                if (m) {
                    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
                    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
                }
                m = c.match(/^color\(srgb ([^)]*)\)$/);
                if (m) {
                    const p = m[1].split(/[\s\/]+/).filter(Boolean).map(Number);
                    return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
                }
                throw new Error(`unknown colour ${c}`);
            };
            const over = (top, under) => top.slice(0, 3)
                .map((c, i) => c * top[3] + under[i] * (1 - top[3])).concat(1);
            const background = el => {
                const layers = [];
                for (let e = el; e; e = e.parentElement) {
                    const bg = parse(getComputedStyle(e).backgroundColor);
                    if (bg[3] > 0) layers.push(bg);
                    if (bg[3] >= 1) break;
                }
                return layers.reduceRight((under, top) => over(top, under), [255, 255, 255, 1]);
            };
            const opacity = el => {
                let o = 1;
                for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
                return o;
            };
            const luminance = c => {
                const [r, g, b] = c.slice(0, 3).map(v => {
                    v /= 255;
                    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const name = el => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : "")
                + [...el.classList].map(c => `.${c}`).join("");
            const failures = [];
            let checked = 0;
            const check = (el, style, text, what) => {
                const bg = background(el);
                const fg = parse(style.color);
                const fade = [...fg.slice(0, 3), fg[3] * opacity(el)];
                const shown = over(fade, bg);
                const [hi, lo] = [luminance(shown), luminance(bg)].sort((a, b) => b - a);
                const ratio = (hi + 0.05) / (lo + 0.05);
                const size = parseFloat(style.fontSize);
                const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
                const needs = large ? 3 : 4.5;
                checked++;
                if (ratio < needs) {
                    failures.push(`${name(el)}${what} "${text.trim().slice(0, 40)}": ${style.color} on `
                        + `rgb(${bg.slice(0, 3).map(Math.round).join(", ")}) = ${ratio.toFixed(2)}:1, needs ${needs}:1`);
                }
            };
            for (const el of document.body.querySelectorAll("*")) {
                const style = getComputedStyle(el);
                if (!el.getClientRects().length || style.visibility !== "visible" || opacity(el) === 0) continue;
                const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
                const field = ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName);
                if (own) check(el, style, el.textContent, "");
                else if (field) check(el, style, el.value ?? "", " (value)");
                for (const pseudo of ["::before", "::after"]) {
                    const ps = getComputedStyle(el, pseudo);
                    if (ps.content.startsWith('"') && ps.content.length > 2) check(el, ps, ps.content, pseudo);
                }
            }
            return [failures, checked];
            "#,
            vec![],
        )
        .await?;
    let failures = v[0]
        .as_array()
        .ok_or_else(|| format!("not a list: {v}"))?
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_owned())
        .collect();
    Ok((failures, v[1].as_u64().unwrap_or(0)))
}

/// Checks every text's contrast on the page as it is now, in `state`.
async fn assert_contrast(browser: &Browser, theme: &str, state: &str) {
    let (failures, checked) = contrast_failures(browser).await.expect("the contrast");
    assert!(
        checked >= 50,
        "{theme}, {state}: only {checked} texts found"
    );
    assert!(
        failures.is_empty(),
        "{theme}, {state}: {} of {checked} texts under WCAG AA contrast:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_text_meets_wcag_aa_contrast_in_both_themes() {
    let server = demo().await;
    let browser = Browser::start().await;
    for theme in THEMES {
        // `kiosk=maybe` is refused with a notice, so the notice bar shows.
        browser
            .client
            .goto(&server.url(&format!("/?theme={theme}&kiosk=maybe")))
            .await
            .expect("open the app");
        browser.wait_for_lines("latency").await;
        for (panel, class) in [
            ("requests", "req-rate"),
            ("latency", "p50"),
            ("tokens", "total-input"),
        ] {
            browser.wait_for_figures(panel, class).await;
        }
        until_js(
            &browser,
            "the notice bar",
            &rendered("#notices"),
            "return location.search;",
        )
        .await;
        assert_contrast(&browser, theme, "live, with a notice").await;
        browser.screenshot(&format!("layout-header-{theme}")).await;

        browser.click("#help-open").await;
        until_js(&browser, "the help", &rendered("#help"), "return '';").await;
        assert_contrast(&browser, theme, "the help open").await;
        browser.screenshot(&format!("layout-help-{theme}")).await;
        browser
            .press_focused(Key::Escape.into())
            .await
            .expect("Esc");

        browser.press('p').await.expect("pause");
        wait_for_badge(&browser, "paused").await;
        browser.click("#copy-live").await;
        until_js(
            &browser,
            "the copy confirmed, faded in",
            "const t = getComputedStyle(document.querySelector('#copy-toast'));
             return t.visibility === 'visible' && t.opacity === '1';",
            "return '';",
        )
        .await;
        assert_contrast(&browser, theme, "paused, a link copied").await;
        browser.screenshot(&format!("layout-paused-{theme}")).await;
    }
}
