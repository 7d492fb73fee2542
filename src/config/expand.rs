//! How a path in the config file is read: as a shell would, so that a line
//! copied from a startup file means the same thing here.

use std::path::PathBuf;

/// A path as a shell would read it: `~/x` is the home folder's `x`, and
/// `$VAR` and `${VAR}` are the environment's values. An unset variable is
/// an error (its name), never an empty string: `$HOME/v` must not become
/// `/v`.
pub(super) fn expand(text: &str) -> Result<PathBuf, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = match (text.strip_prefix("~/"), super::base::home()) {
        (Some(rest), Some(home)) => {
            out.push_str(&home.to_string_lossy());
            out.push('/');
            rest
        }
        _ => text,
    };
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, next) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], &braced[end + 1..]),
                None => return Err(after.to_string()),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        if name.is_empty() {
            // A lone `$` is itself.
            out.push('$');
        } else {
            let value = std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| name.to_string())?;
            out.push_str(&value.to_string_lossy());
        }
        rest = next;
    }
    out.push_str(rest);
    Ok(PathBuf::from(out))
}
