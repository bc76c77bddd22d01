//! Colours and clock labels: presentation choices kept in one place.
//!
//! Series colours follow the original dashboard (status classes green,
//! amber and red; latency p50 blue, p95 amber, p99 red; ...), so people
//! moving over recognise their charts. Production is drawn solid and canary
//! dashed, in every panel. The status colours are mid tones with at least
//! 3:1 contrast on both themes' panels (WCAG 1.4.11), so one set serves both.

use zai_dash_engine::view::Theme;

/// The browser's preferred theme.
pub fn preferred() -> Theme {
    let light = web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-color-scheme: light)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches());
    if light { Theme::Light } else { Theme::Dark }
}

/// The other theme.
pub fn toggled(theme: Theme) -> Theme {
    match theme {
        Theme::Dark => Theme::Light,
        Theme::Light => Theme::Dark,
    }
}

/// Canvas colours for `theme`.
pub fn palette(theme: Theme) -> Palette {
    let (muted, grid, panel) = match theme {
        Theme::Dark => ("#94a3b8", "#334155", "#111c33"),
        Theme::Light => ("#475569", "#cbd5e1", "#ffffff"),
    };
    Palette {
        muted: muted.to_owned(),
        grid: grid.to_owned(),
        panel: panel.to_owned(),
    }
}

/// Colours the canvas needs (CSS custom properties cannot reach it).
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    /// Axis labels.
    pub muted: String,
    /// Grid lines.
    pub grid: String,
    /// The panel's background, under a stack's translucent bands.
    pub panel: String,
}

/// Colour of a request-chart line: a status code by its class, 2xx calm
/// greens, 4xx ambers, 5xx reds (each code of a class its own hue, so 500,
/// 502 and 503 can be told apart), and the 5xx line of every server error
/// together in the plainest red.
pub fn status_color(code: &str) -> &'static str {
    match code {
        zai_dash_engine::series::SERVER_ERRORS => "#ef4444",
        "200" => "#16a34a",
        "201" | "202" => "#0d9488",
        "204" => "#059669",
        "400" => "#d97706",
        "401" | "403" => "#b45309",
        "404" => "#a16207",
        "429" => "#ea580c",
        "500" => "#dc2626",
        "502" => "#db2777",
        "503" => "#f43f5e",
        "504" => "#c026d3",
        _ => match code.as_bytes().first() {
            Some(b'2') => "#65a30d",
            Some(b'4') => "#bf8000",
            Some(b'5') => "#e11d48",
            _ => "#64748b",
        },
    }
}

/// Colour of a named series (latency quantiles, token directions, ...).
pub fn series_color(name: &str) -> &'static str {
    match name {
        "p50" | "in flight" | "limit" | "request avg" => "#3b82f6",
        "p95" | "cache read" | "rejections" | "request p90" => "#f59e0b",
        "p99" | "retries" => "#ef4444",
        "input" | "response avg" => "#06b6d4",
        "output" | "response p90" => "#8b5cf6",
        "cache write" | "utilisation" | "adjust increase" => "#10b981",
        "max workers" | "adjust probe" => "#64748b",
        "adjust decrease" => "#f97316",
        "total" => "#e879f9",
        _ => other_color(name),
    }
}

/// A stable colour for names not in the table (e.g. error types).
fn other_color(name: &str) -> &'static str {
    const MORE: [&str; 6] = [
        "#f87171", "#fb923c", "#facc15", "#a3e635", "#2dd4bf", "#c084fc",
    ];
    let hash = name
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    MORE[hash % MORE.len()]
}

/// Local wall-clock time of `t_ms`, `HH:MM:SS`.
pub fn clock(t_ms: i64) -> String {
    let d = js_sys::Date::new(&(t_ms as f64).into());
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

/// A time's local date, wall-clock time and time zone, apart.
pub struct Stamp {
    /// `2026-12-06`.
    pub date: String,
    /// `22:31:05` ([`clock`]).
    pub clock: String,
    /// `UTC+01:00`.
    pub zone: String,
}

impl Stamp {
    /// The stamp of `t_ms` in the browser's time zone.
    pub fn at(t_ms: i64) -> Stamp {
        let d = js_sys::Date::new(&(t_ms as f64).into());
        // getTimezoneOffset is UTC minus local, in minutes.
        let east = -(d.get_timezone_offset() as i64);
        let sign = if east < 0 { '-' } else { '+' };
        Stamp {
            date: format!(
                "{}-{:02}-{:02}",
                d.get_full_year(),
                d.get_month() + 1,
                d.get_date()
            ),
            clock: clock(t_ms),
            zone: format!("UTC{sign}{:02}:{:02}", east.abs() / 60, east.abs() % 60),
        }
    }
}

/// Local date, time and time zone of `t_ms`, e.g.
/// `2026-12-06 22:31:05 UTC+01:00`: for times a reader elsewhere, or
/// later, must place.
pub fn date_time(t_ms: i64) -> String {
    let Stamp { date, clock, zone } = Stamp::at(t_ms);
    format!("{date} {clock} {zone}")
}

/// An axis label for `t_ms`: seconds only when the window is short.
pub fn clock_short(t_ms: i64, span_ms: i64) -> String {
    let full = clock(t_ms);
    if span_ms <= 10 * 60_000 {
        full
    } else {
        full[..5].to_owned()
    }
}
