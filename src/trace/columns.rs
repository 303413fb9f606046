//! Which column of a trace holds what: found by header name, or named by the user in a
//! spec string (`time=TIMESTAMP,in=ContextTokens`), because every team's logs call them
//! something else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::distribution::notation_serde;

use crate::names::{closest, suggest};

/// What a column of a trace means to the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Time,
    Work,
    TokensIn,
    TokensOut,
    /// Observed end-to-end latency: to calibrate against, never the work itself.
    Latency,
    Kind,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Time,
        Role::Work,
        Role::TokensIn,
        Role::TokensOut,
        Role::Latency,
        Role::Kind,
    ];

    /// The name in the JSON document and in a spec string's long form.
    pub fn id(self) -> &'static str {
        match self {
            Role::Time => "time",
            Role::Work => "work",
            Role::TokensIn => "tokens_in",
            Role::TokensOut => "tokens_out",
            Role::Latency => "latency",
            Role::Kind => "kind",
        }
    }

    /// Header names recognised without a spec, normalised (see [`normalize`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Role::Time => &["time", "timestamp"],
            Role::Work => &["work", "duration", "service"],
            Role::TokensIn => &["tokensin", "contexttokens", "inputtokens", "prompttokens"],
            Role::TokensOut => &[
                "tokensout",
                "generatedtokens",
                "outputtokens",
                "completiontokens",
            ],
            Role::Latency => &["latency", "responsetime"],
            Role::Kind => &["kind"],
        }
    }

    /// Only quantities of time can be in milliseconds; `tokens_ms` means nothing.
    fn timed(self) -> bool {
        matches!(self, Role::Time | Role::Work | Role::Latency)
    }

    fn from_key(key: &str) -> Option<Role> {
        Some(match normalize(key).as_str() {
            "time" | "timestamp" => Role::Time,
            "work" | "duration" | "service" => Role::Work,
            "in" | "tokensin" => Role::TokensIn,
            "out" | "tokensout" => Role::TokensOut,
            "latency" => Role::Latency,
            "kind" => Role::Kind,
            _ => return None,
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Lower case without `_`, `-` or spaces: `Context_Tokens`, `context-tokens` and
/// `ContextTokens` are one name.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The columns the user named: `time=TIMESTAMP,in=ContextTokens,out=GeneratedTokens,
/// work=..,latency=..,kind=..`. Roles left out are still found by header name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnSpec(pub Vec<(Role, String)>);

notation_serde!(ColumnSpec);

const SPEC_FORM: &str = "ROLE=COLUMN pairs separated by commas, ROLE one of time, work, in, out, latency, kind (time=TIMESTAMP,in=ContextTokens)";

impl FromStr for ColumnSpec {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let mut pairs: Vec<(Role, String)> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, column) = part
                .split_once('=')
                .ok_or_else(|| format!("expected {SPEC_FORM}, got '{part}'"))?;
            let role = Role::from_key(key).ok_or_else(|| {
                let keys = ["time", "work", "in", "out", "latency", "kind"];
                format!(
                    "unknown role '{}' in '{part}': expected time, work, in, out, latency or kind{}",
                    key.trim(),
                    suggest(&closest(key, keys))
                )
            })?;
            let column = column.trim();
            if column.is_empty() {
                return Err(format!("no column named for {role} in '{part}'"));
            }
            if pairs.iter().any(|(r, _)| *r == role) {
                return Err(format!("{role} is named twice in '{text}'"));
            }
            pairs.push((role, column.to_string()));
        }
        if pairs.is_empty() {
            return Err(format!("expected {SPEC_FORM}, got '{text}'"));
        }
        Ok(ColumnSpec(pairs))
    }
}

impl fmt::Display for ColumnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = |r: Role| match r {
            Role::TokensIn => "in",
            Role::TokensOut => "out",
            other => other.id(),
        };
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(r, c)| format!("{}={c}", key(*r)))
            .collect();
        f.write_str(&pairs.join(","))
    }
}

/// Where one role's values are: the field's index, its header as written, and the factor
/// to seconds (0.001 for a column in milliseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub role: Role,
    pub index: usize,
    pub header: String,
    pub scale: f64,
}

/// Milliseconds are said by the name: `duration_ms`, `latencyMs`, `Latency MS`.
fn in_milliseconds(header: &str, role: Role) -> bool {
    if !role.timed() {
        return false;
    }
    let n = normalize(header);
    let alias_ms = role
        .aliases()
        .iter()
        .any(|a| n.strip_suffix("ms") == Some(a));
    let trimmed = header.trim();
    let separated = trimmed.len() > 3
        && trimmed.to_ascii_lowercase().ends_with("ms")
        && matches!(trimmed.as_bytes()[trimmed.len() - 3], b'_' | b'-' | b' ');
    let camel = trimmed.ends_with("Ms")
        && trimmed
            .as_bytes()
            .get(trimmed.len().wrapping_sub(3))
            .is_some_and(u8::is_ascii_lowercase);
    alias_ms || separated || camel
}

/// The columns of a header, each role found by the spec or else by name. Errors are
/// reasons for the header line; the caller adds the path.
pub fn resolve(headers: &[&str], spec: &ColumnSpec) -> Result<Vec<Column>, (Option<Role>, String)> {
    let found = || {
        let quoted: Vec<String> = headers.iter().map(|h| format!("'{h}'")).collect();
        format!("headers found: {}", quoted.join(", "))
    };
    let mut columns: Vec<Column> = Vec::new();
    for role in Role::ALL {
        let named = spec.0.iter().find(|(r, _)| *r == role).map(|(_, c)| c);
        let index = match named {
            Some(name) => {
                let exact = headers.iter().position(|h| h.trim() == name);
                let loose = || {
                    let n = normalize(name);
                    headers.iter().position(|h| normalize(h) == n)
                };
                match exact.or_else(loose) {
                    Some(i) => Some(i),
                    None => {
                        return Err((
                            Some(role),
                            format!(
                                "no column '{name}' ({}){}",
                                found(),
                                suggest(&closest(name, headers.iter().copied()))
                            ),
                        ));
                    }
                }
            }
            None => headers.iter().position(|h| {
                let n = normalize(h);
                role.aliases()
                    .iter()
                    .any(|a| n == *a || (role.timed() && n.strip_suffix("ms") == Some(a)))
            }),
        };
        if let Some(index) = index {
            if let Some(other) = columns.iter().find(|c| c.index == index) {
                return Err((
                    Some(role),
                    format!(
                        "column '{}' is already the {} column",
                        headers[index], other.role
                    ),
                ));
            }
            let header = headers[index].trim().to_string();
            let scale = if in_milliseconds(&header, role) {
                0.001
            } else {
                1.0
            };
            columns.push(Column {
                role,
                index,
                header,
                scale,
            });
        }
    }
    let has = |r: Role| columns.iter().any(|c| c.role == r);
    if !has(Role::Time) {
        let near: Vec<String> = Role::Time
            .aliases()
            .iter()
            .flat_map(|a| closest(a, headers.iter().copied()))
            .fold(Vec::new(), |mut v, h| {
                if !v.contains(&h) {
                    v.push(h);
                }
                v
            });
        return Err((
            Some(Role::Time),
            format!(
                "no time column: name it time or timestamp, or map it with --trace-columns time=NAME ({}){}",
                found(),
                suggest(&near)
            ),
        ));
    }
    if !has(Role::Work) && !has(Role::TokensIn) && !has(Role::TokensOut) {
        return Err((
            Some(Role::Work),
            format!(
                "no work column: work comes from a work or duration column (seconds, or _ms), or from tokens (tokens_in, tokens_out) with --llm-latency ({})",
                found()
            ),
        ));
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(headers: &[&str], spec: &str) -> Vec<(Role, usize, f64)> {
        let spec = if spec.is_empty() {
            ColumnSpec::default()
        } else {
            spec.parse().unwrap()
        };
        resolve(headers, &spec)
            .unwrap()
            .into_iter()
            .map(|c| (c.role, c.index, c.scale))
            .collect()
    }

    #[test]
    fn headers_match_in_any_case_and_spelling() {
        assert_eq!(
            roles(&["TIMESTAMP", "ContextTokens", "GeneratedTokens"], ""),
            [
                (Role::Time, 0, 1.0),
                (Role::TokensIn, 1, 1.0),
                (Role::TokensOut, 2, 1.0)
            ]
        );
        assert_eq!(
            roles(
                &["time", "Duration_ms", "prompt-tokens", "Response Time"],
                ""
            ),
            [
                (Role::Time, 0, 1.0),
                (Role::Work, 1, 0.001),
                (Role::TokensIn, 2, 1.0),
                (Role::Latency, 3, 1.0)
            ]
        );
    }

    #[test]
    fn a_spec_names_columns_and_milliseconds_come_from_the_name() {
        assert_eq!(
            roles(&["at", "elapsedMs", "n"], "time=at,work=elapsedMs,in=n"),
            [
                (Role::Time, 0, 1.0),
                (Role::Work, 1, 0.001),
                (Role::TokensIn, 2, 1.0)
            ]
        );
        // "items" ends in "ms" but is not milliseconds.
        assert_eq!(
            roles(&["t", "items"], "time=t,work=items"),
            [(Role::Time, 0, 1.0), (Role::Work, 1, 1.0)]
        );
    }

    #[test]
    fn missing_columns_list_the_headers_and_suggest() {
        let (role, reason) = resolve(&["TIMESTAMPS", "work"], &ColumnSpec::default()).unwrap_err();
        assert_eq!(role, Some(Role::Time));
        assert!(reason.contains("'TIMESTAMPS', 'work'"), "{reason}");
        assert!(reason.contains("did you mean TIMESTAMPS?"), "{reason}");
        let (_, reason) = resolve(&["time", "size"], &ColumnSpec::default()).unwrap_err();
        assert!(reason.contains("--llm-latency"), "{reason}");
        let spec: ColumnSpec = "time=TIMESTAMP,in=ContextToken".parse().unwrap();
        let (role, reason) = resolve(&["TIMESTAMP", "ContextTokens"], &spec).unwrap_err();
        assert_eq!(role, Some(Role::TokensIn));
        assert!(reason.contains("did you mean ContextTokens?"), "{reason}");
    }

    #[test]
    fn specs_parse_and_print() {
        let spec: ColumnSpec = "time=TIMESTAMP, in=ContextTokens,out=GeneratedTokens"
            .parse()
            .unwrap();
        assert_eq!(
            spec.to_string(),
            "time=TIMESTAMP,in=ContextTokens,out=GeneratedTokens"
        );
        let err = "tme=x".parse::<ColumnSpec>().unwrap_err();
        assert!(err.contains("did you mean time?"), "{err}");
        assert!("time".parse::<ColumnSpec>().is_err());
        assert!("time=a,time=b".parse::<ColumnSpec>().is_err());
    }
}
