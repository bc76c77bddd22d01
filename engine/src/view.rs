//! The view in the URL: window, variants, refresh, paused range, hidden
//! series, comparison modes, theme, kiosk mode and relay, as a short
//! query string.
//!
//! A link must reproduce a view exactly, so this is the single source of
//! truth for both directions: [`View::from_query`] reads a query string
//! (every bad parameter falls back to its default and says why, so a
//! mistyped link still opens a dashboard) and [`View::to_query`] writes one,
//! omitting defaults so links stay short. Keys:
//!
//! | key | meaning | example | default |
//! |---|---|---|---|
//! | `w` | live window, relative to now, any case | `w=1h`, `w=now-15m`, `w=90m` | `15m` |
//! | `from`, `to` | paused absolute window, Unix ms | `from=1764284400000&to=1764288000000` | live |
//! | `v` | variants shown | `v=production`, `v=canary`, `v=both` | `both` |
//! | `r` | refresh interval, or `off` | `r=5s` | the relay's |
//! | `hide` | hidden series, `chart:label` comma-separated | `hide=latency:p99` | none |
//! | `cmp` | charts comparing the variants ([`Mode`]), `chart:mode` comma-separated, mode `diff` or `ratio` | `cmp=latency:ratio,requests:diff` | overlay |
//! | `theme` | `dark` or `light` | `theme=light` | the browser's |
//! | `kiosk` | `1` hides the controls | `kiosk=1` | off |
//! | `relay` | base URL of a relay on another origin | `relay=https://relay.example` | same origin |
//! | `judge` | the canary judge's settings ([`crate::judge::settings`]) | `judge=tol:10,min:30` | Kayenta's |
//! | `prices` | USD per million tokens, `[model/]direction:price` comma-separated ([`crate::prices`]), for a proxy that exports no cost | `prices=input:0.6,output:2.2,glm-4.5-air/output:1.1` | none |

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::{compare::Mode, judge::Settings, prices::PriceTable, units::parse_duration_ms};

/// Shortest and longest live window: the buffer keeps 24 hours.
pub const MIN_WINDOW_MS: i64 = 60_000;
/// See [`MIN_WINDOW_MS`].
pub const MAX_WINDOW_MS: i64 = 24 * 3_600_000;

/// The refresh intervals offered, ms.
pub const REFRESH_CHOICES_MS: [i64; 5] = [1_000, 2_000, 5_000, 10_000, 30_000];

/// The time range on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// The last `ms` milliseconds, moving with every refresh.
    Live(i64),
    /// A fixed range, Unix ms: paused, or a snapshot link.
    Fixed {
        /// Left edge.
        from: i64,
        /// Right edge.
        to: i64,
    },
}

/// Which variants are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variants {
    /// Production only.
    Production,
    /// Canary only.
    Canary,
    /// Both, overlaid.
    Both,
}

impl Variants {
    /// The URL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Variants::Production => "production",
            Variants::Canary => "canary",
            Variants::Both => "both",
        }
    }

    /// Whether the variant called `name` is shown.
    pub fn includes(self, name: &str) -> bool {
        match self {
            Variants::Production => name == "production",
            Variants::Canary => name == "canary",
            Variants::Both => true,
        }
    }
}

/// Light or dark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Dark background.
    Dark,
    /// Light background.
    Light,
}

impl Theme {
    /// The URL spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
        }
    }
}

/// How often the app polls: a fixed interval, or not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Poll every this many ms.
    Every(i64),
    /// Do not poll (the view is frozen on what was fetched).
    Off,
}

/// Everything the URL says about the view. `None` fields take their
/// default from elsewhere (the relay's refresh, the browser's theme).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// Live or fixed range.
    pub range: Range,
    /// Variants shown.
    pub variants: Variants,
    /// Poll interval, if the URL sets one.
    pub refresh: Option<Refresh>,
    /// Hidden series, as `chart:label`.
    pub hidden: BTreeSet<String>,
    /// How each chart compares the variants, `(chart id, mode)` sorted by
    /// id (equal views, equal links); a chart not listed overlays them, so
    /// [`Mode::Overlay`] is never stored. A sorted list rather than a map:
    /// a few entries, and a map type of its own costs KBs of wasm.
    pub compare: Vec<(String, Mode)>,
    /// Theme, if the URL sets one.
    pub theme: Option<Theme>,
    /// Controls hidden, for wall screens.
    pub kiosk: bool,
    /// A relay on another origin, e.g. `https://relay.example`.
    pub relay: Option<String>,
    /// The canary judge's settings as the link wrote them (valid: see
    /// [`crate::judge::Settings`]), so a shared link recomputes the same
    /// verdict; `None` for the defaults.
    pub judge: Option<String>,
    /// The token price table as the link wrote it (valid: see
    /// [`crate::prices`]), used where a variant exports no cost; `None`
    /// for no table.
    pub prices: Option<String>,
}

/// The default live window.
pub const DEFAULT_WINDOW_MS: i64 = 15 * 60_000;

impl Default for View {
    fn default() -> Self {
        View {
            range: Range::Live(DEFAULT_WINDOW_MS),
            variants: Variants::Both,
            refresh: None,
            hidden: BTreeSet::new(),
            compare: Vec::new(),
            theme: None,
            kiosk: false,
            relay: None,
            judge: None,
            prices: None,
        }
    }
}

/// A parameter that was ignored, and why: shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The key, e.g. `w`.
    pub key: String,
    /// What was wrong and what was used instead.
    pub message: String,
}

impl View {
    /// Reads a query string (with or without the leading `?`). Unknown
    /// keys are ignored; a bad value keeps the default and adds a notice.
    pub fn from_query(query: &str) -> (View, Vec<Notice>) {
        let mut view = View::default();
        let mut notices = Vec::new();
        let mut bad = |key: &str, value: &str, fallback: &str| {
            notices.push(Notice {
                key: key.to_owned(),
                message: format!("ignored {key}=\"{value}\": {fallback}"),
            });
        };
        let pairs: Vec<(String, String)> = query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        let get = |key: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };

        if let Some(w) = get("w") {
            match parse_window(w) {
                Some(ms) => view.range = Range::Live(ms),
                None => bad(
                    "w",
                    w,
                    "expected a window like 15m, 1h or now-6h (1m to 24h); showing 15m",
                ),
            }
        }
        match (get("from"), get("to")) {
            (None, None) => {}
            (Some(from), Some(to)) => match (from.parse::<i64>(), to.parse::<i64>()) {
                (Ok(from), Ok(to)) if from < to && from > 0 => {
                    view.range = Range::Fixed { from, to }
                }
                _ => bad(
                    "from",
                    &format!("{from}..{to}"),
                    "expected from < to, both Unix milliseconds; showing the live window",
                ),
            },
            (Some(v), None) | (None, Some(v)) => bad(
                "from",
                v,
                "from and to go together; showing the live window",
            ),
        }
        if let Some(v) = get("v") {
            match v {
                "production" => view.variants = Variants::Production,
                "canary" => view.variants = Variants::Canary,
                "both" => view.variants = Variants::Both,
                _ => bad("v", v, "expected production, canary or both; showing both"),
            }
        }
        if let Some(r) = get("r") {
            match parse_refresh(r) {
                Some(refresh) => view.refresh = Some(refresh),
                None => bad(
                    "r",
                    r,
                    "expected off, 1s, 2s, 5s, 10s or 30s; using the relay's interval",
                ),
            }
        }
        if let Some(h) = get("hide") {
            // `extend`, not `collect`, which would sort first: see `snapshot`.
            view.hidden
                .extend(h.split(',').filter(|s| !s.is_empty()).map(str::to_owned));
        }
        if let Some(c) = get("cmp") {
            for entry in c.split(',').filter(|s| !s.is_empty()) {
                match entry
                    .split_once(':')
                    .map(|(chart, m)| (chart, Mode::parse(m)))
                {
                    Some((chart, Some(mode))) => view.set_compare(chart, mode),
                    _ => bad(
                        "cmp",
                        entry,
                        "expected chart:diff, chart:ratio or chart:overlay; overlaying",
                    ),
                }
            }
        }
        if let Some(t) = get("theme") {
            match t {
                "dark" => view.theme = Some(Theme::Dark),
                "light" => view.theme = Some(Theme::Light),
                _ => bad("theme", t, "expected dark or light; using the browser's"),
            }
        }
        if let Some(k) = get("kiosk") {
            match k {
                "1" | "true" => view.kiosk = true,
                "0" | "false" => view.kiosk = false,
                _ => bad("kiosk", k, "expected 1 or 0; controls shown"),
            }
        }
        if let Some(judge) = get("judge") {
            match judge.parse::<Settings>() {
                Ok(_) => view.judge = (!judge.is_empty()).then(|| judge.to_owned()),
                Err(e) => bad("judge", judge, &format!("{e}; judging with the defaults")),
            }
        }
        if let Some(prices) = get("prices") {
            match prices.parse::<PriceTable>() {
                Ok(table) => view.prices = (!table.is_empty()).then(|| prices.to_owned()),
                Err(e) => bad("prices", prices, &format!("{e}; no price table")),
            }
        }
        if let Some(relay) = get("relay") {
            match parse_relay(relay) {
                Some(url) => view.relay = Some(url),
                None => bad(
                    "relay",
                    relay,
                    "expected an http(s) origin like https://host:8080; using this page's origin",
                ),
            }
        }
        (view, notices)
    }

    /// Writes the query string (without `?`), defaults omitted, keys in a
    /// fixed order so equal views give equal links.
    pub fn to_query(&self) -> String {
        let mut out = String::new();
        let mut put = |key: &str, value: &str| {
            if !out.is_empty() {
                out.push('&');
            }
            let _ = write!(out, "{key}={}", encode(value));
        };
        match self.range {
            Range::Live(ms) if ms == DEFAULT_WINDOW_MS => {}
            Range::Live(ms) => put("w", &format_window(ms)),
            Range::Fixed { from, to } => {
                put("from", &from.to_string());
                put("to", &to.to_string());
            }
        }
        if self.variants != Variants::Both {
            put("v", self.variants.as_str());
        }
        match self.refresh {
            None => {}
            Some(Refresh::Off) => put("r", "off"),
            Some(Refresh::Every(ms)) => put("r", &format_window(ms)),
        }
        if !self.hidden.is_empty() {
            let list: Vec<&str> = self.hidden.iter().map(String::as_str).collect();
            put("hide", &list.join(","));
        }
        if !self.compare.is_empty() {
            let list: Vec<String> = self
                .compare
                .iter()
                .map(|(chart, mode)| format!("{chart}:{}", mode.as_str()))
                .collect();
            put("cmp", &list.join(","));
        }
        if let Some(theme) = self.theme {
            put("theme", theme.as_str());
        }
        if self.kiosk {
            put("kiosk", "1");
        }
        if let Some(relay) = &self.relay {
            put("relay", relay);
        }
        if let Some(judge) = &self.judge {
            put("judge", judge);
        }
        if let Some(prices) = &self.prices {
            put("prices", prices);
        }
        out
    }

    /// How chart `id` compares the variants (its entry in `cmp=`).
    pub fn compare_mode(&self, id: &str) -> Mode {
        self.compare
            .iter()
            .find(|(chart, _)| chart == id)
            .map_or(Mode::Overlay, |(_, mode)| *mode)
    }

    /// Sets chart `id`'s comparison; overlay, the default, removes its entry.
    pub fn set_compare(&mut self, id: &str, mode: Mode) {
        let at = self
            .compare
            .binary_search_by(|(chart, _)| chart.as_str().cmp(id));
        match (at, mode) {
            (Ok(i), Mode::Overlay) => {
                self.compare.remove(i);
            }
            (Ok(i), mode) => self.compare[i].1 = mode,
            (Err(_), Mode::Overlay) => {}
            (Err(i), mode) => self.compare.insert(i, (id.to_owned(), mode)),
        }
    }

    /// The range as absolute Unix ms, given the time now.
    pub fn bounds(&self, now_ms: i64) -> (i64, i64) {
        match self.range {
            Range::Live(ms) => (now_ms - ms, now_ms),
            Range::Fixed { from, to } => (from, to),
        }
    }

    /// Whether the view follows live data.
    pub fn is_live(&self) -> bool {
        matches!(self.range, Range::Live(_))
    }
}

/// A live window: `15m`, `1h`, `90m`, or Grafana's `now-15m`, in any case
/// (`1H` is `1h`); 1 m to 24 h.
pub fn parse_window(s: &str) -> Option<i64> {
    let s = s.to_ascii_lowercase();
    let ms = parse_duration_ms(s.strip_prefix("now-").unwrap_or(&s))?;
    (MIN_WINDOW_MS..=MAX_WINDOW_MS).contains(&ms).then_some(ms)
}

/// A refresh: `off`, or one of [`REFRESH_CHOICES_MS`] written as `5s`.
pub fn parse_refresh(s: &str) -> Option<Refresh> {
    if s == "off" {
        return Some(Refresh::Off);
    }
    let ms = parse_duration_ms(s)?;
    REFRESH_CHOICES_MS
        .contains(&ms)
        .then_some(Refresh::Every(ms))
}

/// The shortest spelling of a duration in hours, minutes or seconds:
/// `15m`, `1h`, `90m`, `5s`, `24h` (as the window buttons and the limits
/// say it, never `1d`).
pub fn format_window(ms: i64) -> String {
    const UNITS: [(i64, &str); 3] = [(3_600_000, "h"), (60_000, "m"), (1_000, "s")];
    UNITS.iter().find(|(unit, _)| ms % unit == 0).map_or_else(
        || format!("{ms}ms"),
        |(unit, name)| format!("{}{name}", ms / unit),
    )
}

/// An http(s) origin (scheme, host, optional port; a trailing `/` is
/// dropped). Paths, queries and credentials are refused: the relay URL is
/// a base that `/relay/{name}` is appended to, and a link must never carry
/// a secret.
pub fn parse_relay(s: &str) -> Option<String> {
    let s = s.trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then(|| s.to_owned())
}

/// Percent-decodes a query component (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-encodes a query component, keeping what reads well in a link
/// (`:`, `,`, `/` are legal in a query).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b',' | b'/')
        {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> View {
        let (view, notices) = View::from_query(q);
        assert!(notices.is_empty(), "{q}: {notices:?}");
        view
    }

    #[test]
    fn an_empty_query_is_the_default_view_and_the_default_view_is_an_empty_query() {
        assert_eq!(parse(""), View::default());
        assert_eq!(parse("?"), View::default());
        assert_eq!(View::default().to_query(), "");
    }

    #[test]
    fn every_field_round_trips() {
        let view = View {
            range: Range::Fixed {
                from: 1_764_284_400_000,
                to: 1_764_288_000_000,
            },
            variants: Variants::Canary,
            refresh: Some(Refresh::Every(2_000)),
            hidden: ["latency:p99 · canary".to_owned(), "requests:500".to_owned()].into(),
            compare: vec![
                ("latency".to_owned(), Mode::Ratio),
                ("requests".to_owned(), Mode::Difference),
            ],
            theme: Some(Theme::Light),
            kiosk: true,
            relay: Some("https://relay.example:8443".to_owned()),
            judge: Some("tol:10,min:30".to_owned()),
            prices: Some("input:0.6,glm-4.5-air/output:1.1".to_owned()),
        };
        let query = view.to_query();
        assert_eq!(
            query,
            "from=1764284400000&to=1764288000000&v=canary&r=2s\
             &hide=latency:p99%20%C2%B7%20canary,requests:500\
             &cmp=latency:ratio,requests:diff&theme=light&kiosk=1\
             &relay=https://relay.example:8443&judge=tol:10,min:30\
             &prices=input:0.6,glm-4.5-air/output:1.1"
        );
        assert_eq!(parse(&query), view);
    }

    #[test]
    fn live_windows_round_trip_in_their_shortest_spelling() {
        for (ms, text) in [
            (300_000, "5m"),
            (3_600_000, "1h"),
            (5_400_000, "90m"),
            (86_400_000, "24h"),
        ] {
            let view = View {
                range: Range::Live(ms),
                ..View::default()
            };
            assert_eq!(view.to_query(), format!("w={text}"));
            assert_eq!(parse(&view.to_query()), view);
        }
    }

    #[test]
    fn relative_windows_accept_grafana_now_minus() {
        assert_eq!(parse("w=now-6h").range, Range::Live(6 * 3_600_000));
        assert_eq!(parse("w=24h").range, Range::Live(86_400_000));
        assert_eq!(parse("w=1m").range, Range::Live(60_000));
        assert_eq!(parse("w=1d").range, Range::Live(86_400_000), "older links");
        assert_eq!(parse_window("now-"), None);
        assert_eq!(parse_window("now-59s"), None);
        assert_eq!(parse_window("25h"), None);
    }

    #[test]
    fn windows_are_read_in_any_case() {
        assert_eq!(parse_window("1H"), Some(3_600_000));
        assert_eq!(parse_window("NOW-15M"), Some(15 * 60_000));
        assert_eq!(parse("w=Now-6h").range, Range::Live(6 * 3_600_000));
    }

    #[test]
    fn refresh_takes_the_offered_intervals_or_off() {
        assert_eq!(parse("r=off").refresh, Some(Refresh::Off));
        assert_eq!(parse("r=1s").refresh, Some(Refresh::Every(1_000)));
        assert_eq!(parse("r=30s").refresh, Some(Refresh::Every(30_000)));
        assert_eq!(parse_refresh("3s"), None);
    }

    #[test]
    fn every_bad_parameter_falls_back_to_its_default_and_says_so() {
        let (view, notices) = View::from_query(
            "w=forever&v=staging&r=7s&theme=pink&kiosk=maybe&relay=javascript:alert(1)&from=5",
        );
        assert_eq!(view, View::default());
        let keys: Vec<&str> = notices.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["w", "from", "v", "r", "theme", "kiosk", "relay"]);
        assert!(
            notices[0].message.contains("showing 15m"),
            "{:?}",
            notices[0]
        );
    }

    #[test]
    fn judge_settings_are_kept_as_written_and_bad_ones_are_noticed() {
        assert_eq!(
            parse("judge=conf:99,tol:10").judge.as_deref(),
            Some("conf:99,tol:10")
        );
        // The defaults are no parameter at all.
        assert_eq!(parse("judge=").judge, None);
        let (view, notices) = View::from_query("judge=tol:lots");
        assert_eq!(view.judge, None);
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].message.contains("judging with the defaults"),
            "{notices:?}"
        );
    }

    #[test]
    fn comparison_modes_are_read_per_chart_and_overlay_is_the_default() {
        let view = parse("cmp=requests:diff,latency:ratio,tokens:overlay");
        assert_eq!(view.compare_mode("requests"), Mode::Difference);
        assert_eq!(view.compare_mode("latency"), Mode::Ratio);
        assert_eq!(view.compare_mode("tokens"), Mode::Overlay);
        assert_eq!(view.compare_mode("cost"), Mode::Overlay);
        // Overlay is not written: charts in id order, defaults omitted.
        assert_eq!(view.to_query(), "cmp=latency:ratio,requests:diff");
        // A chart named twice takes its last mode.
        assert_eq!(
            parse("cmp=latency:diff,latency:ratio").compare,
            [("latency".to_owned(), Mode::Ratio)]
        );
        let mut view = view;
        view.set_compare("latency", Mode::Overlay);
        view.set_compare("requests", Mode::Overlay);
        assert_eq!(view, View::default());
    }

    #[test]
    fn a_bad_comparison_is_noticed_and_the_chart_overlays() {
        let (view, notices) = View::from_query("cmp=latency:difference,requests,sizes:ratio");
        assert_eq!(view.compare_mode("latency"), Mode::Overlay);
        assert_eq!(view.compare_mode("sizes"), Mode::Ratio);
        let messages: Vec<&str> = notices.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "ignored cmp=\"latency:difference\": expected chart:diff, chart:ratio or chart:overlay; overlaying",
                "ignored cmp=\"requests\": expected chart:diff, chart:ratio or chart:overlay; overlaying",
            ]
        );
    }

    #[test]
    fn prices_are_kept_as_written_and_a_bad_table_is_noticed_whole() {
        assert_eq!(
            parse("prices=input:0.60,output:2.2").prices.as_deref(),
            Some("input:0.60,output:2.2")
        );
        // A model with a slash survives the link's encoding.
        let view = parse("prices=zai%2Fglm/input:1");
        assert_eq!(view.prices.as_deref(), Some("zai/glm/input:1"));
        assert_eq!(view.to_query(), "prices=zai/glm/input:1");
        assert_eq!(parse("prices=").prices, None);
        let (view, notices) = View::from_query("prices=input:0.6,output:lots&v=canary");
        assert_eq!(view.prices, None);
        assert_eq!(
            view.variants,
            Variants::Canary,
            "the rest of the link stands"
        );
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].message.contains("\"output:lots\"")
                && notices[0].message.ends_with("; no price table"),
            "{notices:?}"
        );
    }

    #[test]
    fn a_fixed_range_must_be_ordered() {
        let (view, notices) = View::from_query("from=2000&to=1000");
        assert_eq!(view.range, Range::Live(DEFAULT_WINDOW_MS));
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn a_relay_is_an_origin_without_path_or_credentials() {
        assert_eq!(
            parse("relay=http://127.0.0.1:9000/").relay.as_deref(),
            Some("http://127.0.0.1:9000")
        );
        for bad in [
            "relay=ftp://host",
            "relay=https://user:secret@host",
            "relay=https://host/path",
            "relay=https://",
        ] {
            let (view, notices) = View::from_query(bad);
            assert_eq!(view.relay, None, "{bad}");
            assert_eq!(notices.len(), 1, "{bad}");
        }
    }

    #[test]
    fn percent_escapes_decode_and_broken_ones_stay_literal() {
        assert_eq!(decode("a%2Cb+c"), "a,b c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%41"), "%zzA");
        assert_eq!(decode("%é"), "%é");
    }

    #[test]
    fn the_last_repeated_key_wins() {
        assert_eq!(
            parse("v=canary&v=production").variants,
            Variants::Production
        );
    }

    #[test]
    fn bounds_follow_now_only_when_live() {
        assert_eq!(parse("w=5m").bounds(1_000_000), (700_000, 1_000_000));
        assert_eq!(parse("from=10&to=20").bounds(1_000_000), (10, 20));
    }
}
