//! "Did you mean": the candidate nearest to a misspelt word, as rustc suggests names.

/// The candidate nearest to `word` by edit distance, if near enough to be a typo: at most a
/// third of the word's length, and at least one edit (rustc's rule).
pub(crate) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
fn distance(left: &str, right: &str) -> usize {
    let left: Vec<char> = left.chars().collect();
    let right: Vec<char> = right.chars().collect();
    let mut table = vec![vec![0_usize; right.len() + 1]; left.len() + 1];
    for (row, cells) in table.iter_mut().enumerate() {
        cells[0] = row;
    }
    for (col, cell) in table[0].iter_mut().enumerate() {
        *cell = col;
    }
    for row in 1..=left.len() {
        for col in 1..=right.len() {
            let cost = usize::from(left[row - 1] != right[col - 1]);
            let mut best = (table[row - 1][col] + 1)
                .min(table[row][col - 1] + 1)
                .min(table[row - 1][col - 1] + cost);
            if row > 1
                && col > 1
                && left[row - 1] == right[col - 2]
                && left[row - 2] == right[col - 1]
            {
                best = best.min(table[row - 2][col - 2] + 1);
            }
            table[row][col] = best;
        }
    }
    table[left.len()][right.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_and_strangers() {
        assert_eq!(nearest("itmes", ["admin", "items"]), Some("items"));
        assert_eq!(
            nearest("apikey", ["oauth2", "api_key", "http_bearer"]),
            Some("api_key")
        );
        assert_eq!(nearest("zzz", ["items"]), None);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("", "abc"), 3);
    }
}
