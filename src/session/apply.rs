//! An operation run on an open vault: the one place each command's rule
//! is, whichever process runs it.

use std::time::Duration;

use super::{CodeOf, Failed, Op, Outcome};
use crate::clipboard::Schedule;
use crate::entry::View;
use crate::error::Kinded;
use crate::import;
use crate::otp::Kind;
use crate::unlock::{self, Ask, By};
use crate::vault::{AllCodes, ForUrl, SaveError, Saved, Shown, Vault, conflicts, store};

/// Runs `op` on `vault`, opened with [`Op::access`] (for
/// [`Op::MergeDriver`], the file `ours`, opened with the vault's key).
/// Changes are saved before the outcome is returned. `by` and `ask` say
/// how other copies of the vault may be opened, for a merge.
pub fn apply(vault: &mut Vault, op: Op, by: &By, ask: &mut dyn Ask) -> Result<Outcome, Failed> {
    let failed = |e: &dyn Kinded| Failed::of(e);
    match op {
        Op::Codes { when } => Ok(codes(vault.all_codes(when).map_err(|e| failed(&e))?)),
        Op::SiteCodes { url, when } => {
            Ok(codes(vault.site_codes(&url, when).map_err(|e| failed(&e))?))
        }
        Op::Code {
            query,
            when,
            url,
            copy_for,
        } => {
            let url = url.as_ref().map(|u| ForUrl {
                url: &u.url,
                allow_http: u.allow_http,
            });
            let Shown {
                entry,
                code,
                current,
                saved,
                ..
            } = vault
                .next_code_for(&query, when, url)
                .map_err(|e| failed(&e))?;
            let schedule = match (copy_for, &current) {
                (Some(seconds), Some(current)) if entry.otp.kind != Kind::Hotp => Some(
                    Schedule::following(entry, current, Duration::from_secs(seconds))
                        .map_err(|e| failed(&e))?,
                ),
                (Some(_), _) => Some(Schedule::single(&code)),
                (None, _) => None,
            };
            Ok(Outcome::Code {
                code: CodeOf {
                    entry: View::from(entry),
                    code: Some(code),
                    current,
                },
                schedule,
                backup: saved.and_then(backup_failed),
            })
        }
        Op::List => Ok(Outcome::List {
            entries: vault.entries().iter().map(View::from).collect(),
        }),
        Op::CheckName { name } => Ok(Outcome::Name {
            name: vault
                .entries()
                .check_new_name(&name)
                .map_err(|e| failed(&e))?,
        }),
        Op::Add { entry } => {
            let entry = View::from(vault.add(entry).map_err(|e| failed(&e))?);
            let saved = vault.save().map_err(|e| failed(&e))?;
            let current = match entry.otp.kind {
                Kind::Hotp => None,
                _ => {
                    let now = crate::clock::now().map_err(|e| failed(&e))?;
                    vault
                        .entries()
                        .named(&entry.name)
                        .and_then(|e| e.current(now).ok().flatten())
                }
            };
            Ok(Outcome::Added {
                entry,
                current,
                backup: backup_failed(saved),
            })
        }
        Op::Import { accounts } => {
            // Opened without the lock, which a save takes: a long import
            // holds up no other writer. If one saved meanwhile, the vault
            // is read again under the lock and the accounts merged again.
            let again = accounts.clone();
            let report = import::merge(vault, accounts).map_err(|e| failed(&e))?;
            if report.added.is_empty() {
                return Ok(Outcome::Imported {
                    report,
                    backup: None,
                });
            }
            store::pausepoint(store::Step::ImportMerged);
            let (report, saved) = match vault.save() {
                Err(SaveError::Changed(_)) => {
                    vault.reread().map_err(|e| failed(&e))?;
                    let report = import::merge(vault, again).map_err(|e| failed(&e))?;
                    if report.added.is_empty() {
                        return Ok(Outcome::Imported {
                            report,
                            backup: None,
                        });
                    }
                    (report, vault.save().map_err(|e| failed(&e))?)
                }
                saved => (report, saved.map_err(|e| failed(&e))?),
            };
            Ok(Outcome::Imported {
                report,
                backup: backup_failed(saved),
            })
        }
        Op::Rename { old, new } => {
            let entry = View::from(vault.rename(&old, &new).map_err(|e| failed(&e))?);
            changed(vault, entry)
        }
        Op::Edit { name, edit } => {
            let entry = View::from(vault.edit(&name, &edit).map_err(|e| failed(&e))?);
            changed(vault, entry)
        }
        Op::Remove { name } => {
            let entry = View::from(&vault.remove(&name).map_err(|e| failed(&e))?);
            let saved = vault.save().map_err(|e| failed(&e))?;
            Ok(Outcome::Removed {
                entry,
                backup: backup_failed(saved),
            })
        }
        Op::Merge {
            files,
            conflicts: with_conflicts,
            accept_old,
        } => {
            let mut merged =
                unlock::merge_files(vault, by, &files, accept_old, ask).map_err(|e| failed(&e))?;
            let found = if with_conflicts {
                unlock::merge_conflicts(vault, by, accept_old, ask)
            } else {
                unlock::Conflicts::default()
            };
            merged.add(found.merged);
            let backup = match merged.changed {
                true => backup_failed(vault.save().map_err(|e| failed(&e))?),
                false => None,
            };
            // Moved once the vault that holds them is saved.
            let mut taken = Vec::with_capacity(found.taken.len());
            for copy in found.taken {
                let kept = conflicts::put_away(vault.path(), &copy).map_err(|e| failed(&e))?;
                taken.push((copy, kept));
            }
            Ok(Outcome::Merged {
                merged,
                taken,
                left: found.left,
                backup,
            })
        }
        Op::MergeDriver { ours, theirs } => {
            let copy = unlock::read_copy(vault, by, &theirs, ask).map_err(|e| failed(&e))?;
            let merged = vault.merge(&copy, false).map_err(|e| failed(&e))?;
            if merged.changed {
                let bytes = vault.to_file().map_err(|e| failed(&e))?;
                store::write_atomic(&ours, &bytes, true).map_err(|e| failed(&e))?;
            }
            Ok(Outcome::Merged {
                merged,
                taken: Vec::new(),
                left: Vec::new(),
                backup: None,
            })
        }
        Op::Backup { dest, force } => {
            vault.backup(&dest, force).map_err(|e| failed(&e))?;
            Ok(Outcome::BackedUp {
                entries: vault.entries().len(),
            })
        }
    }
}

/// Codes as an outcome, each with its seconds left.
fn codes(all: AllCodes) -> Outcome {
    let codes = all
        .codes
        .into_iter()
        .map(|(entry, code)| CodeOf {
            entry: View::from(entry),
            current: entry.current(all.time).ok().flatten(),
            code,
        })
        .collect();
    Outcome::Codes {
        time: all.time,
        codes,
    }
}

/// A rename or an edit, saved.
fn changed(vault: &mut Vault, entry: View) -> Result<Outcome, Failed> {
    let saved = vault.save().map_err(|e| Failed::of(&e))?;
    Ok(Outcome::Changed {
        entry,
        backup: backup_failed(saved),
    })
}

/// The message of an automatic backup that failed after a save.
fn backup_failed(saved: Saved) -> Option<String> {
    saved.backup.err().map(|e| e.to_string())
}
