//! The merge is a state merge. On random histories of three replicas
//! (add, remove, rename, issuer, site and parameter edits, HOTP use,
//! syncs, clocks that drift, clocks years ahead, saves past the removal
//! horizon): merge(A, B) = merge(B, A); merging a result again changes
//! nothing; the order of three copies does not matter; every result keeps
//! the vault's rules; each field is its latest write; a removal stays
//! unless the account was written later; no account is lost; no HOTP code
//! is shown twice. On real vault files with `passwd` and recovery keys
//! made and removed: after syncing, every copy opens with the latest
//! passphrase and the latest recovery key, and a removed recovery key
//! opens none.
//!
//! `PROPTEST_CASES` sets the number of cases (default 512 a property;
//! the one on vault files, 128, or `PROPTEST_VAULT_CASES`).

use std::collections::{BTreeMap, BTreeSet};

use otpvault::entries::{Edit, Entries};
use otpvault::merge::{forgotten, merge};
use otpvault::site::SiteEdit;
use otpvault::stamp::{AHEAD_LIMIT_MS, Stamp};
use otpvault::{Account, Algorithm, Entry, Kind, Overrides, Params, Secret};
use proptest::prelude::*;

/// A few names and secrets, so that replicas clash on both.
const NAMES: [&str; 5] = ["GitHub", "github", "Amazon", "Bank", "GitHub (2)"];
const ISSUERS: [&str; 3] = ["", "Issuer", "Other"];
const SITES: [&str; 3] = ["github.com", "amazon.co.jp", "bank.example"];
const SECRETS: usize = 6;
const DAY_MS: i64 = 86_400_000;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(512)
}

#[derive(Debug, Clone)]
enum Op {
    Add {
        replica: usize,
        name: usize,
        secret: usize,
        hotp: bool,
    },
    Remove {
        replica: usize,
        pick: usize,
    },
    Rename {
        replica: usize,
        pick: usize,
        name: usize,
    },
    Issuer {
        replica: usize,
        pick: usize,
        issuer: usize,
    },
    Site {
        replica: usize,
        pick: usize,
        site: usize,
    },
    Digits {
        replica: usize,
        pick: usize,
        eight: bool,
    },
    UseHotp {
        replica: usize,
        pick: usize,
    },
    Sync {
        from: usize,
        to: usize,
    },
    /// The clock moves on by this many milliseconds.
    Tick {
        ms: i64,
    },
    /// A save: tombstones past the horizon are forgotten.
    Save {
        replica: usize,
    },
}

/// How the replicas' clocks are off.
#[derive(Debug, Clone, Copy)]
enum Clocks {
    /// Within seconds of each other.
    Close,
    /// Replica 2's clock is years ahead.
    YearsAhead,
    /// Close, and time runs past the 400-day horizon.
    PastTheHorizon,
}

fn op(clocks: Clocks) -> impl Strategy<Value = Op> {
    let tick = match clocks {
        Clocks::PastTheHorizon => prop_oneof![
            4 => (0..4_000i64).boxed(),
            1 => Just(401 * DAY_MS).boxed(),
        ]
        .boxed(),
        _ => (0..4_000i64).boxed(),
    };
    let r = 0..3usize;
    prop_oneof![
        3 => (r.clone(), 0..NAMES.len(), 0..SECRETS, any::<bool>())
            .prop_map(|(replica, name, secret, hotp)| Op::Add { replica, name, secret, hotp }),
        1 => (r.clone(), 0..8usize).prop_map(|(replica, pick)| Op::Remove { replica, pick }),
        1 => (r.clone(), 0..8usize, 0..NAMES.len())
            .prop_map(|(replica, pick, name)| Op::Rename { replica, pick, name }),
        1 => (r.clone(), 0..8usize, 0..ISSUERS.len())
            .prop_map(|(replica, pick, issuer)| Op::Issuer { replica, pick, issuer }),
        1 => (r.clone(), 0..8usize, 0..SITES.len())
            .prop_map(|(replica, pick, site)| Op::Site { replica, pick, site }),
        1 => (r.clone(), 0..8usize, any::<bool>())
            .prop_map(|(replica, pick, eight)| Op::Digits { replica, pick, eight }),
        1 => (r.clone(), 0..8usize).prop_map(|(replica, pick)| Op::UseHotp { replica, pick }),
        3 => (r.clone(), 0..3usize).prop_map(|(from, to)| Op::Sync { from, to }),
        2 => tick.prop_map(|ms| Op::Tick { ms }),
        1 => r.prop_map(|replica| Op::Save { replica }),
    ]
}

fn secret(i: usize) -> Secret {
    Secret::new(format!("secret number {i} of the test").into_bytes())
}

/// An account as the ledger knows it: (secret, hotp).
type Acct = (usize, bool);

fn account_of(entry: &Entry) -> Acct {
    let i = (0..SECRETS)
        .find(|&i| secret(i) == entry.secret)
        .expect("a known secret");
    (i, entry.otp.kind == Kind::Hotp)
}

/// A field's value as the ledger records it.
fn field(entry: &Entry, part: usize) -> String {
    match part {
        0 => entry.given_name().to_string(),
        1 => entry.issuer.clone(),
        2 => entry.sites.join(","),
        _ => entry.otp.digits.to_string(),
    }
}

fn stamp_of(entry: &Entry, part: usize) -> Stamp {
    let s = &entry.stamps;
    match part {
        0 => s.name,
        1 => s.issuer,
        2 => s.sites,
        _ => s.otp,
    }
}

/// Every write and removal of the history, by account, with its stamp.
#[derive(Default)]
struct Ledger {
    /// (account, field) → (stamp, value) of every write.
    writes: BTreeMap<(Acct, usize), Vec<(Stamp, String)>>,
    /// The latest stamp of any write (add included), by account.
    written: BTreeMap<Acct, Stamp>,
    /// The latest removal, by account.
    removed: BTreeMap<Acct, Stamp>,
    added: BTreeSet<Acct>,
    /// Merges refused as too old.
    refused: usize,
}

impl Ledger {
    fn wrote(&mut self, entry: &Entry, parts: &[usize]) {
        let acct = account_of(entry);
        for &part in parts {
            let stamp = stamp_of(entry, part);
            self.writes
                .entry((acct, part))
                .or_default()
                .push((stamp, field(entry, part)));
            let latest = self.written.entry(acct).or_default();
            *latest = (*latest).max(stamp);
        }
    }
}

struct History {
    replicas: [Entries; 3],
    ledger: Ledger,
    /// The wall clock at the end, in milliseconds.
    now: i64,
}

/// Replica `replica`'s clock when the true time is `clock`.
fn wall(clocks: Clocks, clock: i64, replica: usize) -> i64 {
    let off = match (clocks, replica) {
        (Clocks::YearsAhead, 2) => 3 * 365 * DAY_MS,
        (_, r) => [0, -2_000, 3_000][r],
    };
    clock + off
}

fn run(ops: &[Op], clocks: Clocks) -> Result<History, TestCaseError> {
    let mut replicas: [Entries; 3] = Default::default();
    let mut ledger = Ledger::default();
    let mut clock = 1_800_000_000_000i64;
    for op in ops {
        match *op {
            Op::Tick { ms } => clock += ms,
            Op::Add {
                replica,
                name,
                secret: s,
                hotp,
            } => {
                let now = wall(clocks, clock, replica);
                let params = Params {
                    kind: if hotp { Kind::Hotp } else { Kind::Totp },
                    ..Params::default()
                };
                let entry = Account {
                    issuer: "Issuer".into(),
                    account: String::new(),
                    secret: secret(s),
                    params,
                    sites: Vec::new(),
                }
                .enrol(NAMES[name], Overrides::default())
                .unwrap()
                .entry;
                let entry = Entry {
                    created: now / 1000,
                    ..entry
                };
                let id = entry.id.clone();
                if replicas[replica].add_all_at(vec![entry], now).is_ok() {
                    let added = replicas[replica].by_id(&id).unwrap().clone();
                    ledger.added.insert(account_of(&added));
                    ledger.wrote(&added, &[0, 1, 2, 3]);
                }
            }
            Op::Remove { replica, pick } => {
                let now = wall(clocks, clock, replica);
                let r = &mut replicas[replica];
                if let Some(name) = r.as_slice().get(pick).map(|e| e.name.clone()) {
                    let gone = r.remove_at(&name, now).unwrap();
                    let stamp = r.tombstones().iter().map(|t| t.stamp).max().unwrap();
                    let latest = ledger.removed.entry(account_of(&gone)).or_default();
                    *latest = (*latest).max(stamp);
                }
            }
            Op::Rename {
                replica,
                pick,
                name,
            } => {
                edit(
                    &mut replicas[replica],
                    pick,
                    &mut ledger,
                    0,
                    |r, old, now| r.rename_at(old, NAMES[name], now).is_ok(),
                    wall(clocks, clock, replica),
                );
            }
            Op::Issuer {
                replica,
                pick,
                issuer,
            } => {
                edit(
                    &mut replicas[replica],
                    pick,
                    &mut ledger,
                    1,
                    |r, name, now| {
                        let e = Edit {
                            issuer: Some(ISSUERS[issuer].into()),
                            ..Edit::default()
                        };
                        r.edit_at(name, &e, now).is_ok()
                    },
                    wall(clocks, clock, replica),
                );
            }
            Op::Site {
                replica,
                pick,
                site,
            } => {
                edit(
                    &mut replicas[replica],
                    pick,
                    &mut ledger,
                    2,
                    |r, name, now| {
                        let e = Edit {
                            sites: SiteEdit {
                                set: Some(vec![SITES[site].into()]),
                                ..SiteEdit::default()
                            },
                            ..Edit::default()
                        };
                        r.edit_at(name, &e, now).is_ok()
                    },
                    wall(clocks, clock, replica),
                );
            }
            Op::Digits {
                replica,
                pick,
                eight,
            } => {
                edit(
                    &mut replicas[replica],
                    pick,
                    &mut ledger,
                    3,
                    |r, name, now| {
                        let e = Edit {
                            digits: Some(if eight { 8 } else { 6 }),
                            algorithm: Some(Algorithm::SHA1),
                            ..Edit::default()
                        };
                        r.edit_at(name, &e, now).is_ok()
                    },
                    wall(clocks, clock, replica),
                );
            }
            Op::UseHotp { replica, pick } => {
                let r = &mut replicas[replica];
                if let Some(e) = r.as_slice().get(pick).filter(|e| e.otp.kind == Kind::Hotp) {
                    let name = e.name.clone();
                    r.advance_hotp(&name).unwrap();
                }
            }
            Op::Save { replica } => {
                replicas[replica].forget_old_tombstones(wall(clocks, clock, replica));
            }
            Op::Sync { from, to } => {
                let now = wall(clocks, clock, to);
                if forgotten(&replicas[to], &replicas[from]).is_some() {
                    ledger.refused += 1;
                    continue;
                }
                let before: BTreeSet<Acct> = replicas[to].iter().map(account_of).collect();
                let (merged, _) = merge(&replicas[to], &replicas[from], now);
                // A removal this replica had seen stays, unless the account
                // was written after it.
                for e in merged.iter() {
                    let acct = account_of(e);
                    if before.contains(&acct) {
                        continue;
                    }
                    if let Some(t) = replicas[to]
                        .tombstones()
                        .iter()
                        .filter(|t| t.account.as_deref() == Some(&e.account_key()))
                        .map(|t| t.stamp)
                        .max()
                    {
                        prop_assert!(
                            e.latest() > t,
                            "an account removed here came back without a later write"
                        );
                    }
                }
                replicas[to] = merged;
            }
        }
    }
    Ok(History {
        replicas,
        ledger,
        now: wall(clocks, clock, 0),
    })
}

/// Applies one edit to the entry at `pick`, and records the write.
fn edit(
    r: &mut Entries,
    pick: usize,
    ledger: &mut Ledger,
    part: usize,
    change: impl FnOnce(&mut Entries, &str, i64) -> bool,
    now: i64,
) {
    let Some((name, id)) = r
        .as_slice()
        .get(pick)
        .map(|e| (e.name.clone(), e.id.clone()))
    else {
        return;
    };
    let before = r.by_id(&id).map(|e| stamp_of(e, part));
    if change(r, &name, now)
        && let Some(e) = r.by_id(&id)
        && Some(stamp_of(e, part)) != before
    {
        ledger.wrote(&e.clone(), &[part]);
    }
}

/// A copy in a line a person can read, for failure messages.
fn dump(e: &Entries) -> String {
    let mut out = String::new();
    for x in e.iter() {
        out += &format!(
            "[{} {:?} {:?} s{} c{} @{:?}] ",
            &x.id[..4],
            x.name,
            x.otp.kind,
            account_of(x).0,
            x.otp.counter,
            x.latest()
        );
    }
    for t in e.tombstones() {
        out += &format!("[tomb {} @{:?} c{:?}] ", &t.id[..4], t.stamp, t.counter);
    }
    out
}

/// The result keeps every rule a stored vault must keep.
fn keeps_the_rules(e: &Entries) -> bool {
    let json = serde_json::to_vec(e).unwrap();
    let back = Entries::from_json(&json).expect("a merge result is a valid payload");
    let names: BTreeSet<String> = e.iter().map(|x| x.name.to_lowercase()).collect();
    let accounts: BTreeSet<Acct> = e.iter().map(account_of).collect();
    back == *e && names.len() == e.len() && accounts.len() == e.len()
}

/// The laws every history keeps, whatever its clocks.
fn laws(h: &History) -> Result<Entries, TestCaseError> {
    let [a, b, c] = &h.replicas;
    let now = h.now;
    let m = |x: &Entries, y: &Entries| merge(x, y, now).0;
    let ab = m(a, b);
    prop_assert_eq!(&ab, &m(b, a), "commutative");
    prop_assert_eq!(&m(&ab, &ab), &ab, "idempotent on a result");
    prop_assert_eq!(&m(&ab, b), &ab, "merging a copy again changes nothing");
    let left = m(&ab, c);
    let right = m(a, &m(b, c));
    prop_assert_eq!(
        &left,
        &right,
        "associative:\nA {}\nB {}\nC {}\n(AB)C {}\nA(BC) {}",
        dump(a),
        dump(b),
        dump(c),
        dump(&left),
        dump(&right)
    );
    prop_assert_eq!(&left, &m(&m(c, a), b), "any order of three");
    prop_assert!(keeps_the_rules(&left));
    // No stamp is believed more than a day past the merging clock.
    for e in left.iter() {
        prop_assert!(e.latest() <= Stamp(now + AHEAD_LIMIT_MS, 0));
    }
    // No HOTP code is shown twice.
    for entry in left.iter().filter(|e| e.otp.kind == Kind::Hotp) {
        for replica in [a, b, c] {
            for other in replica
                .iter()
                .filter(|o| o.secret == entry.secret && o.otp.kind == entry.otp.kind)
            {
                prop_assert!(
                    entry.otp.counter >= other.otp.counter,
                    "a code could be shown twice"
                );
            }
        }
    }
    // No account that was added and never removed is lost.
    let kept: BTreeSet<Acct> = left.iter().map(account_of).collect();
    for account in &h.ledger.added {
        if !h.ledger.removed.contains_key(account) {
            prop_assert!(kept.contains(account), "lost {:?}", account);
        }
    }
    Ok(left)
}

/// With clocks that agree: each field of the merge of all three is its
/// latest write, and an account is there exactly when its latest event is
/// a write.
fn latest_writes_win(h: &History, all: &Entries) -> Result<(), TestCaseError> {
    let l = &h.ledger;
    let present: BTreeMap<Acct, &Entry> = all.iter().map(|e| (account_of(e), e)).collect();
    for (acct, written) in &l.written {
        let removed = l.removed.get(acct).copied().unwrap_or_default();
        prop_assert_eq!(
            present.contains_key(acct),
            *written > removed,
            "{:?}: written {:?}, removed {:?}\n{}",
            acct,
            written,
            removed,
            dump(all)
        );
    }
    for ((acct, part), writes) in &l.writes {
        let Some(entry) = present.get(acct) else {
            continue;
        };
        // Every write counts, also one made before a removal that a later
        // edit undid: the entry comes back as it was, and as edited.
        let latest = writes.iter().max().unwrap();
        prop_assert_eq!(
            (stamp_of(entry, *part), field(entry, *part)),
            latest.clone(),
            "field {} of {:?}\n{}",
            part,
            acct,
            dump(all)
        );
    }
    Ok(())
}

/// Syncs every replica with every other, twice.
fn sync_all(ops: &mut Vec<Op>) {
    for _ in 0..2 {
        for from in 0..3 {
            for to in 0..3 {
                ops.push(Op::Sync { from, to });
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn with_clocks_that_agree_the_latest_write_wins(ops in proptest::collection::vec(op(Clocks::Close), 0..40)) {
        let h = run(&ops, Clocks::Close)?;
        let all = laws(&h)?;
        latest_writes_win(&h, &all)?;
    }

    #[test]
    fn with_a_clock_years_ahead_the_laws_hold(ops in proptest::collection::vec(op(Clocks::YearsAhead), 0..40)) {
        let mut ops = ops;
        sync_all(&mut ops);
        let h = run(&ops, Clocks::YearsAhead)?;
        laws(&h)?;
    }

    #[test]
    fn past_the_horizon_the_laws_hold_and_removals_stay(ops in proptest::collection::vec(op(Clocks::PastTheHorizon), 0..40)) {
        let h = run(&ops, Clocks::PastTheHorizon)?;
        laws(&h)?;
    }
}

/// The same on real vault files: passphrases and recovery keys travel
/// with the later set of slots.
mod vaults {
    use super::*;
    use otpvault::recovery::RecoveryKey;
    use otpvault::vault::{Access, Copy, MergeError, OpenError, Settings, Unlock};
    use otpvault::{KdfParams, Passphrase, Vault};

    const TINY: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    #[derive(Debug, Clone)]
    enum VaultOp {
        Add { replica: usize, secret: usize },
        Passwd { replica: usize },
        MakeRecovery { replica: usize },
        RemoveRecovery { replica: usize },
        Sync { from: usize, to: usize },
    }

    fn vault_op() -> impl Strategy<Value = VaultOp> {
        prop_oneof![
            2 => (0..3usize, 0..SECRETS).prop_map(|(replica, secret)| VaultOp::Add { replica, secret }),
            1 => (0..3usize).prop_map(|replica| VaultOp::Passwd { replica }),
            1 => (0..3usize).prop_map(|replica| VaultOp::MakeRecovery { replica }),
            1 => (0..3usize).prop_map(|replica| VaultOp::RemoveRecovery { replica }),
            3 => (0..3usize, 0..3usize).prop_map(|(from, to)| VaultOp::Sync { from, to }),
        ]
    }

    fn pass(n: usize) -> Passphrase {
        Passphrase::from(format!("passphrase {n}"))
    }

    struct Replicas {
        paths: Vec<std::path::PathBuf>,
        /// Every passphrase ever set; the one that opens each replica.
        opens: [usize; 3],
        settings: Settings,
    }

    impl Replicas {
        fn open(&self, i: usize) -> Vault {
            Vault::open(
                &self.paths[i],
                Unlock::Passphrase(&pass(self.opens[i])),
                Access::Update,
                self.settings,
            )
            .unwrap()
        }

        /// Which of the first `n` passphrases opens replica `i`.
        fn which(&self, i: usize, n: usize) -> Option<usize> {
            (0..=n).find(|&p| {
                Vault::open(
                    &self.paths[i],
                    Unlock::Passphrase(&pass(p)),
                    Access::Read,
                    self.settings,
                )
                .is_ok()
            })
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_VAULT_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases().min(128))
        ))]

        #[test]
        fn the_later_slots_travel_to_every_copy(ops in proptest::collection::vec(vault_op(), 0..20)) {
            let dir = tempfile::tempdir().unwrap();
            let settings = Settings { keep_backups: 0, ..Settings::default() };
            let paths: Vec<_> = (0..3).map(|i| dir.path().join(format!("r{i}.otpvault"))).collect();
            drop(Vault::create(&paths[0], &pass(0), TINY, settings).unwrap());
            for p in &paths[1..] {
                std::fs::copy(&paths[0], p).unwrap();
            }
            let mut r = Replicas { paths, opens: [0; 3], settings };
            let mut ops = ops;
            for _ in 0..2 {
                for from in 0..3 {
                    for to in 0..3 {
                        if from != to {
                            ops.push(VaultOp::Sync { from, to });
                        }
                    }
                }
            }
            let mut passphrases = 0;
            // The latest slot change: a passphrase, a recovery key made
            // (which), or removed.
            let mut last_pass = 0;
            let mut recovery: Option<usize> = None;
            let mut keys: Vec<RecoveryKey> = Vec::new();
            for op in &ops {
                // Each operation a few milliseconds after the last, so that
                // wall-clock stamps order them as they happened.
                std::thread::sleep(std::time::Duration::from_millis(2));
                match *op {
                    VaultOp::Add { replica, secret: s } => {
                        let mut v = r.open(replica);
                        let entry = Account { issuer: String::new(), account: String::new(), secret: secret(s), params: Params::default(), sites: Vec::new() }
                            .enrol(&format!("E{s}"), Overrides::default()).unwrap().entry;
                        if v.add(entry).is_ok() {
                            v.save().unwrap().backup.unwrap();
                        }
                    }
                    VaultOp::Passwd { replica } => {
                        passphrases += 1;
                        let mut v = r.open(replica);
                        v.change_passphrase(&pass(passphrases)).unwrap();
                        v.save().unwrap().backup.unwrap();
                        r.opens[replica] = passphrases;
                        last_pass = passphrases;
                    }
                    VaultOp::MakeRecovery { replica } => {
                        let key = RecoveryKey::generate();
                        let mut v = r.open(replica);
                        v.set_recovery_key(&key).unwrap();
                        v.save().unwrap().backup.unwrap();
                        keys.push(key);
                        recovery = Some(keys.len() - 1);
                    }
                    VaultOp::RemoveRecovery { replica } => {
                        let mut v = r.open(replica);
                        if v.remove_recovery_key() {
                            v.save().unwrap().backup.unwrap();
                            recovery = None;
                        }
                    }
                    VaultOp::Sync { from, to } => {
                        if from == to {
                            continue;
                        }
                        let mut v = r.open(to);
                        let copy = match v.read_copy(&r.paths[from]) {
                            Ok(copy) => copy,
                            Err(MergeError::Open(OpenError::OtherKey(_))) => Copy::from(
                                Vault::open(&r.paths[from], Unlock::Passphrase(&pass(r.opens[from])), Access::Read, settings).unwrap(),
                            ),
                            Err(e) => panic!("{e}"),
                        };
                        let merged = v.merge(&copy, false).unwrap();
                        if merged.changed {
                            v.save().unwrap().backup.unwrap();
                        }
                        drop(v);
                        r.opens[to] = r.which(to, passphrases).expect("the merged copy opens with a passphrase given");
                    }
                }
            }
            for i in 0..3 {
                prop_assert_eq!(r.which(i, passphrases), Some(last_pass), "replica {} opens with the latest passphrase", i);
                for (k, key) in keys.iter().enumerate() {
                    let opens = Vault::open(&r.paths[i], Unlock::Recovery(key), Access::Read, settings).is_ok();
                    prop_assert_eq!(opens, recovery == Some(k), "recovery key {} on replica {}", k, i);
                }
            }
        }
    }
}
