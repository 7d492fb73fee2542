//! Android SharedPreferences files: `<map>` with `<string name="...">`
//! children, which Authy, Battle.net, FreeOTP and TOTP Authenticator keep
//! their accounts in (read from a rooted phone's app data).

use zeroize::Zeroizing;

/// The `<string>` values of a preferences file, by name. Values often hold
/// secrets, so they are wiped on drop.
pub struct Prefs {
    strings: Vec<(String, Zeroizing<String>)>,
}

impl Prefs {
    /// Parses `text` as a preferences file; `None` if it is not XML with a
    /// `<map>` root.
    /// Without the phone-db feature, which reads them, `None`.
    #[cfg(not(feature = "phone-db"))]
    pub fn parse(_: &str) -> Option<Prefs> {
        None
    }

    #[cfg(feature = "phone-db")]
    pub fn parse(text: &str) -> Option<Prefs> {
        let doc = roxmltree::Document::parse(text).ok()?;
        let root = doc.root_element();
        if root.tag_name().name() != "map" {
            return None;
        }
        let strings = root
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "string")
            .filter_map(|n| {
                let name = n.attribute("name")?.to_string();
                let value: String = n
                    .children()
                    .filter_map(|c| c.text())
                    .collect::<Vec<_>>()
                    .concat();
                Some((name, Zeroizing::new(value)))
            })
            .collect();
        Some(Prefs { strings })
    }

    /// The string named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every string, in file order.
    pub fn strings(&self) -> impl Iterator<Item = (&str, &str)> {
        self.strings.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

#[cfg(all(test, feature = "phone-db"))]
mod tests {
    use super::*;

    #[test]
    fn strings_are_read_and_entities_decoded() {
        let prefs = Prefs::parse(
            "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n<int name=\"n\" value=\"1\" />\n<string name=\"a\">{&quot;x&quot;:1}</string>\n</map>",
        )
        .unwrap();
        assert_eq!(prefs.get("a"), Some("{\"x\":1}"));
        assert_eq!(prefs.get("n"), None);
        assert!(Prefs::parse("<other/>").is_none());
        assert!(Prefs::parse("not xml").is_none());
    }
}
