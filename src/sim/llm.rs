//! Agents that call an LLM provider: how long a call takes from its tokens, the provider's
//! quotas shared by every agent, and what the tokens cost.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sim::distribution::{Service, SpecError, notation_serde};
use crate::sim::rounds::Rounds;

/// What a scenario says about LLM calls: every field optional, each checked with the others
/// when the scenario is built.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Llm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_in: Option<Service>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_out: Option<Service>,
    /// The supervisor's routing decision (master_slave), when it is an LLM call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatch_tokens_in: Option<Service>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatch_tokens_out: Option<Service>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LlmLatency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Quota>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_cost: Option<f64>,
    /// The supervisor's final answer (master_slave), when it is an LLM call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_tokens_in: Option<Service>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_tokens_out: Option<Service>,
    /// Input tokens every call gains in each later round of a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_growth: Option<f64>,
}

/// The mean of a token distribution, 0 when it is not given.
fn mean(d: &Option<Service>) -> f64 {
    d.as_ref().map_or(0.0, Service::mean)
}

impl Llm {
    /// Mean tokens of a request's call, in and out.
    pub fn mean_tokens(&self) -> (f64, f64) {
        (mean(&self.tokens_in), mean(&self.tokens_out))
    }

    /// Whether the supervisor's final answer is an LLM call.
    pub fn merging_supervisor(&self) -> bool {
        self.latency.is_some()
            && (self.merge_tokens_in.is_some() || self.merge_tokens_out.is_some())
    }

    /// Mean seconds of the supervisor's final answer at speed 1, when it is an LLM call.
    pub fn merge_seconds(&self) -> Option<f64> {
        let latency = self.latency.filter(|_| self.merging_supervisor())?;
        Some(latency.seconds(mean(&self.merge_tokens_in), mean(&self.merge_tokens_out)))
    }

    /// Whether the supervisor's decision is an LLM call.
    pub fn thinking_supervisor(&self) -> bool {
        self.latency.is_some()
            && (self.dispatch_tokens_in.is_some() || self.dispatch_tokens_out.is_some())
    }

    /// Mean seconds of the supervisor's decision at speed 1, when it is an LLM call.
    pub fn decision_seconds(&self) -> Option<f64> {
        let latency = self.latency.filter(|_| self.thinking_supervisor())?;
        Some(latency.seconds(
            mean(&self.dispatch_tokens_in),
            mean(&self.dispatch_tokens_out),
        ))
    }

    /// Requests per second the provider's quota serves at most, for a pattern making `calls`
    /// calls a round that together carry `token_factor` times the request's tokens, over the
    /// request's rounds (`rounds` and the limit that stops them) and take `seconds` of calls
    /// at speed 1 a request; with a `supervisor` (master_slave), its decisions and its final
    /// answer when they are calls.
    pub fn ceiling(
        &self,
        calls: f64,
        token_factor: f64,
        supervisor: bool,
        rounds: Option<(&Rounds, Option<u32>)>,
        seconds: f64,
    ) -> Option<f64> {
        let quota = self.provider?;
        let (tin, tout) = self.mean_tokens();
        let (n, steps) = rounds.map_or((1.0, 0.0), |(r, limit)| r.run_moments(limit));
        let growth = self.context_growth.unwrap_or(0.0) * steps;
        let mut tokens = n * (tin + tout) * token_factor + growth * token_factor;
        let mut calls = n * calls;
        let mut seconds = seconds;
        if supervisor && self.thinking_supervisor() {
            let decision = mean(&self.dispatch_tokens_in) + mean(&self.dispatch_tokens_out);
            tokens += n * decision + growth;
            calls += n;
            let per_in = self.latency.map_or(0.0, |l| l.per_in);
            seconds += n * self.decision_seconds().unwrap_or(0.0) + per_in * growth;
        }
        if supervisor && self.merging_supervisor() {
            tokens += mean(&self.merge_tokens_in) + mean(&self.merge_tokens_out);
            calls += 1.0;
            seconds += self.merge_seconds().unwrap_or(0.0);
        }
        // Little's law: calls in progress = requests/s x seconds of calls a request.
        let by_concurrency = quota
            .concurrency
            .filter(|_| seconds > 0.0)
            .map(|c| f64::from(c) / seconds);
        let by_requests = quota.rpm.map(|rpm| rpm / 60.0 / calls);
        let by_tokens = quota
            .tpm
            .filter(|_| tokens > 0.0)
            .map(|tpm| tpm / 60.0 / tokens);
        [by_requests, by_tokens, by_concurrency]
            .into_iter()
            .flatten()
            .reduce(f64::min)
    }

    /// The work of a request as one distribution for the analytic checks (load, lint, fit):
    /// the mean and variance of the latency from tokens, as a lognormal (deterministic when
    /// the tokens are). The simulator draws the tokens themselves.
    pub fn work(&self, latency: &LlmLatency) -> Service {
        let (tin, tout) = self.mean_tokens();
        let var = |d: &Option<Service>| d.as_ref().map_or(0.0, |d| d.scv() * d.mean().powi(2));
        let mean = latency.seconds(tin, tout);
        let variance = latency.per_in.powi(2) * var(&self.tokens_in)
            + latency.per_out.powi(2) * var(&self.tokens_out);
        // Tokens of infinite variance (pareto, ALPHA <= 2) are capped at a CV of 10 here.
        let cv = (variance.sqrt() / mean).min(10.0);
        if cv > 1e-9 {
            Service::LogNormal { mean, cv }
        } else {
            Service::Deterministic { mean }
        }
    }
}

/// `key=value,key=value` pairs, each key known and given once, each value a number of at
/// least 0.
fn pairs<'a>(spec: &'a str, keys: &[&str], what: &str) -> Result<Vec<(&'a str, f64)>, SpecError> {
    let mut out: Vec<(&str, f64)> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(SpecError(format!(
                "'{item}' in '{spec}' is not KEY=VALUE; {what} takes {}",
                keys.join(", ")
            )));
        };
        let key = key.trim();
        if !keys.contains(&key) {
            return Err(SpecError(format!(
                "unknown key '{key}' in '{spec}'; {what} takes {}",
                keys.join(", ")
            )));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(SpecError(format!("'{key}' is given twice in '{spec}'")));
        }
        let x: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x >= 0.0 && *x < 1e12)
            .ok_or_else(|| {
                SpecError(format!(
                    "{key} in '{spec}' must be a number from 0 to 1e12, got '{}'",
                    value.trim()
                ))
            })?;
        out.push((key, x));
    }
    Ok(out)
}

fn get(pairs: &[(&str, f64)], key: &str) -> Option<f64> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// A call's latency from its tokens: seconds to the first token, then per input token
/// (prefill) and per output token (decoding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LlmLatency {
    pub ttft: f64,
    pub per_in: f64,
    pub per_out: f64,
}

impl LlmLatency {
    /// Seconds at speed 1 for a call of `tokens_in` and `tokens_out`.
    pub fn seconds(&self, tokens_in: f64, tokens_out: f64) -> f64 {
        self.ttft + self.per_in * tokens_in + self.per_out * tokens_out
    }
}

impl FromStr for LlmLatency {
    type Err = SpecError;
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let p = pairs(spec, &["ttft", "in", "out"], "--llm-latency")?;
        let latency = LlmLatency {
            ttft: get(&p, "ttft").unwrap_or(0.0),
            per_in: get(&p, "in").unwrap_or(0.0),
            per_out: get(&p, "out").unwrap_or(0.0),
        };
        if latency.ttft + latency.per_in + latency.per_out <= 0.0 {
            return Err(SpecError(format!(
                "'{spec}' makes every call take no time; give ttft=S,in=S,out=S such as ttft=0.35,in=0.0002,out=0.025"
            )));
        }
        Ok(latency)
    }
}

impl fmt::Display for LlmLatency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ttft={},in={},out={}",
            self.ttft, self.per_in, self.per_out
        )
    }
}

/// A provider's quotas, shared by every agent: requests and tokens per minute, and calls
/// in progress at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub rpm: Option<f64>,
    pub tpm: Option<f64>,
    pub concurrency: Option<u32>,
}

impl FromStr for Quota {
    type Err = SpecError;
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let p = pairs(spec, &["rpm", "tpm", "concurrency"], "--provider")?;
        let concurrency = match get(&p, "concurrency") {
            Some(c) if c >= 1.0 && c.fract() == 0.0 && c <= 1e6 => Some(c as u32),
            Some(c) => {
                return Err(SpecError(format!(
                    "concurrency in '{spec}' must be a whole number of calls from 1 to 1000000, got {c}"
                )));
            }
            None => None,
        };
        let quota = Quota {
            rpm: get(&p, "rpm"),
            tpm: get(&p, "tpm"),
            concurrency,
        };
        if quota.rpm.is_none() && quota.tpm.is_none() && quota.concurrency.is_none() {
            return Err(SpecError(format!(
                "'{spec}' sets no quota; give rpm=N, tpm=N and/or concurrency=N such as rpm=500,tpm=200000"
            )));
        }
        for (key, value) in [("rpm", quota.rpm), ("tpm", quota.tpm)] {
            if value.is_some_and(|v| v < 1.0) {
                return Err(SpecError(format!(
                    "{key} in '{spec}' must be at least 1 a minute"
                )));
            }
        }
        Ok(quota)
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let concurrency = self.concurrency.map(f64::from);
        let parts: Vec<String> = [
            ("rpm", self.rpm),
            ("tpm", self.tpm),
            ("concurrency", concurrency),
        ]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
        f.write_str(&parts.join(","))
    }
}

/// Dollars per million tokens, in and out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

impl Price {
    /// Dollars for a call of these tokens.
    pub fn of(&self, tokens_in: f64, tokens_out: f64) -> f64 {
        (self.input * tokens_in + self.output * tokens_out) / 1e6
    }
}

impl FromStr for Price {
    type Err = SpecError;
    fn from_str(spec: &str) -> Result<Self, SpecError> {
        let p = pairs(spec, &["in", "out"], "--price")?;
        if p.is_empty() {
            return Err(SpecError(format!(
                "'{spec}' sets no price; give in=DOLLARS,out=DOLLARS per million tokens such as in=3,out=15"
            )));
        }
        Ok(Price {
            input: get(&p, "in").unwrap_or(0.0),
            output: get(&p, "out").unwrap_or(0.0),
        })
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in={},out={}", self.input, self.output)
    }
}

notation_serde!(LlmLatency);
notation_serde!(Quota);
notation_serde!(Price);

/// One token bucket: holds up to a minute's quota, refilled continuously, as providers
/// document their per-minute limits.
#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    per_second: f64,
    level: f64,
}

impl Bucket {
    fn new(per_minute: f64) -> Self {
        Bucket {
            capacity: per_minute,
            per_second: per_minute / 60.0,
            level: per_minute,
        }
    }

    fn refill(&mut self, elapsed: f64) {
        self.level = (self.level + elapsed * self.per_second).min(self.capacity);
    }

    /// Seconds until `need` is in the bucket: 0 if it is now, infinite if it never fits.
    fn wait(&self, need: f64) -> f64 {
        if need > self.capacity {
            f64::INFINITY
        } else {
            ((need - self.level) / self.per_second).max(0.0)
        }
    }
}

/// Seconds of waiting below which a call is admitted: floating-point rounding, not quota.
const ADMIT_EPSILON: f64 = 1e-9;

/// The provider's state in one replication: the buckets every agent's calls draw from, and
/// the calls in progress when their number is capped.
#[derive(Debug, Clone)]
pub struct Provider {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    at: f64,
    concurrency: Option<usize>,
    /// When each call in progress ends (a min-heap of time bits: times are not negative).
    ends: BinaryHeap<Reverse<u64>>,
}

impl Provider {
    pub fn new(quota: Quota) -> Self {
        let concurrency = quota.concurrency.map(|c| c as usize);
        Provider {
            requests: quota.rpm.map(Bucket::new),
            tokens: quota.tpm.map(Bucket::new),
            at: 0.0,
            concurrency,
            ends: BinaryHeap::with_capacity(concurrency.unwrap_or(0).min(4096)),
        }
    }

    /// Admits a call of `tokens` lasting `seconds` at `now`, taking its request and tokens
    /// from the buckets and a concurrency slot; or refuses it (a 429) with the seconds until
    /// the provider could serve it (the retry-after), infinite for a call larger than a
    /// minute's token quota.
    pub fn admit(&mut self, now: f64, tokens: f64, seconds: f64) -> Result<(), f64> {
        let elapsed = (now - self.at).max(0.0);
        self.at = now;
        for b in [&mut self.requests, &mut self.tokens].into_iter().flatten() {
            b.refill(elapsed);
        }
        let mut wait = [(&self.requests, 1.0), (&self.tokens, tokens)]
            .iter()
            .filter_map(|(b, need)| b.as_ref().map(|b| b.wait(*need)))
            .fold(0.0, f64::max);
        if let Some(cap) = self.concurrency {
            while let Some(&Reverse(end)) = self.ends.peek()
                && f64::from_bits(end) <= now + ADMIT_EPSILON
            {
                self.ends.pop();
            }
            if self.ends.len() >= cap
                && let Some(&Reverse(end)) = self.ends.peek()
            {
                wait = wait.max(f64::from_bits(end) - now);
            }
        }
        // A call made exactly at its retry-after finds the bucket short by rounding only.
        if wait > ADMIT_EPSILON {
            return Err(wait);
        }
        if let Some(b) = &mut self.requests {
            b.level -= 1.0;
        }
        if let Some(b) = &mut self.tokens {
            b.level -= tokens;
        }
        if self.concurrency.is_some() {
            self.ends.push(Reverse((now + seconds.max(0.0)).to_bits()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notations_parse_and_print_back() {
        let l: LlmLatency = "ttft=0.35,in=0.0002,out=0.025".parse().unwrap();
        assert_eq!(l.seconds(1000.0, 100.0), 0.35 + 0.2 + 2.5);
        assert_eq!(l.to_string().parse::<LlmLatency>().unwrap(), l);
        let q: Quota = "rpm=500,tpm=200000".parse().unwrap();
        assert_eq!(q.to_string(), "rpm=500,tpm=200000");
        let p: Price = "in=3,out=15".parse().unwrap();
        assert!((p.of(1e6, 1e5) - 4.5).abs() < 1e-12);
        for bad in ["rpm", "rpm=-1", "rpm=0.5", "rpm=1,rpm=2", "qps=3", ""] {
            assert!(bad.parse::<Quota>().is_err(), "{bad}");
        }
        assert!("ttft=0".parse::<LlmLatency>().is_err());
        assert!("in=nan".parse::<Price>().is_err());
    }

    /// A burst of calls against rpm=60 (one a second, up to 60 at once) and tpm=6000: the
    /// schedule worked out by hand.
    #[test]
    fn buckets_serve_a_burst_then_refuse_with_the_exact_retry_after() {
        let mut p = Provider::new(Quota {
            rpm: Some(60.0),
            tpm: Some(6000.0),
            concurrency: None,
        });
        // 60 calls of 50 tokens at t = 0: all admitted (3,000 tokens, 60 requests).
        for _ in 0..60 {
            assert_eq!(p.admit(0.0, 50.0, 1.0), Ok(()));
        }
        // The 61st finds the request bucket empty: one request refills in 1 s.
        assert_eq!(p.admit(0.0, 50.0, 1.0), Err(1.0));
        // At 0.5 s, half a request is back: 0.5 s more.
        assert_eq!(p.admit(0.5, 50.0, 1.0), Err(0.5));
        // At 1 s it passes; the token bucket holds 3,000 + 100 - 50.
        assert_eq!(p.admit(1.0, 50.0, 1.0), Ok(()));
        // A call of 4,000 tokens at 1 s waits for the request bucket (1 s) and the token
        // bucket: 3,050 there, 950 more at 100 a second is 9.5 s.
        assert_eq!(p.admit(1.0, 4000.0, 1.0), Err(9.5));
        // At 10.5 s: 10 requests and 3,050 + 950 = 4,000 tokens: admitted, bucket empty.
        assert_eq!(p.admit(10.5, 4000.0, 1.0), Ok(()));
        assert_eq!(p.admit(10.5, 1.0, 1.0), Err(0.01));
        // A call larger than a minute's tokens can never pass.
        assert_eq!(p.admit(100.0, 6001.0, 1.0), Err(f64::INFINITY));
    }

    /// Two calls at once at most: a third waits for the first to end, then is admitted.
    #[test]
    fn a_concurrency_cap_refuses_until_the_first_call_in_progress_ends() {
        let mut p = Provider::new("concurrency=2".parse().unwrap());
        assert_eq!(p.admit(0.0, 100.0, 5.0), Ok(()));
        assert_eq!(p.admit(1.0, 100.0, 2.0), Ok(()));
        assert_eq!(p.admit(1.5, 100.0, 2.0), Err(1.5));
        assert_eq!(p.admit(3.0, 100.0, 2.0), Ok(()));
        assert_eq!(p.admit(3.0, 100.0, 2.0), Err(2.0));
        assert_eq!(p.admit(5.0, 100.0, 2.0), Ok(()));
        assert!("concurrency=0".parse::<Quota>().is_err());
        assert!("concurrency=2.5".parse::<Quota>().is_err());
        assert_eq!(
            "rpm=60,concurrency=8".parse::<Quota>().unwrap().to_string(),
            "rpm=60,concurrency=8"
        );
    }
}
