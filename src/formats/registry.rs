//! Every format otp knows ([`ALL`]), and finding them by name and by
//! what they do. `otp import`, `otp export` and their help iterate it.
//! Adding a format is its file and one line here.

use super::format::{Format, Reader};

/// Every format otp reads or writes, in the order in which formats of one
/// shape are tried.
pub const ALL: &[&Format] = &[
    &super::uri_list::FORMAT,
    &super::google::FORMAT,
    &super::aegis::FORMAT,
    &super::twofas::FORMAT,
    &super::proton::FORMAT,
    &super::stratum::FORMAT,
    &super::bitwarden::FORMAT,
    &super::steam::FORMAT,
    &super::freeotp::FORMAT_PLUS,
    &super::duo::FORMAT,
    &super::andotp::FORMAT,
    &super::authy::FORMAT,
    #[cfg(feature = "archives")]
    &super::authplus::FORMAT,
    &super::battlenet::FORMAT,
    &super::freeotp::FORMAT,
    &super::totpauth::FORMAT,
    #[cfg(feature = "phone-db")]
    &super::phone_db::MICROSOFT_FORMAT,
    &super::keepass::FORMAT,
    &super::keepassxc::FORMAT,
    &super::extract_otp_secrets::FORMAT,
];

/// The format `--format` names.
pub fn named(name: &str) -> Option<&'static Format> {
    ALL.iter().copied().find(|f| f.is_named(name))
}

/// Every name `--format` takes, for help and completion.
pub fn names() -> Vec<&'static str> {
    ALL.iter()
        .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
        .collect()
}

/// The formats `otp export` writes.
pub fn writers() -> impl Iterator<Item = &'static Format> {
    ALL.iter().copied().filter(|f| f.writer.is_some())
}

/// Every reader with its format, in the order of recognition.
pub fn readers() -> Vec<(&'static Format, &'static Reader)> {
    let mut all: Vec<(&'static Format, &'static Reader)> = ALL
        .iter()
        .flat_map(|f| f.readers.iter().map(move |r| (*f, r)))
        .collect();
    // Stable: formats of one shape keep the order of ALL.
    all.sort_by_key(|(_, r)| r.shape);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_format_can_be_named() {
        let all = names();
        let unique: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{all:?}");
        for format in ALL {
            assert_eq!(named(format.name), Some(*format));
            assert_eq!(named(&format.name.to_uppercase()), Some(*format));
        }
        assert!(named("authenticator_pro").is_some_and(|f| f.name == "stratum"));
    }
}
