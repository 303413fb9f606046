//! The event queue: a binary heap ordered by (time, sequence number), so simultaneous
//! events run in the order they were scheduled and runs are deterministic.
//!
//! The next arrival, always pending and exactly once, waits beside the heap: that saves a
//! heap push and pop per task, a third of the heap's work in a plain queueing model.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens at an event; indexes refer to the world's agents, attempts, requests and
/// tasks. Serials and generations tell a stale event from a live one, as slots are reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The next task of the workload arrives.
    Arrival,
    /// An agent finishes what it is serving, unless its service was interrupted since.
    ServiceEnd { agent: u32, generation: u32 },
    /// The master finishes dispatching the task at the head of its queue.
    DispatchEnd { generation: u32 },
    /// An attempt reaches its agent after a network hop.
    Hop { attempt: u32, agent: u32 },
    /// A task's consensus round trip through the leader of `term` completes.
    Consensus { task: u32, term: u32 },
    /// The oldest unfinished scatter-gather task may have reached its gather timeout.
    GatherCheck,
    /// The oldest attempt may have reached its timeout.
    TimeoutCheck,
    /// A request's backoff is over: send it again.
    Retry { request: u32, serial: u32 },
    /// A subtask has taken longer than the hedging quantile: send a second copy.
    Hedge { request: u32, serial: u32 },
    /// An agent (or the master) fails; a random failure brings its own random repair.
    Fail { agent: u32, scripted: bool },
    /// An outage ends; `scripted` outages do not draw the next random failure.
    Repair { agent: u32, scripted: bool },
    /// The dispatchers declare the agent dead, if it is still down in the same failure.
    Noticed { agent: u32, episode: u32 },
    /// The dispatchers see the repaired agent's heartbeat again.
    Alive { agent: u32, episode: u32 },
    /// The master's failure is detected: the designated backup takes over.
    Takeover { episode: u32 },
    /// A leader election of `term` completes.
    Election { term: u32 },
    /// An open breaker's recovery time is over (its state turns half-open by itself; this
    /// wakes requests waiting at a shared-queue master).
    BreakerReady,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Time bits (non-negative floats order like their bits) above the sequence number.
    key: u128,
    kind: Kind,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so the max-heap pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    /// The key of the pending arrival, if any.
    arrival: Option<u128>,
    seq: u64,
    processed: u64,
}

impl EventQueue {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            arrival: None,
            seq: 0,
            processed: 0,
        }
    }

    #[inline]
    pub fn schedule(&mut self, time: f64, kind: Kind) {
        debug_assert!(time >= 0.0 && time.is_finite(), "event at {time}");
        let key = (u128::from(time.to_bits()) << 64) | u128::from(self.seq);
        self.seq += 1;
        if kind == Kind::Arrival {
            debug_assert!(self.arrival.is_none(), "two arrivals pending");
            self.arrival = Some(key);
        } else {
            self.heap.push(Entry { key, kind });
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(f64, Kind)> {
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
        let mut q = EventQueue::default();
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
        q.schedule(0.0, Kind::DispatchEnd { generation: 0 });
        let order: Vec<(f64, Kind)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            [
                (0.0, Kind::DispatchEnd { generation: 0 }),
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
