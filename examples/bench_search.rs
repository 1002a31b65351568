//! Times 1:N search (`gallery::Index::search`, the exact scan `liveness search` runs) over 100,000
//! enrolled descriptors: 20,000 identities of 5 descriptors each, 128-D, components of the model's scale.
//! Prints the median and the spread over 101 probes. Loading the gallery from SQLite is not timed here.
//!
//! `cargo run --release --example bench_search [DESCRIPTORS]`

use std::time::Instant;

use liveness::gallery::Index;

const DIM: usize = 128;
const PER_IDENTITY: usize = 5;
const PROBES: usize = 101;

/// xorshift64*: enough randomness for benchmark data.
struct Rng(u64);

impl Rng {
    fn component(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let u = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32;
        (u - 0.5) * 0.25 // NUAA descriptors: norm ~1.4, components within about +-0.25
    }
    fn descriptor(&mut self) -> Vec<f32> {
        (0..DIM).map(|_| self.component()).collect()
    }
}

fn main() {
    let total: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut index = Index::new(DIM);
    for id in 0..total / PER_IDENTITY {
        let d: Vec<Vec<f32>> = (0..PER_IDENTITY).map(|_| rng.descriptor()).collect();
        index.push(&format!("person{id:06}"), &d);
    }
    let probes: Vec<Vec<f32>> = (0..PROBES).map(|_| rng.descriptor()).collect();
    let _ = index.search(&probes[0], 5); // warm the caches once
    let mut ms: Vec<f64> = probes
        .iter()
        .map(|p| {
            let t = Instant::now();
            let hits = index.search(p, 5);
            let e = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(hits.len(), 5);
            e
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "search over {} descriptors ({} identities x {PER_IDENTITY}), {PROBES} probes, top 5: median {:.2} ms \
         (min {:.2}, 90th percentile {:.2}, max {:.2}) on one thread",
        index.descriptors(),
        index.identities(),
        ms[PROBES / 2],
        ms[0],
        ms[PROBES * 9 / 10],
        ms[PROBES - 1]
    );
}
