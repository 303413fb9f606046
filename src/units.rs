//! How quantities are read from text: a number with the words around it (`30_seconds`,
//! `every_100_items`), and durations in seconds with a unit (`1.5s`, `250ms`, `5m`, `1h`).

/// Splits `"30_seconds"`, `"1.5s"` or `"every_100_items"` into the number and the words around it.
pub fn split_number(text: &str) -> Option<(f64, String)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let number: f64 = rest[..len].parse().ok()?;
    let before = text[..start].trim_matches(|c: char| c == '_' || c.is_whitespace());
    if before.starts_with('-') || text[..start].ends_with('-') {
        return None;
    }
    let after = rest[len..].trim_matches(|c: char| c == '_' || c.is_whitespace());
    let words = [before, after]
        .iter()
        .filter(|w| !w.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("_");
    Some((number, words.to_ascii_lowercase()))
}

/// Seconds in one of a time unit's names; the empty unit is seconds.
pub fn time_unit_seconds(unit: &str) -> Option<f64> {
    Some(match unit {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "ms" | "millisecond" | "milliseconds" => 0.001,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        _ => return None,
    })
}

/// Seconds from a duration with an optional unit (`30_seconds`, `1.5s`, `250ms`, `5m`, `1h`,
/// `2`); `None` for anything else, a negative number included.
pub fn seconds(text: &str) -> Option<f64> {
    let (number, unit) = split_number(text.trim())?;
    if !text
        .trim()
        .starts_with(|c: char| c.is_ascii_digit() || c == '.')
    {
        return None;
    }
    let seconds = number * time_unit_seconds(&unit)?;
    seconds.is_finite().then_some(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(seconds("30_seconds"), Some(30.0));
        assert_eq!(seconds("250ms"), Some(0.25));
        assert_eq!(seconds("5m"), Some(300.0));
        assert_eq!(seconds("2"), Some(2.0));
        assert_eq!(seconds("-2s"), None);
        assert_eq!(seconds("soon"), None);
    }
}
