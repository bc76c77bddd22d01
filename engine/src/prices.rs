//! Token prices the user keeps in the URL (`prices=`), for a proxy that
//! exports no `zai_proxy_estimated_cost_usd_total`: USD per million tokens
//! per direction, for every model or for one.
//!
//! The grammar is a comma-separated list of `[model/]direction:price`,
//! e.g. `input:0.6,output:2.2,glm-4.5-air/output:1.1`: an entry without a
//! model prices every model that has no entry of its own for that
//! direction. Prices are plain decimals (`0.6`, `2`, `0.11`), never signs or
//! exponents, and each (model, direction) appears once. Entries keep their
//! text as written, so a link reads back exactly as it was shared and the
//! app never formats a float to write one.

use std::{fmt, str::FromStr};

use crate::{
    buffer::Window,
    extract::{Direction, Slot},
};

/// One entry of a [`PriceTable`].
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    /// The model it prices; empty for every model without its own entry.
    model: Box<str>,
    direction: Direction,
    /// USD per million tokens.
    usd_per_mtok: f64,
    /// The price as written in the link.
    written: Box<str>,
}

/// USD per million tokens per direction, for every model or per model, as
/// the `prices=` URL key writes them (see the module's grammar).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PriceTable {
    entries: Vec<Entry>,
}

impl PriceTable {
    /// Whether no price is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// USD per token of direction `d` for `model`: its own entry, else the
    /// every-model one; `None` when neither is set.
    pub fn usd_per_token(&self, model: &str, d: Direction) -> Option<f64> {
        let find = |m: &str| {
            self.entries
                .iter()
                .find(|e| e.direction == d && *e.model == *m)
        };
        find(model)
            .or_else(|| find(""))
            .map(|e| e.usd_per_mtok / 1e6)
    }

    /// The USD of `window`'s tokens at these prices, over every model and
    /// direction: what the judge's cost per request reads for a proxy
    /// that exports no cost. `None` with no prices or no token series, or
    /// when a model's direction has tokens and no price (never a partial
    /// sum); tokens-free directions cost nothing, priced or not.
    pub fn cost(&self, window: &Window<'_>) -> Option<f64> {
        if self.is_empty() {
            return None;
        }
        let mut sum = None;
        for slot in window.slots(|s| matches!(s, Slot::Tokens(..))) {
            let (Slot::Tokens(d, model), Some(tokens)) = (slot, window.total(slot)) else {
                continue;
            };
            let usd = if tokens > 0.0 {
                tokens * self.usd_per_token(model, *d)?
            } else {
                0.0
            };
            sum = Some(sum.unwrap_or(0.0) + usd);
        }
        sum
    }

    /// The every-model price of direction `d` as written, for the editor.
    pub fn written(&self, d: Direction) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.direction == d && e.model.is_empty())
            .map(|e| &*e.written)
    }

    /// The per-model entries, as written (`glm-4.5-air/output:1.1`): the
    /// editor sets every-model prices only and lists these.
    pub fn per_model(&self) -> impl Iterator<Item = String> + '_ {
        self.entries
            .iter()
            .filter(|e| !e.model.is_empty())
            .map(Entry::to_string)
    }

    /// This table with the every-model price of `d` set to `text` (USD per
    /// million tokens, a plain decimal), or removed when `text` is blank:
    /// what the editor writes to the URL. An entry keeps its place.
    pub fn with(&self, d: Direction, text: &str) -> Result<PriceTable, String> {
        let text = text.trim();
        let mut table = self.clone();
        let at = table
            .entries
            .iter()
            .position(|e| e.direction == d && e.model.is_empty());
        if text.is_empty() {
            if let Some(i) = at {
                table.entries.remove(i);
            }
            return Ok(table);
        }
        let entry = Entry {
            model: "".into(),
            direction: d,
            usd_per_mtok: parse_price(text)?,
            written: text.into(),
        };
        match at {
            Some(i) => table.entries[i] = entry,
            None => table.entries.push(entry),
        }
        Ok(table)
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.model.is_empty() {
            f.write_str(&self.model)?;
            f.write_str("/")?;
        }
        f.write_str(self.direction.label())?;
        f.write_str(":")?;
        f.write_str(&self.written)
    }
}

/// The `prices=` value: entries as written, comma-separated; empty for an
/// empty table (the key is then left out).
impl fmt::Display for PriceTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Reads a `prices=` value strictly: the error names the first bad entry
/// and what was expected, for the URL's notice.
impl FromStr for PriceTable {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut table = PriceTable::default();
        for entry in s.split(',').filter(|e| !e.is_empty()) {
            let bad = |why: &str| format!("\"{entry}\" {why}");
            let (key, price) = entry
                .rsplit_once(':')
                .ok_or_else(|| bad("is not direction:price, e.g. input:0.6"))?;
            let (model, direction) = key.rsplit_once('/').unwrap_or(("", key));
            if key.contains('/') && model.is_empty() {
                return Err(bad("names no model before the /"));
            }
            let direction = Direction::ALL
                .into_iter()
                .find(|d| d.label() == direction)
                .ok_or_else(|| {
                    bad("names no direction (input, output, cache_read, cache_write)")
                })?;
            if table
                .entries
                .iter()
                .any(|e| e.direction == direction && *e.model == *model)
            {
                return Err(bad("prices a direction already priced"));
            }
            table.entries.push(Entry {
                model: model.into(),
                direction,
                usd_per_mtok: parse_price(price).map_err(|e| bad(&e))?,
                written: price.into(),
            });
        }
        Ok(table)
    }
}

/// A price in USD per million tokens: a plain decimal (`0.6`, `2`; not
/// `.5`, `-1` or `1e3`), at most 12 characters.
fn parse_price(s: &str) -> Result<f64, String> {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if s.len() > 12 || !digits(whole) || !digits(fraction) {
        return Err(
            "has a price that is not a plain decimal like 0.6 (USD per million tokens)".into(),
        );
    }
    s.parse()
        .map_err(|_| "has a price that is not a number".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> PriceTable {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_model_and_per_model_prices() {
        let t = table("input:0.6,output:2.2,glm-4.5-air/output:1.1");
        // $0.6 per million tokens is $0.0000006 a token.
        assert_eq!(
            t.usd_per_token("glm-4.7", Direction::Input),
            Some(0.6 / 1e6)
        );
        assert_eq!(
            t.usd_per_token("glm-4.7", Direction::Output),
            Some(2.2 / 1e6)
        );
        // A model's own entry wins over the every-model one.
        assert_eq!(
            t.usd_per_token("glm-4.5-air", Direction::Output),
            Some(1.1 / 1e6)
        );
        assert_eq!(
            t.usd_per_token("glm-4.5-air", Direction::Input),
            Some(0.6 / 1e6)
        );
        assert_eq!(t.usd_per_token("glm-4.7", Direction::CacheRead), None);
        assert_eq!(t.written(Direction::Output), Some("2.2"));
        assert_eq!(t.written(Direction::CacheWrite), None);
        assert_eq!(
            t.per_model().collect::<Vec<_>>(),
            ["glm-4.5-air/output:1.1"]
        );
    }

    #[test]
    fn tables_round_trip_as_written() {
        for s in [
            "",
            "input:0.6",
            "input:0.60,output:2,cache_read:0.11,cache_write:0",
            "zai/glm-4.7/cache_read:0.11,input:1",
        ] {
            assert_eq!(table(s).to_string(), s);
        }
        assert!(table("").is_empty());
    }

    #[test]
    fn bad_entries_are_named() {
        for (s, why) in [
            ("input", "is not direction:price"),
            ("inputs:0.6", "names no direction"),
            ("/input:0.6", "names no model"),
            ("input:-1", "not a plain decimal"),
            ("input:1e3", "not a plain decimal"),
            ("input:.5", "not a plain decimal"),
            ("input:0.5.1", "not a plain decimal"),
            ("input:", "not a plain decimal"),
            ("input:0.6,input:0.7", "already priced"),
        ] {
            let err = s.parse::<PriceTable>().expect_err(s);
            assert!(err.contains(why), "{s}: {err}");
        }
        // The same direction for two models is two entries.
        assert!("input:1,glm/input:2".parse::<PriceTable>().is_ok());
    }

    #[test]
    fn the_editor_sets_and_clears_every_model_prices_in_place() {
        let t = table("input:0.6,glm/output:1");
        let t = t.with(Direction::Input, " 0.5 ").expect("a price");
        assert_eq!(t.to_string(), "input:0.5,glm/output:1");
        let t = t.with(Direction::CacheRead, "0.11").expect("a price");
        assert_eq!(t.to_string(), "input:0.5,glm/output:1,cache_read:0.11");
        let t = t.with(Direction::Input, "").expect("cleared");
        assert_eq!(t.to_string(), "glm/output:1,cache_read:0.11");
        assert!(t.with(Direction::Output, "cheap").is_err());
    }
}
