//! The grid of a sweep: value lists and ranges expanded, and their cartesian product.

use serde_json::Value;

use super::{MAX_POINTS, SweepError};
use crate::sim::distribution::{Arrivals, Service};

/// The most values one range may expand to.
const MAX_VALUES: usize = 1_000_000;

/// The alternatives one flag value stands for: `a,b,c` (split on `separator`), where each
/// item may be a range `START:STOP:STEP` (both ends included).
pub fn alternatives(text: &str, separator: char) -> Result<Vec<String>, SweepError> {
    let mut out = Vec::new();
    for item in text.split(separator).map(str::trim) {
        if item.is_empty() {
            return Err(SweepError(format!(
                "'{text}' has an empty item; separate values with '{separator}'"
            )));
        }
        match range(item)? {
            Some(values) => out.extend(values),
            None => out.push(item.to_string()),
        }
    }
    if out.len() > MAX_VALUES {
        return Err(SweepError(format!(
            "'{text}' expands to {} values; at most {MAX_VALUES} are allowed",
            out.len()
        )));
    }
    Ok(out)
}

/// Expands `START:STOP:STEP` when all three are numbers; anything else (`exp:1`) is not a range.
fn range(item: &str) -> Result<Option<Vec<String>>, SweepError> {
    let parts: Vec<&str> = item.split(':').collect();
    let [start, stop, step] = parts[..] else {
        return Ok(None);
    };
    let parse = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(a), Some(b), Some(h)) = (parse(start), parse(stop), parse(step)) else {
        return Ok(None);
    };
    if h <= 0.0 || b < a {
        return Err(SweepError(format!(
            "range '{item}' must be START:STOP:STEP with START <= STOP and a STEP above 0"
        )));
    }
    // A tolerance of a millionth of a step keeps STOP in despite binary fractions.
    let steps = ((b - a) / h + 1e-6).floor();
    if steps >= MAX_VALUES as f64 {
        return Err(SweepError(format!(
            "range '{item}' has more than {MAX_VALUES} values"
        )));
    }
    let decimals = [start, stop, step]
        .iter()
        .map(|s| s.trim().split_once('.').map_or(0, |(_, f)| f.len()))
        .max()
        .unwrap_or(0);
    Ok(Some(
        (0..=steps as usize)
            .map(|i| trimmed(a + i as f64 * h, decimals))
            .collect(),
    ))
}

/// `x` with `decimals` digits, trailing zeros removed: 0.55, not 0.5500000000000002.
fn trimmed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The JSON form of a parameter value: a boolean, a number, or the text itself.
pub fn parameter_value(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .and_then(|x| {
                if x.fract() == 0.0 && x.abs() < 9e15 && !text.contains(['.', 'e', 'E']) {
                    Some(Value::from(x as i64))
                } else {
                    serde_json::Number::from_f64(x).map(Value::Number)
                }
            })
            .unwrap_or_else(|| Value::String(text.to_string())),
    }
}

/// The one spelling of a value, to find a value given twice.
pub fn canonical(parameter: &str, value: &str) -> String {
    if let Ok(x) = value.parse::<f64>() {
        return format!("{}", x + 0.0);
    }
    let distribution = match parameter {
        "service" => value.parse::<Service>().ok().map(|s| s.to_string()),
        "arrivals" => value.parse::<Arrivals>().ok().map(|a| a.to_string()),
        _ => None,
    };
    distribution.unwrap_or_else(|| value.trim().to_ascii_lowercase().replace('-', "_"))
}

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub name: String,
    pub values: Vec<String>,
}

/// The cartesian product of the dimensions, enumerated with the last dimension fastest.
#[derive(Debug, Clone)]
pub struct Grid {
    pub dimensions: Vec<Dimension>,
    points: u64,
}

impl Grid {
    pub fn new(dimensions: Vec<Dimension>) -> Result<Grid, SweepError> {
        Grid::with_key(dimensions, &|d: &Dimension, v: &str| canonical(&d.name, v))
    }

    /// The grid, with `key` telling values that mean the same: two values of a dimension
    /// with one key are refused.
    pub fn with_key(
        dimensions: Vec<Dimension>,
        key: &dyn Fn(&Dimension, &str) -> String,
    ) -> Result<Grid, SweepError> {
        let mut points: u64 = 1;
        for d in &dimensions {
            // A value given twice would simulate the same point twice: say so instead. Numbers
            // and distributions are the same however written (0.5, 0.50, 5e-1; exp:1,
            // exponential:1.0), names whatever their case and dashes.
            let mut seen = std::collections::HashMap::with_capacity(d.values.len());
            for v in &d.values {
                let key = key(d, v);
                if let Some(w) = seen.insert(key, v) {
                    return Err(SweepError(format!(
                        "--{}: {v} is given twice (as {w}); each value is one point",
                        d.name.replace('_', "-")
                    )));
                }
            }
            points = points
                .checked_mul(d.values.len() as u64)
                .filter(|&n| n <= MAX_POINTS)
                .ok_or_else(|| {
                    SweepError(format!(
                        "the sweep has more than {MAX_POINTS} points; split it into several sweeps"
                    ))
                })?;
        }
        Ok(Grid { dimensions, points })
    }

    pub fn len(&self) -> u64 {
        self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points == 0
    }

    /// The value of each dimension at point `index`.
    pub fn point(&self, index: u64) -> Vec<&str> {
        let mut rest = index;
        let mut values = vec![""; self.dimensions.len()];
        for (slot, d) in values.iter_mut().zip(&self.dimensions).rev() {
            let n = d.values.len() as u64;
            *slot = &d.values[(rest % n) as usize];
            rest /= n;
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_given_twice_in_another_spelling_is_refused() {
        let grid = |name: &str, values: &[&str]| {
            Grid::new(vec![Dimension {
                name: name.into(),
                values: values.iter().map(|v| v.to_string()).collect(),
            }])
        };
        for (name, values) in [
            ("load", &["0.5", "5e-1"][..]),
            ("service", &["exp:1", "exponential:1.0"]),
            ("arrivals", &["det", "deterministic"]),
            ("balancer", &["round_robin", "Round-Robin"]),
        ] {
            let err = grid(name, values).unwrap_err().to_string();
            assert!(err.contains("given twice"), "{name}: {err}");
        }
        assert!(grid("service", &["exp:1", "exp:2", "lognormal:1:1"]).is_ok());
    }

    #[test]
    fn lists_and_ranges_expand() {
        assert_eq!(alternatives("5,10,20", ',').unwrap(), ["5", "10", "20"]);
        assert_eq!(
            alternatives("0.5:0.7:0.05", ',').unwrap(),
            ["0.5", "0.55", "0.6", "0.65", "0.7"]
        );
        assert_eq!(
            alternatives("1:3:1,10", ',').unwrap(),
            ["1", "2", "3", "10"]
        );
        assert_eq!(alternatives("0.5:0.95:0.05", ',').unwrap().len(), 10);
        assert_eq!(
            alternatives("exp:1,lognormal:1:3", ',').unwrap(),
            ["exp:1", "lognormal:1:3"]
        );
        assert_eq!(alternatives("1,2;3,4", ';').unwrap(), ["1,2", "3,4"]);
    }

    #[test]
    fn bad_ranges_say_why() {
        assert!(
            alternatives("1:0:1", ',')
                .unwrap_err()
                .0
                .contains("START <= STOP")
        );
        assert!(
            alternatives("0:1:0", ',')
                .unwrap_err()
                .0
                .contains("STEP above 0")
        );
        assert!(
            alternatives("1,,2", ',')
                .unwrap_err()
                .0
                .contains("empty item")
        );
        assert!(
            alternatives("0:1e9:1e-3", ',')
                .unwrap_err()
                .0
                .contains("more than")
        );
    }

    #[test]
    fn grid_enumerates_last_dimension_fastest() {
        let d = |n: &str, v: &[&str]| Dimension {
            name: n.into(),
            values: v.iter().map(|s| s.to_string()).collect(),
        };
        let grid = Grid::new(vec![d("a", &["1", "2"]), d("b", &["x", "y", "z"])]).unwrap();
        assert_eq!(grid.len(), 6);
        assert_eq!(grid.point(0), ["1", "x"]);
        assert_eq!(grid.point(2), ["1", "z"]);
        assert_eq!(grid.point(3), ["2", "x"]);
        assert_eq!(grid.point(5), ["2", "z"]);
    }

    #[test]
    fn parameters_keep_their_type() {
        assert_eq!(parameter_value("5"), Value::from(5));
        assert_eq!(parameter_value("0.55"), Value::from(0.55));
        assert_eq!(parameter_value("true"), Value::Bool(true));
        assert_eq!(parameter_value("exp:1"), Value::from("exp:1"));
    }
}
