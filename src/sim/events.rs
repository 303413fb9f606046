//! The event queue: a binary heap ordered by (time, sequence number), so simultaneous
//! events run in the order they were scheduled and runs are deterministic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What happens at an event; indexes refer to the world's agents, jobs and tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The next task of the workload arrives.
    Arrival,
    /// An agent finishes the job it is serving.
    ServiceEnd { agent: u32 },
    /// The master finishes dispatching the task at the head of its queue.
    DispatchEnd,
    /// A forwarded job reaches its peer after a network hop.
    Hop { job: u32, agent: u32 },
    /// A task's consensus round trip through the leader completes.
    Consensus { task: u32 },
    /// The oldest unfinished scatter-gather task may have reached its gather timeout.
    GatherCheck,
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
    seq: u64,
    processed: u64,
}

impl EventQueue {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            seq: 0,
            processed: 0,
        }
    }

    #[inline]
    pub fn schedule(&mut self, time: f64, kind: Kind) {
        debug_assert!(time >= 0.0 && time.is_finite(), "event at {time}");
        let key = (u128::from(time.to_bits()) << 64) | u128::from(self.seq);
        self.seq += 1;
        self.heap.push(Entry { key, kind });
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(f64, Kind)> {
        let entry = self.heap.pop()?;
        self.processed += 1;
        Some((f64::from_bits((entry.key >> 64) as u64), entry.kind))
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
        q.schedule(1.0, Kind::ServiceEnd { agent: 1 });
        q.schedule(1.0, Kind::ServiceEnd { agent: 2 });
        q.schedule(0.0, Kind::DispatchEnd);
        let order: Vec<(f64, Kind)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            [
                (0.0, Kind::DispatchEnd),
                (1.0, Kind::ServiceEnd { agent: 1 }),
                (1.0, Kind::ServiceEnd { agent: 2 }),
                (2.0, Kind::Arrival)
            ]
        );
        assert_eq!(q.processed(), 4);
    }
}
