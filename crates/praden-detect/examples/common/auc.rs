//! Area under the ROC curve, shared by the evaluation examples.

/// Area under the ROC curve of (gold, score) pairs: the chance that a random positive
/// scores above a random negative (ties count half).
pub fn auc(scored: &[(bool, f64)]) -> f64 {
    let mut v = scored.to_vec();
    v.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (mut rank_sum, mut positives) = (0.0, 0usize);
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].1 == v[i].1 {
            j += 1;
        }
        // Ranks i+1 ..= j share their mean.
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        for x in &v[i..j] {
            if x.0 {
                rank_sum += mean_rank;
                positives += 1;
            }
        }
        i = j;
    }
    let negatives = v.len() - positives;
    if positives == 0 || negatives == 0 {
        return f64::NAN;
    }
    (rank_sum - (positives * (positives + 1)) as f64 / 2.0) / (positives * negatives) as f64
}
