//! The event queue: a binary heap ordered by (time, sequence number), so simultaneous
//! events run in the order they were scheduled and runs are deterministic.
//!
//! The next arrival, always pending and exactly once, waits beside the heap: that saves a
//! heap push and pop per task, a third of the heap's work in a plain queueing model.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::recorder::Outcome;

/// What happens at an event; indexes refer to the engine's agents, attempts and parts.
/// Serials and generations tell a stale event from a live one, as slots are reused. A
/// pattern's own events (its coordinator, its elections, its gathers) travel as `Pattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<E> {
    /// The next request of the workload arrives.
    Arrival,
    /// An agent finishes what it is serving, unless its service was interrupted since.
    ServiceEnd { agent: u32, generation: u32 },
    /// An attempt reaches its agent after a network hop.
    Hop { attempt: u32, agent: u32 },
    /// The oldest attempt may have reached its timeout.
    TimeoutCheck,
    /// A part's backoff is over: send it again.
    Retry { part: u32, serial: u32 },
    /// A part has taken longer than the hedging quantile: send a second copy.
    Hedge { part: u32, serial: u32 },
    /// An agent fails; a random failure brings its own random repair.
    Fail { agent: u32, scripted: bool },
    /// An outage ends; `scripted` outages do not draw the next random failure.
    Repair { agent: u32, scripted: bool },
    /// The dispatchers declare the agent dead, if it is still down in the same failure.
    Noticed { agent: u32, episode: u32 },
    /// The dispatchers see the repaired agent's heartbeat again.
    Alive { agent: u32, episode: u32 },
    /// A request whose outcome was decided resolves (its results merged).
    Settle {
        request: u32,
        /// The request's slot generation: tells it from a later request in the same slot.
        generation: u32,
        outcome: Outcome,
    },
    /// A request's next round starts: the pattern admits it again.
    Round { request: u32, generation: u32 },
    /// An open breaker's recovery time is over (its state turns half-open by itself; this
    /// wakes a pattern whose requests wait for an available agent).
    BreakerReady,
    /// An event of the pattern's own.
    Pattern(E),
}

#[derive(Debug, Clone, Copy)]
struct Entry<E> {
    /// Time bits (non-negative floats order like their bits) above the sequence number.
    key: u128,
    kind: Kind<E>,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// The key of the pending arrival, if any.
    arrival: Option<u128>,
    seq: u64,
    processed: u64,
}

impl<E: Copy> EventQueue<E> {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            arrival: None,
            seq: 0,
            processed: 0,
        }
    }

    #[inline]
    pub fn schedule(&mut self, time: f64, kind: Kind<E>) {
        debug_assert!(time >= 0.0 && time.is_finite(), "event at {time}");
        let key = (u128::from(time.to_bits()) << 64) | u128::from(self.seq);
        self.seq += 1;
        if matches!(kind, Kind::Arrival) {
            debug_assert!(self.arrival.is_none(), "two arrivals pending");
            self.arrival = Some(key);
        } else {
            self.heap.push(Entry { key, kind });
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(f64, Kind<E>)> {
        let (key, kind) = match (self.arrival, self.heap.peek()) {
            (Some(a), Some(top)) if a > top.key => {
                let e = self.heap.pop()?;
                (e.key, e.kind)
            }
            (Some(a), _) => {
                self.arrival = None;
                (a, Kind::Arrival)
            }
            (None, _) => {
                let e = self.heap.pop()?;
                (e.key, e.kind)
            }
        };
        self.processed += 1;
        Some((f64::from_bits((key >> 64) as u64), kind))
    }

    pub fn processed(&self) -> u64 {
        self.processed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_ties_in_insertion_order() {
        let mut q: EventQueue<u8> = EventQueue::with_capacity(4);
        q.schedule(2.0, Kind::Arrival);
        q.schedule(
            1.0,
            Kind::ServiceEnd {
                agent: 1,
                generation: 0,
            },
        );
        q.schedule(
            1.0,
            Kind::ServiceEnd {
                agent: 2,
                generation: 0,
            },
        );
        q.schedule(0.0, Kind::Pattern(7));
        let order: Vec<(f64, Kind<u8>)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            [
                (0.0, Kind::Pattern(7)),
                (
                    1.0,
                    Kind::ServiceEnd {
                        agent: 1,
                        generation: 0
                    }
                ),
                (
                    1.0,
                    Kind::ServiceEnd {
                        agent: 2,
                        generation: 0
                    }
                ),
                (2.0, Kind::Arrival)
            ]
        );
        assert_eq!(q.processed(), 4);
    }
}
