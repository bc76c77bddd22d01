//! The random draws of the simulation, all from one seeded generator, so
//! a seed fixes the traffic.

use fastrand::Rng;

/// Weighted choice among `(item, weight)` pairs; the slice must be non-empty.
pub(super) fn pick(rng: &mut Rng, items: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut draw = rng.u32(0..total);
    for &(item, weight) in items {
        if draw < weight {
            return item;
        }
        draw -= weight;
    }
    unreachable!("draw is below the total weight")
}

/// Exponential variate with the given mean.
pub(super) fn exponential(rng: &mut Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.f64()).ln()
}

/// Log-normal variate with the given median and sigma of its logarithm
/// (Box-Muller for the normal part).
pub(super) fn log_normal(rng: &mut Rng, median: f64, sigma: f64) -> f64 {
    let u = 1.0 - rng.f64();
    let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos();
    median * (sigma * normal).exp()
}
