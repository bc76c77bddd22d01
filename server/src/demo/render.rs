//! The exposition writer: a registry as client_golang's text format, one
//! `# HELP` and `# TYPE` per non-empty family, then its series in label
//! order, the `variant` label filled in where the table puts it.
//!
//! The walk over one series' samples (names, labels, values in exposition
//! order) is shared with the demo's past, which records what a scrape
//! would read. Escaping and number formatting are the engine's `format`
//! module's, so the demo and the engine agree byte for byte.

use zai_dash_engine::format::{write_family_header, write_sample};

use super::registry::{FamilySeries, Registry, Series};

impl Registry {
    /// Writes every non-empty family: HELP, TYPE, then its series.
    pub(super) fn render(&self, variant: &str, out: &mut String) {
        let mut labels = Vec::with_capacity(8);
        for family in self.families.values() {
            let spec = family.spec;
            if family.series.is_empty() {
                continue;
            }
            write_family_header(out, spec.name, spec.help, spec.metric_type());
            for (key, series) in &family.series {
                family.samples(variant, key, series, &mut labels, |name, labels, value| {
                    write_sample(out, name, labels, value);
                });
            }
        }
    }
}

impl FamilySeries {
    /// Calls `sample` with each sample of the series `key` as the
    /// exposition writes it, in its order: the sample's name, its labels
    /// (the `variant` label in its place, a histogram's `le` or a
    /// summary's `quantile` last) and its value. `labels` is scratch
    /// space, so a walk allocates nothing. The demo's past records what
    /// this walk gives, so history and `/metrics` name series alike.
    pub(super) fn samples<'a>(
        &'a self,
        variant: &'a str,
        key: &'a [&'static str],
        series: &Series,
        labels: &mut Vec<(&'a str, &'a str)>,
        mut sample: impl FnMut(&str, &[(&str, &str)], f64),
    ) {
        labels.clear();
        let mut values = key.iter();
        for &name in self.spec.labels {
            let value = if name == "variant" {
                variant
            } else {
                values.next().expect("one value per label")
            };
            labels.push((name, value));
        }
        match (series, &self.layout) {
            (Series::Value(v), _) => sample(self.spec.name, labels, *v),
            (Series::Dist(d), Some(layout)) => {
                for (point, value) in layout.points.iter().zip(&d.points) {
                    labels.push((layout.point_label, point));
                    sample(&layout.point_name, labels, *value);
                    labels.pop();
                }
                sample(&layout.sum_name, labels, d.sum);
                sample(&layout.count_name, labels, d.count);
            }
            (Series::Dist(_), None) => unreachable!("distributions have a layout"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::families::{QUOTA_USAGE, TOKEN_COUNT_DURATION};

    #[test]
    fn series_render_in_label_order_with_the_variant_in_its_place() {
        let mut registry = Registry::new();
        assert_eq!(render(&registry), "");
        registry.set(&QUOTA_USAGE, &["credit_limit", "weekly"], 0.25);
        registry.set(&QUOTA_USAGE, &["credit_limit", "five_hour"], 0.5);
        registry.observe(&TOKEN_COUNT_DURATION, &[], 0.003);
        registry.observe(&TOKEN_COUNT_DURATION, &[], 2e-5);
        let expected = "\
# HELP zai_proxy_quota_usage_ratio Normalized provider-reported quota usage ratio by window and limit type
# TYPE zai_proxy_quota_usage_ratio gauge
zai_proxy_quota_usage_ratio{limit_type=\"credit_limit\",variant=\"canary\",window=\"five_hour\"} 0.5
zai_proxy_quota_usage_ratio{limit_type=\"credit_limit\",variant=\"canary\",window=\"weekly\"} 0.25
# HELP zai_proxy_token_count_duration_seconds Duration of token counting operations
# TYPE zai_proxy_token_count_duration_seconds histogram
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.0001\"} 1
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.0005\"} 1
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.001\"} 1
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.005\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.01\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.025\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.05\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"0.1\"} 2
zai_proxy_token_count_duration_seconds_bucket{variant=\"canary\",le=\"+Inf\"} 2
zai_proxy_token_count_duration_seconds_sum{variant=\"canary\"} 0.00302
zai_proxy_token_count_duration_seconds_count{variant=\"canary\"} 2
";
        assert_eq!(render(&registry), expected);
    }

    fn render(registry: &Registry) -> String {
        let mut out = String::new();
        registry.render("canary", &mut out);
        out
    }
}
