//! When each field of an entry last changed: the parts that change on
//! their own, and their stamps as the payload writes them.

use serde::{Deserialize, Serialize};

use crate::stamp::Stamp;

/// The parts of an entry that change on their own, each with its stamp.
/// The secret and the kind of code are the account itself and never
/// change; the HOTP counter only grows, and a merge takes the larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Name,
    Issuer,
    Account,
    Sites,
    /// The algorithm, digits and period.
    Otp,
}

impl Part {
    pub const ALL: [Part; 5] = [
        Part::Name,
        Part::Issuer,
        Part::Account,
        Part::Sites,
        Part::Otp,
    ];
}

/// When each field of an entry last changed ([`crate::stamp`]). A newer
/// otpvault's field keeps its stamp under its own name in `other`, so that
/// a merge by this version still takes the later of two.
///
/// In the payload, an object of stamps by field name; or, when every field
/// changed at once (most entries, never edited), that one stamp: a quarter
/// of a vault's bytes otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamps {
    pub name: Stamp,
    pub issuer: Stamp,
    pub account: Stamp,
    pub sites: Stamp,
    pub otp: Stamp,
    pub other: std::collections::BTreeMap<String, Stamp>,
}

/// The names of the stamped parts in the payload, in [`Part::ALL`]'s order.
const PART_NAMES: [&str; 5] = ["name", "issuer", "account", "sites", "otp"];

impl Serialize for Stamps {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.other.is_empty() && Part::ALL.iter().all(|&p| self.get(p) == self.name) {
            return self.name.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(5 + self.other.len()))?;
        for (part, name) in Part::ALL.iter().zip(PART_NAMES) {
            map.serialize_entry(name, &self.get(*part))?;
        }
        for (name, stamp) in &self.other {
            map.serialize_entry(name, stamp)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Stamps {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Stamps, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Stamps;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a stamp, or an object of stamps by field")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Stamps, A::Error> {
                let stamp = Stamp::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Stamps::all(stamp))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Stamps, A::Error> {
                let mut stamps = Stamps::default();
                while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let stamp: Stamp = map.next_value()?;
                    match PART_NAMES.iter().position(|n| *n == name) {
                        Some(i) => *stamps.of(Part::ALL[i]) = stamp,
                        None => {
                            stamps.other.insert(name.into_owned(), stamp);
                        }
                    }
                }
                Ok(stamps)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Stamps {
    /// Every field changed at `stamp`.
    pub fn all(stamp: Stamp) -> Stamps {
        Stamps {
            name: stamp,
            issuer: stamp,
            account: stamp,
            sites: stamp,
            otp: stamp,
            other: std::collections::BTreeMap::new(),
        }
    }

    /// True for the stamps of an entry read from a file of an older
    /// format, which had none.
    pub fn is_unset(&self) -> bool {
        *self == Stamps::default()
    }

    pub fn of(&mut self, field: Part) -> &mut Stamp {
        match field {
            Part::Name => &mut self.name,
            Part::Issuer => &mut self.issuer,
            Part::Account => &mut self.account,
            Part::Sites => &mut self.sites,
            Part::Otp => &mut self.otp,
        }
    }

    pub fn get(&self, field: Part) -> Stamp {
        match field {
            Part::Name => self.name,
            Part::Issuer => self.issuer,
            Part::Account => self.account,
            Part::Sites => self.sites,
            Part::Otp => self.otp,
        }
    }

    /// The latest of them.
    pub fn latest(&self) -> Stamp {
        Part::ALL
            .iter()
            .map(|&f| self.get(f))
            .chain(self.other.values().copied())
            .max()
            .unwrap_or_default()
    }
}
