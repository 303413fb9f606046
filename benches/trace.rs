//! Trace reading speed: a million CSV rows with ISO 8601 times and two token columns, as
//! the Azure LLM trace is written, in rows per second. The target is under 2 s per million.

use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use jaegis::trace::{self, ReadOptions};

const ROWS: u64 = 1_000_000;

/// Writes the file once, in the target directory: a request every 3.6 ms on average, times
/// with seven fractional digits and no offset, as the Azure trace has them.
fn write_trace() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-trace");
    std::fs::create_dir_all(&dir).expect("bench directory");
    let path = dir.join("million.csv");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) {
        return path;
    }
    let mut out = BufWriter::new(std::fs::File::create(&path).expect("bench file"));
    writeln!(out, "TIMESTAMP,ContextTokens,GeneratedTokens").unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut tenth_micros: u64 = 0;
    for _ in 0..ROWS {
        tenth_micros += next() % 72_000;
        let seconds = tenth_micros / 10_000_000;
        let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
        writeln!(
            out,
            "2023-11-{:02} {:02}:{m:02}:{s:02}.{:07},{},{}",
            16 + h / 24,
            h % 24,
            tenth_micros % 10_000_000,
            next() % 8000,
            next() % 1000
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}

fn rows_per_second(c: &mut Criterion) {
    let path = write_trace();
    let options = ReadOptions::default();
    let mut group = c.benchmark_group("trace");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(ROWS));
    group.bench_function("read_csv_iso_1m", |b| {
        b.iter(|| black_box(trace::read(black_box(&path), &options).expect("the trace reads")))
    });
    group.finish();
}

criterion_group!(benches, rows_per_second);
criterion_main!(benches);
