//! How numbers read on screen: rates, percentages, durations, ages and
//! counts, with one shared rule for "no data" so that it never looks like 0.

/// What every formatter shows for a missing value.
pub const NO_DATA: &str = "—";

/// Requests or events per second: `12.3/s`, `1.2k/s`, `0/s`.
pub fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| NO_DATA.to_owned(), |v| format!("{}/s", compact(v)))
}

/// A percentage with one decimal: `0.4%`.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| NO_DATA.to_owned(), |v| format!("{}%", fixed(v, 1)))
}

/// A latency given in ms: `85 ms` below a second, `1.25 s` above.
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

/// A count with k/M/B suffixes: `950`, `12.3k`, `4.56M`.
pub fn count(v: Option<f64>) -> String {
    v.map_or_else(|| NO_DATA.to_owned(), compact)
}

/// Bytes in decimal units: `512 B`, `12.3 kB`, `1.5 MB`.
pub fn bytes(v: Option<f64>) -> String {
    let Some(v) = v else {
        return NO_DATA.to_owned();
    };
    let (scaled, unit) = match v.abs() {
        a if a >= 1e9 => (v / 1e9, "GB"),
        a if a >= 1e6 => (v / 1e6, "MB"),
        a if a >= 1e3 => (v / 1e3, "kB"),
        _ => (v, "B"),
    };
    format!("{} {unit}", round_sig(scaled, 3))
}

/// US dollars: cents above a cent, four significant digits below one
/// (token costs are tiny), k/M above a thousand: `$12.35`, `$0.004321`.
pub fn usd(v: Option<f64>) -> String {
    match v {
        None => NO_DATA.to_owned(),
        Some(0.0) => "$0.00".to_owned(),
        Some(v) if v.abs() < 0.01 => format!("${}", round_sig(v, 4)),
        Some(v) if v.abs() < 1000.0 => format!("${}", fixed(v, 2)),
        Some(v) => format!("${}", compact(v)),
    }
}

/// Compact number: three significant digits and a k/M/B suffix.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if !a.is_finite() {
        (v, "")
    } else if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{}{suffix}", round_sig(scaled, 3))
}

/// `v` with at most `digits` (1 to 4) significant digits, trailing zeros
/// dropped: `12.3`, `0.0123`, `123456`; magnitudes a dashboard never
/// shows sensibly in positional digits (below 1e-12, from 1e18) read
/// `1.23e-15`.
fn round_sig(v: f64, digits: i32) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if !(1e-12..1e18).contains(&v.abs()) {
        return scientific(v);
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    trim_zeros(fixed(v, decimals))
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
        assert_eq!(bytes(Some(12_345.0)), "12.3 kB");
        assert_eq!(bytes(Some(1_500_000.0)), "1.5 MB");
        assert_eq!(bytes(None), NO_DATA);
    }

    #[test]
    fn dollars_keep_small_costs_readable() {
        assert_eq!(usd(Some(0.0)), "$0.00");
        assert_eq!(usd(Some(0.0043214)), "$0.004321");
        assert_eq!(usd(Some(12.345)), "$12.35");
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
    fn rates_keep_three_significant_digits() {
        assert_eq!(rate(Some(0.6)), "0.6/s");
        assert_eq!(rate(Some(12.345)), "12.3/s");
        assert_eq!(rate(Some(1234.0)), "1.23k/s");
        assert_eq!(rate(Some(0.0123)), "0.0123/s");
    }

    #[test]
    fn latency_switches_to_seconds_at_one_second() {
        assert_eq!(millis(Some(85.04)), "85 ms");
        assert_eq!(millis(Some(999.0)), "999 ms");
        assert_eq!(millis(Some(1250.0)), "1.25 s");
        assert_eq!(millis(Some(24285.7)), "24.29 s");
    }

    #[test]
    fn a_floor_says_so_and_no_data_stays_no_data() {
        assert_eq!(millis_at_least(Some(10_000.0), true), "≥ 10.00 s");
        assert_eq!(millis_at_least(Some(10_000.0), false), "10.00 s");
        assert_eq!(millis_at_least(None, true), NO_DATA);
        assert_eq!(bytes_at_least(Some(1e9), true), "≥ 1 GB");
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
        assert_eq!(fixed(f64::NAN, 1), "NaN");
        assert_eq!(fixed(f64::NEG_INFINITY, 1), "-inf");
        assert_eq!(count(Some(f64::INFINITY)), "inf");
    }

    #[test]
    fn counts_use_si_suffixes() {
        assert_eq!(count(Some(950.0)), "950");
        assert_eq!(count(Some(12_345.0)), "12.3k");
        assert_eq!(count(Some(4_560_000.0)), "4.56M");
        assert_eq!(count(Some(1.52e9)), "1.52B");
    }
}
