//! The reference baseline the eval compares against: 1-nearest-neighbour over character
//! trigrams of titles (cosine similarity), ranking ministries by their best neighbour.

use std::collections::HashMap;

use crate::history::{char_ngrams, HistoryExample};

#[derive(Debug, Clone)]
pub struct TrigramKnn {
    docs: Vec<(Vec<u64>, usize)>,
    labels: Vec<String>,
    postings: HashMap<u64, Vec<u32>>,
}

impl TrigramKnn {
    pub fn train(examples: &[HistoryExample]) -> Self {
        let mut labels: Vec<String> = Vec::new();
        let mut docs = Vec::with_capacity(examples.len());
        let mut postings: HashMap<u64, Vec<u32>> = HashMap::new();
        for (i, e) in examples.iter().enumerate() {
            let label = match labels.iter().position(|l| *l == e.ministry) {
                Some(l) => l,
                None => {
                    labels.push(e.ministry.clone());
                    labels.len() - 1
                }
            };
            let grams = char_ngrams(&e.title, &[3]);
            for &g in &grams {
                postings.entry(g).or_default().push(i as u32);
            }
            docs.push((grams, label));
        }
        Self {
            docs,
            labels,
            postings,
        }
    }

    /// Ministry codes ranked by the similarity of their closest training title.
    pub fn rank(&self, title: &str) -> Vec<String> {
        let q = char_ngrams(title, &[3]);
        let mut overlap: HashMap<u32, u32> = HashMap::new();
        for g in &q {
            for &d in self.postings.get(g).map(Vec::as_slice).unwrap_or(&[]) {
                *overlap.entry(d).or_default() += 1;
            }
        }
        let qn = (q.len().max(1) as f64).sqrt();
        let mut best: HashMap<usize, f64> = HashMap::new();
        for (d, n) in overlap {
            let (grams, label) = &self.docs[d as usize];
            let sim = n as f64 / (qn * (grams.len().max(1) as f64).sqrt());
            let e = best.entry(*label).or_insert(0.0);
            if sim > *e {
                *e = sim;
            }
        }
        let mut ranked: Vec<(usize, f64)> = best.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .map(|(l, _)| self.labels[l].clone())
            .collect()
    }
}
