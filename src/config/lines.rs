//! Where in the config file something is: the line a message names, so
//! that a bad value is found without quoting it.

/// The 1-based line of byte `offset` in `text`.
pub(super) fn line_at(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line on which `key` is set (the first `key =` at a line's start).
pub(super) fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            let bare = line.strip_prefix(key);
            let quoted = line
                .strip_prefix('"')
                .and_then(|l| l.strip_prefix(key))
                .and_then(|l| l.strip_prefix('"'));
            let is_table = line.strip_prefix('[').and_then(|l| l.strip_prefix(key));
            [bare, quoted]
                .into_iter()
                .flatten()
                .any(|rest| rest.trim_start().starts_with('='))
                || is_table.is_some_and(|rest| rest.trim_start().starts_with(']'))
        })
        .map_or(1, |i| i + 1)
}
