//! The notations of scenario values, shared by flags and files: names and number lists,
//! durations, queue modes, buffers, task kinds, capabilities and timeouts.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::names::normalize;

use super::MAX_KINDS;

/// One value or a list, as `pattern = "pipeline"` or `pattern = ["pipeline", "scatter_gather"]`;
/// a string may hold a comma list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Names(pub Vec<String>);

impl FromStr for Names {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let names: Vec<String> = s
            .split(',')
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            Err("expected one or more names separated by commas".into())
        } else {
            Ok(Names(names))
        }
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a name, a comma list or a list of names"))?
        {
            Raw::One(s) => s.parse().map_err(de::Error::custom),
            Raw::Many(v) => Ok(Names(v)),
        }
    }
}

/// Numbers as `1,1,2,4` on the command line or `[1, 1, 2, 4]` in a file.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Numbers(pub Vec<f64>);

impl FromStr for Numbers {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',')
            .map(|x| {
                x.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| {
                        format!(
                            "expected positive numbers separated by commas, got '{}'",
                            x.trim()
                        )
                    })
            })
            .collect::<Result<Vec<f64>, String>>()
            .map(Numbers)
    }
}

impl<'de> Deserialize<'de> for Numbers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            List(Vec<f64>),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a list of positive numbers"))?
        {
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
            Raw::List(v) => {
                if v.iter().all(|x| x.is_finite() && *x > 0.0) {
                    Ok(Numbers(v))
                } else {
                    Err(de::Error::custom("expected positive numbers"))
                }
            }
        }
    }
}

/// A length of time: seconds as a number, or with a unit (`5s`, `250ms`, `1m`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Seconds(pub f64);

impl FromStr for Seconds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(x) = s.trim().parse::<f64>()
            && x >= 0.0
            && x.is_finite()
        {
            return Ok(Seconds(x));
        }
        crate::units::seconds(s)
            .map(Seconds)
            .ok_or_else(|| format!("expected seconds such as 5, 0.25, 5s or 250ms, got '{s}'"))
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected seconds, as a number or text such as 5s"))?
        {
            Raw::Number(x) if x >= 0.0 && x.is_finite() => Ok(Seconds(x)),
            Raw::Number(x) => Err(de::Error::custom(format!(
                "expected a non-negative number of seconds, got {x}"
            ))),
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

/// Where a master keeps dispatched tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum QueueMode {
    /// Each task goes at once to a worker's own queue.
    PerAgent,
    /// Tasks wait at the master until a worker is idle (late binding).
    Shared,
}

impl FromStr for QueueMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match normalize(s).as_str() {
            "per_agent" => Ok(QueueMode::PerAgent),
            "shared" => Ok(QueueMode::Shared),
            _ => Err("expected shared or per-agent".into()),
        }
    }
}

crate::sim::resilience::parsed_from_text!(QueueMode);

/// A pipeline buffer size, or no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffer {
    Items(u32),
    Unbounded,
}

impl FromStr for Buffer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unbounded" | "inf" | "infinite" => Ok(Buffer::Unbounded),
            other => other
                .parse::<u32>()
                .map(Buffer::Items)
                .map_err(|_| format!("expected a whole number of items or 'unbounded', got '{s}'")),
        }
    }
}

impl Serialize for Buffer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Buffer::Items(n) => s.serialize_u32(*n),
            Buffer::Unbounded => s.serialize_str("unbounded"),
        }
    }
}

impl<'de> Deserialize<'de> for Buffer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u32),
            Text(String),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a whole number of items or \"unbounded\""))?
        {
            Raw::Number(n) => Ok(Buffer::Items(n)),
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

/// Task kinds with their weights: `gpu:1,cpu:3`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Kinds(pub Vec<(String, f64)>);

impl FromStr for Kinds {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut kinds = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once(':').unwrap_or((part, "1"));
            let weight: f64 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w > 0.0)
                .ok_or_else(|| format!("weight of '{name}' must be a positive number"))?;
            let name = name.trim().to_string();
            if name.is_empty() || kinds.iter().any(|(n, _)| *n == name) {
                return Err(format!(
                    "kind names must be distinct and non-empty, got '{part}'"
                ));
            }
            kinds.push((name, weight));
        }
        if kinds.is_empty() {
            return Err("expected NAME:WEIGHT pairs such as gpu:1,cpu:3".into());
        }
        if kinds.len() > MAX_KINDS {
            return Err(format!("at most {MAX_KINDS} kinds"));
        }
        Ok(Kinds(kinds))
    }
}

impl fmt::Display for Kinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(n, w)| format!("{n}:{w}")).collect();
        f.write_str(&parts.join(","))
    }
}

/// Per-agent capability sets: `gpu+cpu,cpu,*` (`*` is every kind); the list is cycled over the workers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capabilities(pub Vec<Vec<String>>);

impl FromStr for Capabilities {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let sets: Vec<Vec<String>> = s
            .split(',')
            .map(|agent| {
                agent
                    .split('+')
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .collect();
        if sets.iter().any(Vec::is_empty) {
            return Err(
                "each agent needs at least one kind: gpu+cpu,cpu,* (* is every kind)".into(),
            );
        }
        Ok(Capabilities(sets))
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|set| set.join("+")).collect();
        f.write_str(&parts.join(","))
    }
}

macro_rules! text_serde {
    ($($ty:ty),+) => {$(
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(de::Error::custom)
            }
        }
    )+};
}
text_serde!(Kinds, Capabilities);

/// A request timeout in seconds, or `none`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timeout {
    Seconds(f64),
    None,
}

impl FromStr for Timeout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if normalize(s) == "none" {
            return Ok(Timeout::None);
        }
        match s.parse::<Seconds>() {
            Ok(Seconds(x)) if x > 0.0 => Ok(Timeout::Seconds(x)),
            _ => Err(format!(
                "expected seconds above 0 such as 30 or 500ms, or none, got '{s}'"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| de::Error::custom("expected seconds or \"none\""))? {
            Raw::Number(x) if x > 0.0 && x.is_finite() => Ok(Timeout::Seconds(x)),
            Raw::Number(x) => Err(de::Error::custom(format!(
                "expected seconds above 0, got {x}"
            ))),
            Raw::Text(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

/// How a scatter-gather request's work is shared among its shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum ShardWork {
    /// Each of the k shards does 1/k of the request's work.
    Split,
    /// Each shard does the whole request's work, as a search over k index shards does.
    Full,
}

impl FromStr for ShardWork {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match normalize(s).as_str() {
            "split" => Ok(ShardWork::Split),
            "full" => Ok(ShardWork::Full),
            _ => Err(format!("expected split or full, got '{s}'")),
        }
    }
}

crate::sim::resilience::parsed_from_text!(ShardWork);

/// How the parts of a request (stages, shards) get their work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Parts {
    /// They split the request's one draw: a long request is long at every stage.
    Correlated,
    /// Each part draws its own work with the same mean (what tandem-queue and fork-join
    /// formulas assume).
    Independent,
}

impl FromStr for Parts {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match normalize(s).as_str() {
            "correlated" => Ok(Parts::Correlated),
            "independent" => Ok(Parts::Independent),
            _ => Err(format!("expected correlated or independent, got '{s}'")),
        }
    }
}

crate::sim::resilience::parsed_from_text!(Parts);

/// A latency objective: the share `quantile` of all requests must complete within
/// `deadline` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slo {
    pub deadline: f64,
    pub quantile: f64,
}

impl Slo {
    /// The share assumed when only a deadline is given.
    pub const DEFAULT_QUANTILE: f64 = 0.99;
}

impl FromStr for Slo {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (deadline, quantile) = match s.split_once('@') {
            Some((d, q)) => (d, Some(q)),
            None => (s, None),
        };
        let deadline = match deadline.parse::<Seconds>() {
            Ok(Seconds(d)) if d > 0.0 => d,
            _ => {
                return Err(format!(
                    "expected a deadline above 0 such as 2s or 500ms, then optionally @ and a share such as 99%, got '{s}'"
                ));
            }
        };
        let quantile = match quantile.map(str::trim) {
            None => Slo::DEFAULT_QUANTILE,
            Some(q) => {
                let value = match q.strip_suffix('%') {
                    Some(p) => p.trim().parse::<f64>().map(|p| p / 100.0),
                    None => q.parse::<f64>(),
                }
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    format!("expected a share such as 99% or 0.99 after @, got '{q}'")
                })?;
                if value >= 1.0 {
                    return Err(format!(
                        "a share of {q} cannot be shown by a finite simulation: one late request in any number would refute it; ask for 99.9% or 99.99%"
                    ));
                }
                if value <= 0.0 {
                    return Err(format!("expected a share above 0, got '{q}'"));
                }
                value
            }
        };
        Ok(Slo { deadline, quantile })
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}s@{}%",
            crate::number::round_sig(self.deadline),
            crate::number::round_sig(100.0 * self.quantile)
        )
    }
}

impl Serialize for Slo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("deadline", &crate::number::round_sig(self.deadline))?;
        map.serialize_entry("quantile", &crate::number::round_sig(self.quantile))?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Slo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(de::Error::custom)
    }
}
