//! Typed values parsed from the source document's wording.
//!
//! The source writes quantities as prose identifiers (`"30_seconds"`, `"5-20"`,
//! `"medium_to_high"`, `"40-80%"`). Each type here parses that wording into a
//! number or an ordered enum and keeps the original text for display. In JSON a
//! typed value is an object holding both (`{"seconds": 30.0, "text": "30_seconds"}`);
//! on input the compact wording, a bare number or the object are all accepted.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::units::{self, split_number, time_unit_seconds};

/// Why a piece of source wording could not be read as a typed value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {got:?}")]
pub struct ValueError {
    pub expected: &'static str,
    pub got: String,
}

impl ValueError {
    fn new(expected: &'static str, got: impl Into<String>) -> Self {
        Self {
            expected,
            got: got.into(),
        }
    }
}

/// Formats a number without a trailing `.0`, for canonical text.
pub(crate) fn fmt_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// A length of time in seconds, from `"30_seconds"`, `"1_second"`, `"5m"`, `"1h"`, `"250ms"` or a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Duration {
    pub seconds: f64,
    pub text: String,
}

impl Duration {
    pub fn from_seconds(seconds: f64) -> Self {
        let text = format!(
            "{}_{}",
            fmt_number(seconds),
            if seconds == 1.0 { "second" } else { "seconds" }
        );
        Self { seconds, text }
    }
}

impl FromStr for Duration {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "a non-negative duration such as 30_seconds, 1.5s, 5m or 1h";
        let seconds = units::seconds(text).ok_or_else(|| ValueError::new(EXPECTED, text))?;
        Ok(Self {
            seconds,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} s", fmt_number(self.seconds))
    }
}

/// Counts above this are surely typos, and beyond it f64 no longer holds every whole number.
const MAX_COUNT: f64 = 1e15;

/// A whole count read from wording such as `"5_consecutive_failures"`, `"1000_items"` or `"every_100_items"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    pub count: u64,
    pub text: String,
}

impl FromStr for Count {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "a whole count such as 5_consecutive_failures or 1000_items";
        let err = || ValueError::new(EXPECTED, text);
        // The number leads, or follows `every_`: "ipv6_items" is a word, not six items.
        let body = text.trim();
        let body = body.strip_prefix("every_").unwrap_or(body);
        if !body.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err());
        }
        let (number, _) = split_number(body).ok_or_else(err)?;
        if number.fract() != 0.0 || number > MAX_COUNT {
            return Err(err());
        }
        Ok(Self {
            count: number as u64,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.count)
    }
}

/// A single percentage, from `"20_percent"` or `"20%"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Percent {
    pub percent: f64,
    pub text: String,
}

impl FromStr for Percent {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "a percentage from 0 to 100 such as 20_percent or 20%";
        let err = || ValueError::new(EXPECTED, text);
        if !text
            .trim()
            .starts_with(|c: char| c.is_ascii_digit() || c == '.')
        {
            return Err(err());
        }
        let (number, unit) = split_number(text).ok_or_else(err)?;
        if !matches!(unit.as_str(), "percent" | "%") || number > 100.0 {
            return Err(err());
        }
        Ok(Self {
            percent: number,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", fmt_number(self.percent))
    }
}

fn parse_range(text: &str, suffix: &str) -> Option<(f64, f64)> {
    let body = text.trim().strip_suffix(suffix)?;
    let (lo, hi) = match body.split_once('-') {
        Some((lo, hi)) => (lo.trim().parse().ok()?, hi.trim().parse().ok()?),
        None => {
            let x: f64 = body.trim().parse().ok()?;
            (x, x)
        }
    };
    Some((lo, hi))
}

/// An inclusive range of agent counts, from `"5-20"`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRange {
    pub min: u32,
    pub max: u32,
    pub text: String,
}

impl AgentRange {
    pub fn contains(&self, agents: u32) -> bool {
        (self.min..=self.max).contains(&agents)
    }
}

impl FromStr for AgentRange {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "an agent range such as 5-20";
        let err = || ValueError::new(EXPECTED, text);
        let (min, max) = parse_range(text, "").ok_or_else(err)?;
        let whole = |x: f64| x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64;
        if !whole(min) || !whole(max) {
            return Err(err());
        }
        Ok(Self {
            min: min as u32,
            max: max as u32,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for AgentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

/// A range of percentages, from `"40-80%"`.
#[derive(Debug, Clone, PartialEq)]
pub struct PercentRange {
    pub min: f64,
    pub max: f64,
    pub text: String,
}

impl FromStr for PercentRange {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (min, max) = parse_range(text, "%")
            .ok_or_else(|| ValueError::new("a percentage range such as 40-80%", text))?;
        Ok(Self {
            min,
            max,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for PercentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}%", fmt_number(self.min), fmt_number(self.max))
    }
}

/// An ordinal rating. The order is the declaration order, so levels compare as the words suggest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Minimal,
    Low,
    Medium,
    MediumToHigh,
    High,
    VeryHigh,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Minimal,
        Level::Low,
        Level::Medium,
        Level::MediumToHigh,
        Level::High,
        Level::VeryHigh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Minimal => "minimal",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::MediumToHigh => "medium_to_high",
            Level::High => "high",
            Level::VeryHigh => "very_high",
        }
    }

    /// Position on the scale; differences count the steps between two levels.
    pub fn rank(self) -> i32 {
        self as i32
    }
}

impl FromStr for Level {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Level::ALL
            .into_iter()
            .find(|level| level.as_str() == wanted)
            .ok_or_else(|| {
                ValueError::new(
                    "one of minimal, low, medium, medium_to_high, high, very_high",
                    text,
                )
            })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How quickly a conflict-resolution strategy settles, ordered fastest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    Fast,
    Medium,
    Slow,
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pace::Fast => "fast",
            Pace::Medium => "medium",
            Pace::Slow => "slow",
        })
    }
}

/// An on/off setting, written `"enabled"`/`"disabled"` in the source and `true`/`false` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Toggle(pub bool);

impl FromStr for Toggle {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "enabled" | "on" | "true" | "yes" => Ok(Toggle(true)),
            "disabled" | "off" | "false" | "no" => Ok(Toggle(false)),
            _ => Err(ValueError::new("enabled or disabled", text)),
        }
    }
}

impl fmt::Display for Toggle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "enabled" } else { "disabled" })
    }
}

impl<'de> Deserialize<'de> for Toggle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToggleVisitor;
        impl Visitor<'_> for ToggleVisitor {
            type Value = Toggle;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("enabled, disabled or a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Toggle, E> {
                Ok(Toggle(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Toggle, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(ToggleVisitor)
    }
}

impl JsonSchema for Toggle {
    fn schema_name() -> Cow<'static, str> {
        "Toggle".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "On or off: a boolean, or the words enabled / disabled.",
            "anyOf": [{"type": "boolean"}, {"enum": ["enabled", "disabled"]}]
        })
    }
}

/// Implements the text-or-number-or-object JSON form shared by the quantity types.
///
/// `$key` names the object's typed fields; `$from_number` builds the value from a bare number.
macro_rules! quantity_serde {
    ($ty:ident, $name:literal, $example:literal, [$($key:ident),+], $from_number:expr, $from_keys:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut s = serializer.serialize_struct($name, 1 + [$(stringify!($key)),+].len())?;
                $(s.serialize_field(stringify!($key), &self.$key)?;)+
                s.serialize_field("text", &self.text)?;
                s.end()
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct QuantityVisitor;
                impl<'de> Visitor<'de> for QuantityVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        write!(f, "{}", $example)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(E::custom)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<$ty, E> {
                        let from_number: fn(f64) -> Option<$ty> = $from_number;
                        from_number(v).ok_or_else(|| E::custom(format!("expected {}, got {v}", $example)))
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<$ty, E> {
                        self.visit_f64(v as f64)
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<$ty, E> {
                        self.visit_f64(v as f64)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut numbers = serde_json::Map::new();
                        let mut text: Option<String> = None;
                        while let Some(key) = map.next_key::<String>()? {
                            match key.as_str() {
                                "text" => text = Some(map.next_value()?),
                                $(stringify!($key) => {
                                    numbers.insert(key, serde_json::Value::from(map.next_value::<f64>()?));
                                })+
                                other => {
                                    return Err(de::Error::unknown_field(other, &[$(stringify!($key)),+, "text"]));
                                }
                            }
                        }
                        let from_keys: fn(&serde_json::Map<String, serde_json::Value>) -> Option<$ty> = $from_keys;
                        let value = from_keys(&numbers).ok_or_else(|| {
                            de::Error::custom(format!("expected {}, as text or an object with {}", $example,
                                [$(stringify!($key)),+].join(" and ")))
                        })?;
                        match text {
                            None => Ok(value),
                            Some(text) => {
                                let parsed: $ty = text.parse().map_err(de::Error::custom)?;
                                if parsed.same_value(&value) {
                                    Ok(parsed)
                                } else {
                                    Err(de::Error::custom(format!(
                                        "text {text:?} disagrees with the numbers given beside it; change or remove one"
                                    )))
                                }
                            }
                        }
                    }
                }
                deserializer.deserialize_any(QuantityVisitor)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let mut properties = serde_json::Map::new();
                $(properties.insert(stringify!($key).into(), serde_json::json!({"type": "number"}));)+
                properties.insert("text".into(), serde_json::json!({"type": "string"}));
                json_schema!({
                    "description": format!("{} Written as text, or as an object with the numbers and optional original text.", $example),
                    "anyOf": [
                        {"type": "string"},
                        {"type": "number"},
                        {"type": "object", "properties": properties, "required": [$(stringify!($key)),+], "additionalProperties": false}
                    ]
                })
            }
        }
    };
}

fn key(map: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<f64> {
    map.get(name)?.as_f64()
}

trait SameValue {
    fn same_value(&self, other: &Self) -> bool;
}

impl SameValue for Duration {
    fn same_value(&self, other: &Self) -> bool {
        (self.seconds - other.seconds).abs() < 1e-9
    }
}
impl SameValue for Count {
    fn same_value(&self, other: &Self) -> bool {
        self.count == other.count
    }
}
impl SameValue for Percent {
    fn same_value(&self, other: &Self) -> bool {
        (self.percent - other.percent).abs() < 1e-9
    }
}
impl SameValue for AgentRange {
    fn same_value(&self, other: &Self) -> bool {
        self.min == other.min && self.max == other.max
    }
}
impl SameValue for PercentRange {
    fn same_value(&self, other: &Self) -> bool {
        (self.min - other.min).abs() < 1e-9 && (self.max - other.max).abs() < 1e-9
    }
}

fn whole(x: f64) -> Option<u64> {
    (x >= 0.0 && x.fract() == 0.0 && x <= MAX_COUNT).then_some(x as u64)
}

quantity_serde!(
    Duration,
    "Duration",
    "a non-negative duration such as 30_seconds or 5m (a bare number is seconds)",
    [seconds],
    |v| (v >= 0.0 && v.is_finite()).then(|| Duration::from_seconds(v)),
    |m| {
        let s = key(m, "seconds")?;
        (s >= 0.0 && s.is_finite()).then(|| Duration::from_seconds(s))
    }
);

quantity_serde!(
    Count,
    "Count",
    "a whole count such as 5_consecutive_failures",
    [count],
    |v| whole(v).map(|count| Count {
        count,
        text: count.to_string()
    }),
    |m| whole(key(m, "count")?).map(|count| Count {
        count,
        text: count.to_string()
    })
);

quantity_serde!(
    Percent,
    "Percent",
    "a percentage such as 20_percent",
    [percent],
    |v| (0.0..=100.0).contains(&v).then(|| Percent {
        percent: v,
        text: format!("{}_percent", fmt_number(v))
    }),
    |m| {
        let v = key(m, "percent")?;
        (0.0..=100.0).contains(&v).then(|| Percent {
            percent: v,
            text: format!("{}_percent", fmt_number(v)),
        })
    }
);

quantity_serde!(
    AgentRange,
    "AgentRange",
    "an agent range such as 5-20",
    [min, max],
    |v| whole(v).map(|n| AgentRange {
        min: n as u32,
        max: n as u32,
        text: n.to_string()
    }),
    |m| {
        let (min, max) = (whole(key(m, "min")?)?, whole(key(m, "max")?)?);
        Some(AgentRange {
            min: min as u32,
            max: max as u32,
            text: format!("{min}-{max}"),
        })
    }
);

quantity_serde!(
    PercentRange,
    "PercentRange",
    "a percentage range such as 40-80%",
    [min, max],
    |v| Some(PercentRange {
        min: v,
        max: v,
        text: format!("{}%", fmt_number(v))
    }),
    |m| {
        let (min, max) = (key(m, "min")?, key(m, "max")?);
        Some(PercentRange {
            min,
            max,
            text: format!("{}-{}%", fmt_number(min), fmt_number(max)),
        })
    }
);

/// A pattern configuration parameter, typed by its wording: a duration, a percentage,
/// a count, or plain text such as `"raft_consensus"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Param {
    Duration(Duration),
    Percent(Percent),
    Count(Count),
    Text(String),
}

impl Param {
    fn parse(text: &str) -> Param {
        if let Some((_, unit)) = split_number(text) {
            if time_unit_seconds(&unit).is_some_and(|_| !unit.is_empty())
                && let Ok(d) = text.parse()
            {
                return Param::Duration(d);
            }
            if let Ok(p) = text.parse() {
                return Param::Percent(p);
            }
            if let Ok(c) = text.parse() {
                return Param::Count(c);
            }
        }
        Param::Text(text.to_string())
    }

    pub fn as_duration(&self) -> Option<&Duration> {
        match self {
            Param::Duration(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_percent(&self) -> Option<&Percent> {
        match self {
            Param::Percent(p) => Some(p),
            _ => None,
        }
    }

    pub fn as_count(&self) -> Option<&Count> {
        match self {
            Param::Count(c) => Some(c),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Param::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Param::Duration(_) => "a duration",
            Param::Percent(_) => "a percentage",
            Param::Count(_) => "a count",
            Param::Text(_) => "text",
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Duration(d) => d.fmt(f),
            Param::Percent(p) => p.fmt(f),
            Param::Count(c) => c.fmt(f),
            Param::Text(t) => f.write_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let typed = |r: Result<Param, serde_json::Error>| r.map_err(de::Error::custom);
        match &value {
            serde_json::Value::String(text) => Ok(Param::parse(text)),
            serde_json::Value::Object(map) if map.contains_key("seconds") => {
                typed(serde_json::from_value(value).map(Param::Duration))
            }
            serde_json::Value::Object(map) if map.contains_key("percent") => {
                typed(serde_json::from_value(value).map(Param::Percent))
            }
            serde_json::Value::Object(map) if map.contains_key("count") => {
                typed(serde_json::from_value(value).map(Param::Count))
            }
            _ => Err(de::Error::custom(
                "expected text with its unit, such as 30_seconds, 20_percent, 1000_items or a word, or an object with seconds, percent or count",
            )),
        }
    }
}

impl JsonSchema for Param {
    fn schema_name() -> Cow<'static, str> {
        "Param".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A configuration parameter, typed by its wording: 30_seconds is a duration, 20_percent a percentage, 1000_items a count, anything else text.",
            "anyOf": [
                {"type": "string"},
                generator.subschema_for::<Duration>(),
                generator.subschema_for::<Percent>(),
                generator.subschema_for::<Count>()
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_the_source_wording() {
        let cases = [
            ("30_seconds", 30.0),
            ("1_second", 1.0),
            ("0_seconds", 0.0),
            ("1m", 60.0),
            ("15m", 900.0),
            ("1h", 3600.0),
            ("250ms", 0.25),
            ("1.5s", 1.5),
            ("2", 2.0),
        ];
        for (text, seconds) in cases {
            let d: Duration = text.parse().unwrap();
            assert_eq!(d.seconds, seconds, "{text}");
            assert_eq!(d.text, text);
        }
        for bad in ["", "fast", "-5_seconds", "5_parsecs", "seconds_5"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn counts_percentages_and_ranges() {
        assert_eq!("5_consecutive_failures".parse::<Count>().unwrap().count, 5);
        assert_eq!("every_100_items".parse::<Count>().unwrap().count, 100);
        assert_eq!("1000_items".parse::<Count>().unwrap().count, 1000);
        assert!("many_items".parse::<Count>().is_err());
        assert!("ipv6_items".parse::<Count>().is_err());
        assert!("99999999999999999999999_items".parse::<Count>().is_err());
        assert!("150_percent".parse::<Percent>().is_err());
        assert!(
            format!("{}_seconds", "9".repeat(400))
                .parse::<Duration>()
                .is_err()
        );
        assert_eq!("20_percent".parse::<Percent>().unwrap().percent, 20.0);
        assert!("20_items".parse::<Percent>().is_err());
        let r: AgentRange = "5-100".parse().unwrap();
        assert_eq!((r.min, r.max), (5, 100));
        assert!(r.contains(5) && r.contains(100) && !r.contains(101));
        assert!("five-ten".parse::<AgentRange>().is_err());
        let p: PercentRange = "40-80%".parse().unwrap();
        assert_eq!((p.min, p.max), (40.0, 80.0));
        assert!("40-80".parse::<PercentRange>().is_err());
    }

    #[test]
    fn levels_are_ordered_as_the_words_say() {
        let order = [
            "minimal",
            "low",
            "medium",
            "medium_to_high",
            "high",
            "very_high",
        ];
        let parsed: Vec<Level> = order.iter().map(|s| s.parse().unwrap()).collect();
        assert!(parsed.windows(2).all(|w| w[0] < w[1]));
        assert_eq!("Medium-To-High".parse::<Level>(), Ok(Level::MediumToHigh));
        assert!("extreme".parse::<Level>().is_err());
    }

    #[test]
    fn params_are_typed_by_wording() {
        assert!(matches!(Param::parse("60_seconds"), Param::Duration(d) if d.seconds == 60.0));
        assert!(matches!(Param::parse("20_percent"), Param::Percent(p) if p.percent == 20.0));
        assert!(matches!(Param::parse("1000_items"), Param::Count(c) if c.count == 1000));
        assert!(matches!(Param::parse("every_100_items"), Param::Count(c) if c.count == 100));
        assert_eq!(
            Param::parse("raft_consensus"),
            Param::Text("raft_consensus".into())
        );
        assert_eq!(Param::parse("http2_only"), Param::Text("http2_only".into()));
        assert_eq!(Param::parse("ipv6_items"), Param::Text("ipv6_items".into()));
    }

    #[test]
    fn json_accepts_text_number_and_object_forms() {
        let d: Duration = serde_json::from_str(r#""30_seconds""#).unwrap();
        assert_eq!(d.seconds, 30.0);
        let d: Duration = serde_json::from_str("45").unwrap();
        assert_eq!((d.seconds, d.text.as_str()), (45.0, "45_seconds"));
        let d: Duration = serde_json::from_str(r#"{"seconds": 30, "text": "30_seconds"}"#).unwrap();
        assert_eq!(d.text, "30_seconds");
        let err = serde_json::from_str::<Duration>(r#"{"seconds": 90, "text": "30_seconds"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("disagrees"), "{err}");
        let back = serde_json::to_value(&d).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"seconds": 30.0, "text": "30_seconds"})
        );
        let r: AgentRange = serde_json::from_str(r#"{"min": 2, "max": 9}"#).unwrap();
        assert_eq!(r.text, "2-9");
        assert!(serde_json::from_str::<Duration>("-3").is_err());
    }
}
