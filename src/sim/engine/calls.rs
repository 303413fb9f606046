//! LLM calls in a replication: each request's tokens, the provider's buckets that every
//! agent's calls draw from, and the bill.

use crate::sim::distribution::Sampler;
use crate::sim::llm::{LlmLatency, Price, Provider};
use crate::sim::metric::{Metric, Values};
use crate::sim::scenario::Scenario;
use crate::sim::stream::{derive, streams, task_rng};

pub(crate) struct Calls {
    seed: u64,
    tokens_in: Option<Sampler>,
    tokens_out: Option<Sampler>,
    /// The supervisor's decision, when it is an LLM call.
    decision_in: Option<Sampler>,
    decision_out: Option<Sampler>,
    /// The supervisor's final answer, when it is an LLM call.
    merge_in: Option<Sampler>,
    merge_out: Option<Sampler>,
    pub latency: Option<LlmLatency>,
    provider: Option<Provider>,
    price: Option<Price>,
    /// Dollars charged for calls, and for the calls of requests that completed in full:
    /// the rest answered nobody (timed out, cancelled hedges, a fan-out that failed).
    charged: f64,
    pub used: f64,
    /// Tokens of the calls made, in and out.
    tokens: f64,
    /// Calls refused with a 429, and calls tried (admitted or refused), over the whole run.
    pub throttled: u64,
    tried: u64,
    /// Seconds parts waited on the provider's retry-after, over the whole run.
    pub throttle_wait: f64,
}

impl Calls {
    pub fn new(s: &Scenario, seed: u64) -> Option<Calls> {
        let llm = s.llm.as_ref()?;
        Some(Calls {
            seed: derive(seed, streams::TOKENS),
            tokens_in: llm.tokens_in.as_ref().map(|d| d.sampler()),
            tokens_out: llm.tokens_out.as_ref().map(|d| d.sampler()),
            decision_in: llm.dispatch_tokens_in.as_ref().map(|d| d.sampler()),
            decision_out: llm.dispatch_tokens_out.as_ref().map(|d| d.sampler()),
            merge_in: llm.merge_tokens_in.as_ref().map(|d| d.sampler()),
            merge_out: llm.merge_tokens_out.as_ref().map(|d| d.sampler()),
            latency: llm.latency,
            provider: llm.provider.map(Provider::new),
            price: llm.price,
            charged: 0.0,
            used: 0.0,
            tokens: 0.0,
            throttled: 0,
            tried: 0,
            throttle_wait: 0.0,
        })
    }

    /// Request `index`'s tokens, in and out, of its call, of the supervisor's decision and of
    /// its final answer: whole, from the request's own generator, so every pattern and
    /// balancer sees the same.
    pub fn tokens_of(&self, index: u64) -> [u32; 6] {
        let mut rng = task_rng(self.seed, index);
        let mut draw = |d: &Option<Sampler>| {
            d.as_ref()
                .map_or(0, |d| d.sample(&mut rng).round().clamp(0.0, 1e9) as u32)
        };
        [
            draw(&self.tokens_in),
            draw(&self.tokens_out),
            draw(&self.decision_in),
            draw(&self.decision_out),
            draw(&self.merge_in),
            draw(&self.merge_out),
        ]
    }

    /// Seconds at speed 1 of a supervisor's decision of these tokens, when it is a call.
    pub fn decision_seconds(&self, tokens: (u32, u32)) -> Option<f64> {
        let latency = self.latency?;
        (self.decision_in.is_some() || self.decision_out.is_some())
            .then(|| latency.seconds(f64::from(tokens.0), f64::from(tokens.1)))
    }

    /// Seconds at speed 1 of a supervisor's final answer of these tokens, when it is a call.
    pub fn merge_seconds(&self, tokens: (u32, u32)) -> Option<f64> {
        let latency = self.latency?;
        (self.merge_in.is_some() || self.merge_out.is_some())
            .then(|| latency.seconds(f64::from(tokens.0), f64::from(tokens.1)))
    }

    /// A call of these tokens, lasting `seconds`, starts at `now`: admitted and charged (its
    /// dollars), or refused with the provider's retry-after.
    pub fn call(
        &mut self,
        now: f64,
        tokens_in: f64,
        tokens_out: f64,
        seconds: f64,
    ) -> Result<f64, f64> {
        self.tried += 1;
        if let Some(p) = &mut self.provider
            && let Err(wait) = p.admit(now, tokens_in + tokens_out, seconds)
        {
            self.throttled += 1;
            return Err(wait);
        }
        self.tokens += tokens_in + tokens_out;
        let cost = self.price.map_or(0.0, |p| p.of(tokens_in, tokens_out));
        self.charged += cost;
        Ok(cost)
    }

    /// The bill and the quota as metrics. Dollars and tokens are per request over the whole
    /// run, warm-up included: a bill has no warm-up. Agent-hours are every agent's, over the
    /// run's simulated time.
    pub fn report(&self, v: &mut Values, s: &Scenario, generated: u64, end: f64) {
        let requests = generated.max(1) as f64;
        if self.provider.is_some() {
            v.set(Metric::Throttled, self.throttled as f64);
            v.set(
                Metric::ThrottledShare,
                self.throttled as f64 / self.tried.max(1) as f64,
            );
            v.set(Metric::ThrottledWait, self.throttle_wait / requests);
        }
        if self.tokens_in.is_some() || self.tokens_out.is_some() {
            v.set(Metric::TokensPerRequest, self.tokens / requests);
        }
        let agent_cost = s.llm.as_ref().and_then(|l| l.agent_cost);
        if self.price.is_none() && agent_cost.is_none() {
            return;
        }
        let agent_hours = f64::from(s.agents) * end / 3600.0;
        let per_request = (self.charged + agent_cost.unwrap_or(0.0) * agent_hours) / requests;
        v.set(Metric::CostPerRequest, per_request);
        // Over the requests that count: within the objective, or answered without one.
        let good = if s.slo.is_some() {
            v.get(Metric::Attainment)
        } else {
            v.get(Metric::SuccessRate)
        };
        if good > 0.0 {
            v.set(Metric::CostPerGoodRequest, per_request / good);
        }
        // The two sums add the same charges in different orders: below a part in 10^9 the
        // difference is rounding, not waste.
        let waste = if self.charged > 0.0 {
            (self.charged - self.used) / self.charged
        } else {
            0.0
        };
        v.set(Metric::CostWaste, if waste < 1e-9 { 0.0 } else { waste });
    }
}
