//! How numbers read on screen: rates, percentages, durations, ages and
//! counts, with one shared rule for "no data" so that it never looks like 0.

/// What every formatter shows for a missing value.
pub const NO_DATA: &str = "—";

/// Requests or events per second, three significant digits (trailing
/// zeros kept, so neighbouring rates share a precision): `12.3/s`,
/// `1.30/s`, `1.23k/s`, and a measured zero as `0/s`.
pub fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| NO_DATA.to_owned(), |v| format!("{}/s", compact(v)))
}

/// A percentage with one decimal: `0.4%`.
///
/// A share too small to show at one decimal reads `<0.1%`, not `0.0%`: a
/// 5xx rate of 0.02 % is not a measured zero.
pub fn percent(v: Option<f64>) -> String {
    match v {
        None => NO_DATA.to_owned(),
        Some(v) if v != 0.0 && v.abs() < 0.05 => {
            format!("<{}0.1%", if v < 0.0 { "-" } else { "" })
        }
        Some(v) => format!("{}%", fixed(v, 1)),
    }
}

/// A latency given in ms: three significant digits below a second
/// (`85.0 ms`), two decimals above (`1.25 s`).
pub fn millis(v: Option<f64>) -> String {
    match v {
        None => NO_DATA.to_owned(),
        Some(ms) if ms.abs() < 1000.0 => format!("{} ms", round_sig(ms, 3)),
        Some(ms) => format!("{} s", fixed(ms / 1000.0, 2)),
    }
}

/// A latency that may only be a floor ([`millis`], `≥ ` in front if so).
pub fn millis_at_least(v: Option<f64>, at_least: bool) -> String {
    floor(v, at_least, millis)
}

/// A size that may only be a floor ([`bytes`], `≥ ` in front if so).
pub fn bytes_at_least(v: Option<f64>, at_least: bool) -> String {
    floor(v, at_least, bytes)
}

/// `format(v)`, with `≥ ` in front when `v` is only a floor (a quantile
/// past a histogram's largest bucket); no data stays no data.
fn floor(v: Option<f64>, at_least: bool, format: fn(Option<f64>) -> String) -> String {
    match v {
        Some(_) if at_least => format!("≥ {}", format(v)),
        _ => format(v),
    }
}

/// An age in whole seconds: `4s`, `3m 07s`, `2h 05m`.
pub fn age(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// A count: whole numbers below a thousand as they are (`950`), others
/// with three significant digits and a k/M/B suffix (`12.3k`, `4.56M`).
pub fn count(v: Option<f64>) -> String {
    match v {
        None => NO_DATA.to_owned(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1000.0 => fixed(v, 0),
        Some(v) => compact(v),
    }
}

/// Bytes in decimal units: whole bytes below a kilobyte (`512 B`), three
/// significant digits above (`12.3 kB`, `1.50 MB`).
pub fn bytes(v: Option<f64>) -> String {
    let Some(v) = v else {
        return NO_DATA.to_owned();
    };
    match v.abs() {
        a if a >= 1e9 => format!("{} GB", round_sig(v / 1e9, 3)),
        a if a >= 1e6 => format!("{} MB", round_sig(v / 1e6, 3)),
        a if a >= 1e3 => format!("{} kB", round_sig(v / 1e3, 3)),
        _ => format!("{} B", fixed(v, 0)),
    }
}

/// US dollars at a fixed precision per band, so the costs side by side in
/// a panel line up: hundredths of a cent below a dollar (token costs are
/// tiny: `$0.0400`, `$0.0009`, and `<$0.0001` rather than a false zero),
/// cents up to a thousand (`$12.35`), then a k/M suffix (`$1.23k`); a
/// measured zero is `$0`. A negative amount (a saving, a difference) puts
/// its sign before the dollar: `-$0.0400`.
pub fn usd(v: Option<f64>) -> String {
    let Some(v) = v else {
        return NO_DATA.to_owned();
    };
    let sign = if v < 0.0 { "-" } else { "" };
    let m = v.abs();
    match m {
        0.0 => "$0".to_owned(),
        m if m < 0.000_05 => format!("<{sign}$0.0001"),
        m if m < 0.999_95 => format!("{sign}${}", fixed(m, 4)),
        m if m < 999.995 => format!("{sign}${}", fixed(m, 2)),
        m => format!("{sign}${}", compact(m)),
    }
}

/// Compact number: three significant digits and a k/M/B suffix (from
/// where three digits round up to the next one: 999.6 is `1.00k`).
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if !a.is_finite() {
        (v, "")
    } else if a >= 999.5e6 {
        (v / 1e9, "B")
    } else if a >= 999.5e3 {
        (v / 1e6, "M")
    } else if a >= 999.5 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{}{suffix}", round_sig(scaled, 3))
}

/// What a chart's values measure: how its tooltip, its summary table and
/// its value axis write them, and what its accessible name calls the unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `what` per second: `PerSecond("req")` is `req/s`.
    PerSecond(&'static str),
    /// Milliseconds (an axis reaching a second is in seconds throughout).
    Millis,
    /// A plain count of `what`.
    Count(&'static str),
    /// Bytes, in decimal units.
    Bytes,
    /// US dollars per hour.
    UsdPerHour,
    /// A ratio of two values in one unit (canary ÷ production): `1.24×`.
    Ratio,
}

/// A value axis' labels: the unit they are in, and one label per tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisLabels {
    /// The unit of every label, e.g. `s`, `kB` or `$/h`.
    pub unit: String,
    /// The tick labels, bottom to top, with no unit.
    pub ticks: Vec<String>,
}

impl Unit {
    /// A value as the tooltip and the summary table write it (NaN is no
    /// data): the same formatter as the panel's figures.
    pub fn format(self, v: f64) -> String {
        let v = (!v.is_nan()).then_some(v);
        match self {
            Unit::PerSecond(_) => rate(v),
            Unit::Millis => millis(v),
            Unit::Count(_) => count(v),
            Unit::Bytes => bytes(v),
            Unit::UsdPerHour if v.is_some() => format!("{}/h", usd(v)),
            Unit::UsdPerHour => NO_DATA.to_owned(),
            Unit::Ratio => {
                v.map_or_else(|| NO_DATA.to_owned(), |v| format!("{}×", round_sig(v, 3)))
            }
        }
    }

    /// The unit's name: `req/s`, `ms`, `bytes`, `$/h`, or the counted noun.
    pub fn name(self) -> String {
        match self {
            Unit::PerSecond(what) => format!("{what}/s"),
            Unit::Millis => "ms".to_owned(),
            Unit::Count(what) => what.to_owned(),
            Unit::Bytes => "bytes".to_owned(),
            Unit::UsdPerHour => "$/h".to_owned(),
            Unit::Ratio => "×".to_owned(),
        }
    }

    /// Labels for the evenly spaced value-axis `ticks`: one unit for the
    /// whole axis, chosen by its largest tick (never `0 ms` under `10 s`),
    /// and as many decimals as the step between ticks needs, the same on
    /// every label. Milliseconds and bytes move to a larger unit (`s`,
    /// `kB`); rates, counts and dollars keep theirs and take a k/M/B
    /// suffix. Zero is `0`.
    pub fn axis(self, ticks: &[f64]) -> AxisLabels {
        let top = ticks.iter().fold(0.0f64, |m, t| m.max(t.abs()));
        let (scale, unit, suffix) = match self {
            Unit::Millis if top >= 1000.0 => (1e3, "s".to_owned(), ""),
            Unit::Millis => (1.0, "ms".to_owned(), ""),
            Unit::Bytes => {
                let (scale, prefix) = magnitude(top, ["", "k", "M", "G"]);
                (scale, format!("{prefix}B"), "")
            }
            other => {
                let (scale, suffix) = magnitude(top, ["", "k", "M", "B"]);
                (scale, other.name(), suffix)
            }
        };
        let step = match ticks {
            [a, b, ..] => (b - a).abs(),
            _ => top,
        } / scale;
        let decimals = if step > 0.0 && step.is_finite() {
            (-(step.log10() + 1e-9).floor()).clamp(0.0, 12.0) as usize
        } else {
            0
        };
        let ticks = ticks
            .iter()
            .map(|&t| match t {
                0.0 => "0".to_owned(),
                t => format!("{}{suffix}", fixed(t / scale, decimals)),
            })
            .collect();
        AxisLabels { unit, ticks }
    }
}

/// The power of a thousand `top` reaches (up to 1e9), and its prefix.
fn magnitude(top: f64, prefixes: [&'static str; 4]) -> (f64, &'static str) {
    let power = match top {
        t if t >= 1e9 => 3,
        t if t >= 1e6 => 2,
        t if t >= 1e3 => 1,
        _ => 0,
    };
    ([1.0, 1e3, 1e6, 1e9][power], prefixes[power])
}

/// `v` with `digits` (1 to 4) significant digits, trailing zeros kept so
/// that figures side by side show the same precision: `12.3`, `1.30`,
/// `0.0123`, `123456`; zero is `0`. Magnitudes a dashboard never shows
/// sensibly in positional digits (below 1e-12, from 1e18) read `1.23e-15`.
fn round_sig(v: f64, digits: i32) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if !(1e-12..1e18).contains(&v.abs()) {
        return scientific(v);
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let text = fixed(v, decimals);
    // Rounding may carry into one more digit (9.995 to `10.00`): one
    // decimal fewer then (`10.0`).
    let significant = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0')
        .count();
    if significant > digits as usize && decimals > 0 {
        fixed(v, decimals - 1)
    } else {
        text
    }
}

/// Drops a decimal fraction's trailing zeros (and a bare point).
fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Powers of ten exactly representable in an f64.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `v` with `decimals` (at most 15) digits after the point, rounded as
/// `format!("{v:.decimals$}")` rounds: to the nearest, ties to even, on the
/// exact binary value. From 1e18 up it is scientific, like `1.23e21`.
///
/// Written by hand for size: core's float formatting (Grisu with a Dragon4
/// fallback, for every f64 at any precision) is about 7 KB of the app's
/// gzipped wasm, while every figure on screen fits in a u64 of scaled
/// units. The integer part is exact below 1e18; the fraction (exact too,
/// `v - trunc(v)`) is scaled by a power of ten, and the one case where that
/// product can round onto a tie (`.5` exactly) is settled by the product's
/// exact error from `mul_add`.
pub fn fixed(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    let a = v.abs();
    if a >= 1e18 {
        return scientific(v);
    }
    let decimals = decimals.min(POW10.len() - 1);
    let scale = POW10[decimals];
    let mut int = a.trunc() as u64;
    let frac = a - a.trunc();
    let p = frac * scale;
    let floor = p.floor();
    let round_up = match p - floor {
        d if d != 0.5 => d > 0.5,
        _ => match frac.mul_add(scale, -p) {
            0.0 if decimals == 0 => int % 2 == 1,
            0.0 => floor % 2.0 == 1.0,
            error => error > 0.0,
        },
    };
    let mut digits = floor as u64 + u64::from(round_up);
    if digits as f64 >= scale {
        int += 1;
        digits = 0;
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if decimals == 0 {
        return format!("{sign}{int}");
    }
    format!("{sign}{int}.{digits:0decimals$}")
}

/// `v` as `1.23e21`: three significant digits and a power of ten.
fn scientific(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        }
        .to_owned();
    }
    let mut exponent = v.abs().log10().floor() as i32;
    // 10^exponent underflows to 0 below 1e-307: divide in two steps there.
    let mut mantissa = if exponent < -300 {
        v * 1e300 / 10f64.powi(exponent + 300)
    } else {
        v / 10f64.powi(exponent)
    };
    if mantissa.abs() >= 9.995 {
        mantissa /= 10.0;
        exponent += 1;
    }
    format!("{}e{exponent}", trim_zeros(fixed(mantissa, 2)))
}

/// Parses a duration like `500ms`, `5s`, `15m`, `6h`, `1d` (or a bare
/// number of seconds) into milliseconds; `None` for anything else,
/// including zero and negative values.
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "ms" => 1.0,
        "" | "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        "d" => 86_400e3,
        _ => return None,
    };
    let ms = (number * scale).round();
    (1.0..1e15).contains(&ms).then_some(ms as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_use_decimal_units() {
        assert_eq!(bytes(Some(512.0)), "512 B");
        assert_eq!(bytes(Some(511.6)), "512 B");
        assert_eq!(bytes(Some(12_345.0)), "12.3 kB");
        assert_eq!(bytes(Some(1_500_000.0)), "1.50 MB");
        assert_eq!(bytes(None), NO_DATA);
    }

    #[test]
    fn dollars_keep_one_precision_per_band() {
        // Below a dollar, four decimals for every cost: 0.0008526 and
        // 0.04 side by side read $0.0009 and $0.0400, not $0.0008526 next
        // to $0.04; a measured zero is $0, a tiny cost never a false zero.
        assert_eq!(usd(Some(0.0008526)), "$0.0009");
        assert_eq!(usd(Some(0.04)), "$0.0400");
        assert_eq!(usd(Some(0.0)), "$0");
        assert_eq!(usd(Some(0.00002)), "<$0.0001");
        assert_eq!(usd(Some(0.99996)), "$1.00");
        assert_eq!(usd(Some(12.345)), "$12.35");
        assert_eq!(usd(Some(999.996)), "$1.00k");
        assert_eq!(usd(Some(1234.0)), "$1.23k");
        assert_eq!(usd(None), NO_DATA);
    }

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("5s"), Some(5_000));
        assert_eq!(parse_duration_ms("2.5"), Some(2_500));
        assert_eq!(parse_duration_ms("15m"), Some(900_000));
        assert_eq!(parse_duration_ms("6h"), Some(21_600_000));
        assert_eq!(parse_duration_ms("1d"), Some(86_400_000));
        for bad in ["", "0s", "-5s", "5x", "s", "1.2.3s", "5 s"] {
            assert_eq!(parse_duration_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn missing_values_never_read_as_zero() {
        assert_eq!(rate(None), NO_DATA);
        assert_eq!(percent(None), NO_DATA);
        assert_eq!(millis(None), NO_DATA);
        assert_eq!(count(None), NO_DATA);
        assert_eq!(rate(Some(0.0)), "0/s");
        assert_eq!(percent(Some(0.0)), "0.0%");
    }

    #[test]
    fn a_negative_amount_of_dollars_puts_its_sign_first() {
        assert_eq!(usd(Some(-0.04)), "-$0.0400");
        assert_eq!(usd(Some(-12.345)), "-$12.35");
        assert_eq!(usd(Some(-1234.0)), "-$1.23k");
        assert_eq!(usd(Some(-0.00001)), "<-$0.0001");
    }

    #[test]
    fn a_share_too_small_for_one_decimal_is_not_shown_as_zero() {
        // 0.02 % would round to 0.0%; 0.05 % rounds to 0.1% as usual.
        assert_eq!(percent(Some(0.02)), "<0.1%");
        assert_eq!(percent(Some(-0.02)), "<-0.1%");
        assert_eq!(percent(Some(0.05)), "0.1%");
        assert_eq!(percent(Some(12.34)), "12.3%");
    }

    #[test]
    fn rates_keep_three_significant_digits_and_their_zeros() {
        // 1.3 next to 1.39 reads 1.30/s, the same precision.
        assert_eq!(rate(Some(1.3)), "1.30/s");
        assert_eq!(rate(Some(1.39)), "1.39/s");
        assert_eq!(rate(Some(0.6)), "0.600/s");
        assert_eq!(rate(Some(12.345)), "12.3/s");
        assert_eq!(rate(Some(1234.0)), "1.23k/s");
        assert_eq!(rate(Some(1000.0)), "1.00k/s");
        assert_eq!(rate(Some(0.0123)), "0.0123/s");
        // 9.996 rounds to 10.0 (three digits), not 10.00.
        assert_eq!(rate(Some(9.996)), "10.0/s");
    }

    #[test]
    fn latency_switches_to_seconds_at_one_second() {
        assert_eq!(millis(Some(85.04)), "85.0 ms");
        assert_eq!(millis(Some(1.5)), "1.50 ms");
        assert_eq!(millis(Some(999.0)), "999 ms");
        assert_eq!(millis(Some(1250.0)), "1.25 s");
        assert_eq!(millis(Some(24285.7)), "24.29 s");
    }

    #[test]
    fn a_floor_says_so_and_no_data_stays_no_data() {
        assert_eq!(millis_at_least(Some(10_000.0), true), "≥ 10.00 s");
        assert_eq!(millis_at_least(Some(10_000.0), false), "10.00 s");
        assert_eq!(millis_at_least(None, true), NO_DATA);
        assert_eq!(bytes_at_least(Some(1e9), true), "≥ 1.00 GB");
        assert_eq!(bytes_at_least(Some(865_000.0), false), "865 kB");
        assert_eq!(bytes_at_least(None, true), NO_DATA);
    }

    #[test]
    fn ages_read_like_a_clock() {
        assert_eq!(age(4.4), "4s");
        assert_eq!(age(187.0), "3m 07s");
        assert_eq!(age(7500.0), "2h 05m");
        assert_eq!(age(-3.0), "0s");
    }

    /// A deterministic stream of f64s of every magnitude (xorshift).
    fn values(count: usize) -> impl Iterator<Item = f64> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..count).map(move |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mantissa = (state >> 11) as f64 / (1u64 << 53) as f64;
            let exponent = (state % 40) as i32 - 20;
            let sign = if state & 1 == 0 { 1.0 } else { -1.0 };
            sign * mantissa * 10f64.powi(exponent)
        })
    }

    #[test]
    fn fixed_rounds_exactly_like_core_formatting() {
        for v in values(20_000).filter(|v| v.abs() < 1e18) {
            for decimals in 0..=15 {
                assert_eq!(
                    fixed(v, decimals),
                    format!("{v:.decimals$}"),
                    "{v:e} to {decimals}"
                );
            }
        }
    }

    #[test]
    fn fixed_settles_ties_on_the_exact_binary_value() {
        // Exact ties go to even; 0.045 and 1.005 are just below their
        // ties in binary, though 0.045 * 100 rounds to 4.5 in f64.
        for (v, decimals, text) in [
            (0.125, 2, "0.12"),
            (0.375, 2, "0.38"),
            (2.5, 0, "2"),
            (3.5, 0, "4"),
            (0.045, 2, "0.04"),
            (1.005, 2, "1.00"),
            (12.345, 2, "12.35"),
            (99.95, 1, "100.0"),
            (999.5, 0, "1000"),
            (-0.5, 0, "-0"),
            (-0.001, 2, "-0.00"),
        ] {
            assert_eq!(fixed(v, decimals), text, "{v} to {decimals}");
            assert_eq!(fixed(v, decimals), format!("{v:.decimals$}"));
        }
    }

    #[test]
    fn extreme_magnitudes_read_in_scientific_notation() {
        assert_eq!(fixed(1.5e21, 2), "1.5e21");
        assert_eq!(compact(2.5e30), "2.5e21B");
        assert_eq!(rate(Some(1.234e-15)), "1.23e-15/s");
        assert_eq!(rate(Some(-4e-320)), "-4e-320/s");
        assert_eq!(count(Some(9.999e20)), "999900000000B");
        assert_eq!(compact(2.5e30), "2.5e21B");
        assert_eq!(fixed(f64::NAN, 1), "NaN");
        assert_eq!(fixed(f64::NEG_INFINITY, 1), "-inf");
        assert_eq!(count(Some(f64::INFINITY)), "inf");
    }

    #[test]
    fn counts_use_si_suffixes() {
        assert_eq!(count(Some(950.0)), "950");
        assert_eq!(count(Some(5.0)), "5");
        assert_eq!(count(Some(2.5)), "2.50");
        assert_eq!(count(Some(12_000.0)), "12.0k");
        assert_eq!(count(Some(12_345.0)), "12.3k");
        assert_eq!(count(Some(4_560_000.0)), "4.56M");
        assert_eq!(count(Some(1.52e9)), "1.52B");
    }

    #[test]
    fn an_axis_is_in_one_unit_chosen_by_its_largest_tick() {
        let axis = |unit: Unit, ticks: &[f64]| {
            let a = unit.axis(ticks);
            (a.unit, a.ticks.join(" "))
        };
        // Reaching 10 s: every label in seconds, none "0ms".
        assert_eq!(
            axis(Unit::Millis, &[0.0, 5000.0, 10000.0]),
            ("s".into(), "0 5 10".into())
        );
        assert_eq!(
            axis(Unit::Millis, &[0.0, 500.0, 1000.0, 1500.0]),
            ("s".into(), "0 0.5 1.0 1.5".into())
        );
        assert_eq!(
            axis(Unit::Millis, &[0.0, 200.0, 400.0]),
            ("ms".into(), "0 200 400".into())
        );
        assert_eq!(
            axis(Unit::Bytes, &[0.0, 500_000.0, 1_000_000.0]),
            ("MB".into(), "0 0.5 1.0".into())
        );
        assert_eq!(
            axis(Unit::Bytes, &[0.0, 200.0, 400.0]),
            ("B".into(), "0 200 400".into())
        );
        // Dollars an hour: the unit says per hour; two decimals for a
        // step of 0.05.
        assert_eq!(
            axis(Unit::UsdPerHour, &[0.0, 0.05, 0.1, 0.15]),
            ("$/h".into(), "0 0.05 0.10 0.15".into())
        );
        assert_eq!(
            axis(Unit::UsdPerHour, &[0.0, 5.0, 10.0, 15.0]),
            ("$/h".into(), "0 5 10 15".into())
        );
        assert_eq!(
            axis(Unit::PerSecond("req"), &[0.0, 500.0, 1000.0, 1500.0]),
            ("req/s".into(), "0 0.5k 1.0k 1.5k".into())
        );
        assert_eq!(
            axis(Unit::Count("requests"), &[0.0, 2.0, 4.0]),
            ("requests".into(), "0 2 4".into())
        );
        assert_eq!(axis(Unit::Millis, &[]), ("ms".into(), String::new()));
    }

    #[test]
    fn a_chart_value_reads_as_the_figures_do() {
        assert_eq!(Unit::PerSecond("req").format(1.3), "1.30/s");
        assert_eq!(Unit::UsdPerHour.format(0.04), "$0.0400/h");
        assert_eq!(Unit::UsdPerHour.format(f64::NAN), NO_DATA);
        assert_eq!(Unit::Millis.format(f64::NAN), NO_DATA);
        assert_eq!(Unit::Bytes.format(1_500_000.0), "1.50 MB");
        assert_eq!(Unit::PerSecond("tokens").name(), "tokens/s");
        assert_eq!(Unit::UsdPerHour.name(), "$/h");
        // Three significant digits, as rates: 2 is 2.00×, 0.5 is 0.500×.
        assert_eq!(Unit::Ratio.format(2.0), "2.00×");
        assert_eq!(Unit::Ratio.format(0.5), "0.500×");
        assert_eq!(Unit::Ratio.format(f64::NAN), NO_DATA);
        assert_eq!(Unit::Ratio.name(), "×");
    }
}
