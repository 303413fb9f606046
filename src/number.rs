//! How numbers are written: in tables (a few decimals, no trailing zeros), in documents (six
//! significant digits, no floating-point noise), and as seconds with their interval.

/// Formats a number for a table: at most `digits` decimals, without trailing zeros.
pub fn number(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return if x.is_nan() { "-".into() } else { "inf".into() };
    }
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Rounds to 6 significant digits for output, so documents do not carry floating-point noise.
pub fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 6 - 1 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(-300, 300));
    (x * scale).round() / scale
}

/// Rounds up to two significant digits, so advice reads 300 s, not 294.3 s.
pub fn round_up(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powf(x.log10().floor() - 1.0);
    (x / scale).ceil() * scale
}

/// Decimals that show three significant digits of `x`.
pub fn decimals(x: f64) -> usize {
    if x == 0.0 || !x.is_finite() {
        return 2;
    }
    (2 - x.abs().log10().floor() as i32).clamp(0, 6) as usize
}

/// A measured number to about three significant digits: 1,155, 5.86, 0.771.
pub fn short(x: f64) -> String {
    number(x, decimals(x))
}

/// `3.10 s ± 0.10`, or without the interval when there is none (one replication).
pub fn seconds(mean: f64, ci95: f64) -> String {
    let d = decimals(mean);
    if ci95.is_finite() {
        format!("{mean:.d$} s ± {ci95:.d$}")
    } else {
        format!("{mean:.d$} s")
    }
}

/// Seconds alone, as advice and lint findings quote them: `1.5 s`.
pub fn secs(x: f64) -> String {
    seconds(x, f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_up_keeps_two_significant_digits() {
        assert_eq!(round_up(294.3), 300.0);
        assert_eq!(round_up(18.4), 19.0);
        assert_eq!(round_up(30.0), 30.0);
        assert!((round_up(0.0123) - 0.013).abs() < 1e-12);
    }

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(number(1.50, 2), "1.5");
        assert_eq!(number(2.0, 3), "2");
        assert_eq!(number(0.123456, 3), "0.123");
        assert_eq!(number(f64::NAN, 2), "-");
    }

    #[test]
    fn rounding_keeps_six_significant_digits() {
        assert_eq!(round_sig(1.23456789), 1.23457);
        assert_eq!(round_sig(123456.789), 123457.0);
        assert_eq!(round_sig(0.000123456789), 0.000123457);
    }

    #[test]
    fn seconds_show_three_significant_digits() {
        assert_eq!(seconds(3.1, 0.1), "3.10 s ± 0.10");
        assert_eq!(seconds(12.345, f64::NAN), "12.3 s");
    }
}
