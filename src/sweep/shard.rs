//! Disjoint slices of a sweep's points, so that many machines can share one sweep.

use std::fmt;
use std::str::FromStr;

/// The `index`-th (from 1) of `count` disjoint slices of a sweep's points. Points are dealt
/// round-robin, so neighbouring points (similar in cost) spread over the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn contains(&self, point: u64) -> bool {
        point % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parsed = s.split_once('/').and_then(|(i, n)| {
            Some((i.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?))
        });
        match parsed {
            Some((index, count)) if count >= 1 && (1..=count).contains(&index) => {
                Ok(Shard { index, count })
            }
            Some(_) => Err("the shard number I of I/N must be from 1 to N, as 1/4 to 4/4".into()),
            None => Err("expected I/N, as 2/8 for the second of 8 shards".into()),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_points() {
        let shards: Vec<Shard> = (1..=3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        for point in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(point)).count(), 1);
        }
        assert!("0/3".parse::<Shard>().unwrap_err().contains("from 1 to N"));
        assert!("4/3".parse::<Shard>().unwrap_err().contains("from 1 to N"));
        assert!("2".parse::<Shard>().unwrap_err().contains("expected I/N"));
    }
}
