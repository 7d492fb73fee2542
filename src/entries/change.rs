//! Changing one entry: removing it (a tombstone stays), renaming it, and
//! editing its other fields. Each change is stamped after everything the
//! copy has seen, field by field.

use super::{Edit, Entries, EntryError, Tombstone, check_name, clash_error};
use crate::entry::{Entry, Part};
use crate::names::{self, Field};
use crate::otp::Kind;
use crate::stamp;

impl Entries {
    /// Removes the entry named exactly `name` (ignoring case) and leaves a
    /// tombstone. Destructive, so no partial matching.
    pub fn remove(&mut self, name: &str) -> Result<Entry, EntryError> {
        self.remove_at(name, stamp::wall_ms())
    }

    /// [`Entries::remove`], as if the wall clock read `wall_ms`.
    pub fn remove_at(&mut self, name: &str, wall_ms: i64) -> Result<Entry, EntryError> {
        let i = self.index_of_exact(name)?;
        // Later than the entry's last change, even if the clock went back.
        let stamp = self.tick(wall_ms);
        let entry = self.entries.remove(i);
        let tombstone = Tombstone {
            id: entry.id.clone(),
            deleted: stamp.seconds(),
            stamp,
            counter: (entry.otp.kind == Kind::Hotp).then_some(entry.otp.counter),
            // An account a file of an older format holds twice is removed
            // by id alone: naming the account would remove its twin.
            account: Some(entry.account_key())
                .filter(|a| !self.entries.iter().any(|e| e.account_key() == *a)),
            remains: Some(crate::entry::Remains::of(&entry)),
            unknown: serde_json::Map::new(),
        };
        let at = self.deleted.partition_point(|t| t.id < tombstone.id);
        self.deleted.insert(at, tombstone);
        self.settle_names();
        Ok(entry)
    }

    /// Renames the entry named exactly `old`; its id stays.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<&Entry, EntryError> {
        self.rename_at(old, new, stamp::wall_ms())
    }

    /// Changes the issuer, account or sites of the entry named exactly
    /// `name`.
    pub fn edit(&mut self, name: &str, edit: &Edit) -> Result<&Entry, EntryError> {
        self.edit_at(name, edit, stamp::wall_ms())
    }

    /// [`Entries::edit`], as if the wall clock read `wall_ms`.
    pub fn edit_at(&mut self, name: &str, edit: &Edit, wall_ms: i64) -> Result<&Entry, EntryError> {
        let i = self.index_of_exact(name)?;
        let sites = edit.sites.apply(&self.entries[i].sites)?;
        let issuer = edit
            .issuer
            .as_deref()
            .map(|text| names::typed(Field::Issuer, text))
            .transpose()?;
        let account = edit
            .account
            .as_deref()
            .map(|text| names::typed(Field::Account, text))
            .transpose()?;
        let now = self.entries[i].otp;
        let params = crate::otp::Params {
            algorithm: edit.algorithm.unwrap_or(now.algorithm),
            digits: edit.digits.unwrap_or(now.digits),
            period: edit.period.unwrap_or(now.period),
            ..now
        }
        .validate()?;
        let mut changed = Vec::new();
        let entry = &mut self.entries[i];
        if entry.sites != sites {
            entry.sites = sites;
            changed.push(Part::Sites);
        }
        for (part, field, new) in [
            (Part::Issuer, &mut entry.issuer, issuer),
            (Part::Account, &mut entry.account, account),
        ] {
            if let Some(new) = new.filter(|new| new != field) {
                *field = new;
                changed.push(part);
            }
        }
        if params != entry.otp {
            entry.otp = params;
            changed.push(Part::Otp);
        }
        if !changed.is_empty() {
            let stamp = self.tick(wall_ms);
            for part in changed {
                self.entries[i].stamp(part, stamp);
            }
        }
        Ok(&self.entries[i])
    }

    /// [`Entries::rename`], as if the wall clock read `wall_ms`.
    pub fn rename_at(&mut self, old: &str, new: &str, wall_ms: i64) -> Result<&Entry, EntryError> {
        let new = check_name(new)?;
        let i = self.index_of_exact(old)?;
        let own = self.entries[i].name.clone();
        if let Some(clash) = self.index().clash(&new, Some(&own)) {
            return Err(clash_error(&new, clash));
        }
        let stamp = self.tick(wall_ms);
        let entry = &mut self.entries[i];
        entry.name = new;
        entry.given_name = None;
        entry.stamp(Part::Name, stamp);
        let id = entry.id.clone();
        self.sort();
        self.settle_names();
        Ok(self.by_id(&id).unwrap_or(&self.entries[i]))
    }
}
