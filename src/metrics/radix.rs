//! Sorting scores by value in O(n): LSD radix sort on an order-preserving u64 image of the f64.
//!
//! The sweep sorts every score once; on 10 million scores a comparison sort costs about a second,
//! the radix sort a fraction of that. Scores are finite (checked on input), and -0.0 is folded into
//! +0.0 so that equal scores (which `>=` treats alike) always share one key and one threshold.

/// Maps a finite f64 to a u64 whose unsigned order is the numeric order.
pub(crate) fn key(score: f64) -> u64 {
    let bits = (score + 0.0).to_bits(); // -0.0 + 0.0 == +0.0
    if bits >> 63 == 1 { !bits } else { bits | 1 << 63 }
}

/// Inverse of [`key`].
pub(crate) fn score(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

/// Sorts keys ascending: 8 passes of 8 bits, skipping the passes where every key has the same digit
/// (scores in [0, 1] share their top bits, so those passes cost nothing).
pub(crate) fn sort(keys: &mut Vec<u64>) {
    let mut counts = [[0usize; 256]; 8];
    for &k in keys.iter() {
        for (digit, count) in counts.iter_mut().enumerate() {
            count[(k >> (8 * digit)) as usize & 0xff] += 1;
        }
    }
    let mut spare = vec![0u64; keys.len()];
    for (digit, count) in counts.iter().enumerate() {
        if count.contains(&keys.len()) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut start = 0;
        for (slot, &c) in next.iter_mut().zip(count) {
            *slot = start;
            start += c;
        }
        for &k in keys.iter() {
            let bucket = (k >> (8 * digit)) as usize & 0xff;
            spare[next[bucket]] = k;
            next[bucket] += 1;
        }
        std::mem::swap(keys, &mut spare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn negative_zero_shares_the_key_of_zero() {
        assert_eq!(key(-0.0), key(0.0));
        assert_eq!(score(key(-0.0)).to_bits(), 0.0f64.to_bits());
    }

    proptest! {
        #[test]
        fn sorts_like_total_order(scores in prop::collection::vec(prop_oneof![
            -1e300..1e300f64, -1.0..1.0f64, Just(0.0), Just(-0.0), Just(f64::MIN_POSITIVE), Just(-5e-324)
        ], 0..300)) {
            let mut keys: Vec<u64> = scores.iter().map(|&s| key(s)).collect();
            sort(&mut keys);
            let got: Vec<f64> = keys.iter().map(|&k| score(k)).collect();
            let mut want: Vec<f64> = scores.iter().map(|&s| s + 0.0).collect();
            want.sort_by(f64::total_cmp);
            prop_assert_eq!(got.iter().map(|s| s.to_bits()).collect::<Vec<_>>(), want.iter().map(|s| s.to_bits()).collect::<Vec<_>>());
        }
    }
}
