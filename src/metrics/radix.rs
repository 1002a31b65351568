//! Sorting scores by value in O(n): LSD radix sort on an order-preserving u64 image of the f64.
//!
//! The sweep sorts every score once; on 10 million scores a comparison sort costs about a second,
//! the radix sort a fraction of that. Scores are finite (checked on input), and -0.0 is folded into
//! +0.0 so that equal scores (which `>=` treats alike) always share one key and one threshold.
//!
//! Why hand-written (issue 9): the radix crates (radsort, voracious_radix_sort) sort by a float's total
//! order, where -0.0 comes before +0.0, so the fold would still be ours; and they sort one slice of items,
//! so the sweep's payload would have to be zipped into tuples and unzipped again around the sort. What
//! stays is 30 lines of counting sort, checked against a stable total-order sort by a property test.

/// Maps a finite f64 to a u64 whose unsigned order is the numeric order.
pub(crate) fn key(score: f64) -> u64 {
    let bits = (score + 0.0).to_bits(); // -0.0 + 0.0 == +0.0
    if bits >> 63 == 1 { !bits } else { bits | 1 << 63 }
}

/// Inverse of [`key`].
pub(crate) fn score(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 { key & !(1 << 63) } else { !key })
}

/// Sorts keys ascending and moves `payload[i]` along with `keys[i]` (stable): 8 passes of 8 bits,
/// skipping the passes where every key has the same digit (scores in [0, 1] share their top bits,
/// so those passes cost nothing). `payload` must be as long as `keys`.
pub(crate) fn sort_with<T: Copy + Default>(keys: &mut Vec<u64>, payload: &mut Vec<T>) {
    let mut counts = [[0usize; 256]; 8];
    for &k in keys.iter() {
        for (digit, count) in counts.iter_mut().enumerate() {
            count[(k >> (8 * digit)) as usize & 0xff] += 1;
        }
    }
    let mut spare_keys = vec![0u64; keys.len()];
    let mut spare_payload = vec![T::default(); payload.len()];
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
        for (&k, &p) in keys.iter().zip(payload.iter()) {
            let bucket = (k >> (8 * digit)) as usize & 0xff;
            spare_keys[next[bucket]] = k;
            spare_payload[next[bucket]] = p;
            next[bucket] += 1;
        }
        std::mem::swap(keys, &mut spare_keys);
        std::mem::swap(payload, &mut spare_payload);
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
        /// Same order as a stable sort by f64 total order (after folding -0.0), payload attached.
        #[test]
        fn sorts_like_a_stable_total_order_sort(scores in prop::collection::vec(prop_oneof![
            -1e300..1e300f64, -1.0..1.0f64, Just(0.0), Just(-0.0), Just(0.5), Just(f64::MIN_POSITIVE), Just(-5e-324)
        ], 0..300)) {
            let mut keys: Vec<u64> = scores.iter().map(|&s| key(s)).collect();
            let mut order: Vec<usize> = (0..scores.len()).collect();
            sort_with(&mut keys, &mut order);
            let mut want: Vec<usize> = (0..scores.len()).collect();
            want.sort_by(|&a, &b| (scores[a] + 0.0).total_cmp(&(scores[b] + 0.0)));
            prop_assert_eq!(&order, &want);
            let got: Vec<u64> = keys.iter().map(|&k| score(k).to_bits()).collect();
            let expected: Vec<u64> = want.iter().map(|&i| (scores[i] + 0.0).to_bits()).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
