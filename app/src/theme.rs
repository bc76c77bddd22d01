//! Colours and clock labels: presentation choices kept in one place.
//!
//! Series colours follow the original dashboard (status classes green,
//! yellow and red; latency p50 blue, p95 amber, p99 red; ...), so people
//! moving over recognise their charts. Production is drawn solid and canary
//! dashed, in every panel.

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
    let (muted, grid) = match theme {
        Theme::Dark => ("#94a3b8", "#334155"),
        Theme::Light => ("#475569", "#cbd5e1"),
    };
    Palette {
        muted: muted.to_owned(),
        grid: grid.to_owned(),
    }
}

/// Colours the canvas needs (CSS custom properties cannot reach it).
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    /// Axis labels.
    pub muted: String,
    /// Grid lines.
    pub grid: String,
}

/// Colour of a status code: its class, shaded per code.
pub fn status_color(code: &str) -> &'static str {
    const OK: [&str; 5] = ["#22c55e", "#16a34a", "#4ade80", "#15803d", "#86efac"];
    const WARN: [&str; 5] = ["#eab308", "#ca8a04", "#fbbf24", "#f59e0b", "#d97706"];
    const ERR: [&str; 5] = ["#ef4444", "#dc2626", "#f87171", "#b91c1c", "#fca5a5"];
    let shade = code.parse::<usize>().map_or(0, |c| c % 100 % 5);
    match code.as_bytes().first() {
        Some(b'2') => OK[shade],
        Some(b'4') => WARN[shade],
        Some(b'5') => ERR[shade],
        _ => "#94a3b8",
    }
}

/// Colour of a named series (latency quantiles, token directions, ...).
pub fn series_color(name: &str) -> &'static str {
    match name {
        "p50" | "in flight" | "limit" | "request avg" => "#3b82f6",
        "p95" | "cache_read" | "rejections" | "request p90" => "#f59e0b",
        "p99" | "retries" => "#ef4444",
        "input" | "response avg" => "#06b6d4",
        "output" | "response p90" => "#8b5cf6",
        "cache_write" | "utilisation" | "adjust increase" => "#10b981",
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

/// Local date, time and time zone of `t_ms`, e.g.
/// `2026-12-06 22:31:05 UTC+01:00`: for times a reader elsewhere, or
/// later, must place.
pub fn date_time(t_ms: i64) -> String {
    let d = js_sys::Date::new(&(t_ms as f64).into());
    // getTimezoneOffset is UTC minus local, in minutes.
    let east = -(d.get_timezone_offset() as i64);
    let sign = if east < 0 { '-' } else { '+' };
    format!(
        "{}-{:02}-{:02} {} UTC{sign}{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        clock(t_ms),
        east.abs() / 60,
        east.abs() % 60
    )
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
