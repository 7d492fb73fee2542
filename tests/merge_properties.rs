//! The merge is a state merge: on random histories of add, remove, rename,
//! HOTP use and syncs across three replicas, merge(A, B) = merge(B, A),
//! merge(A, A) = A, the order of three copies does not matter, every result
//! keeps the vault's rules, and no account that a replica added and none
//! removed is ever lost.

use std::collections::BTreeSet;

use otpvault::entries::Entries;
use otpvault::merge::merge;
use otpvault::vault::{Access, Unlock};
use otpvault::{Account, Overrides, Params, Secret};
use proptest::prelude::*;

/// A few names and secrets, so that replicas clash on both.
const NAMES: [&str; 5] = ["GitHub", "github", "Amazon", "Bank", "GitHub (2)"];
const SECRETS: usize = 6;

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
    UseHotp {
        replica: usize,
        pick: usize,
    },
    Sync {
        from: usize,
        to: usize,
    },
    /// The clock moves on; each replica's own clock may be off by a few
    /// seconds.
    Tick {
        seconds: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..NAMES.len(), 0..SECRETS, any::<bool>())
            .prop_map(|(replica, name, secret, hotp)| Op::Add { replica, name, secret, hotp }),
        1 => (0..3usize, 0..8usize).prop_map(|(replica, pick)| Op::Remove { replica, pick }),
        1 => (0..3usize, 0..8usize, 0..NAMES.len())
            .prop_map(|(replica, pick, name)| Op::Rename { replica, pick, name }),
        2 => (0..3usize, 0..8usize).prop_map(|(replica, pick)| Op::UseHotp { replica, pick }),
        2 => (0..3usize, 0..3usize).prop_map(|(from, to)| Op::Sync { from, to }),
        2 => (0..4i64).prop_map(|seconds| Op::Tick { seconds }),
    ]
}

fn secret(i: usize) -> Secret {
    Secret::new(format!("secret number {i} of the test").into_bytes())
}

/// What the history did, for the no-loss check: (secret, hotp) accounts.
#[derive(Default)]
struct Ledger {
    added: BTreeSet<(usize, bool)>,
    removed: BTreeSet<(usize, bool)>,
}

fn account_of(entry: &otpvault::Entry) -> (usize, bool) {
    let i = (0..SECRETS)
        .find(|&i| secret(i) == entry.secret)
        .expect("a known secret");
    (i, entry.otp.kind == otpvault::Kind::Hotp)
}

fn run(ops: &[Op]) -> ([Entries; 3], Ledger) {
    let mut replicas: [Entries; 3] = Default::default();
    let mut ledger = Ledger::default();
    let mut clock = 1_800_000_000i64;
    // Replica 1's clock is behind, replica 2's ahead.
    let now = |clock: i64, replica: usize| clock + [0, -2, 3][replica];
    for op in ops {
        match *op {
            Op::Tick { seconds } => clock += seconds,
            Op::Add {
                replica,
                name,
                secret: s,
                hotp,
            } => {
                let params = Params {
                    kind: if hotp {
                        otpvault::Kind::Hotp
                    } else {
                        otpvault::Kind::Totp
                    },
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
                let entry = otpvault::Entry {
                    created: now(clock, replica),
                    modified: now(clock, replica),
                    ..entry
                };
                if replicas[replica].add(entry).is_ok() {
                    ledger.added.insert((s, hotp));
                }
            }
            Op::Remove { replica, pick } => {
                let r = &mut replicas[replica];
                if let Some(name) = r.as_slice().get(pick).map(|e| e.name.clone()) {
                    let gone = r.remove_at(&name, now(clock, replica)).unwrap();
                    ledger.removed.insert(account_of(&gone));
                }
            }
            Op::Rename {
                replica,
                pick,
                name,
            } => {
                let r = &mut replicas[replica];
                if let Some(old) = r.as_slice().get(pick).map(|e| e.name.clone()) {
                    let _ = r.rename_at(&old, NAMES[name], now(clock, replica));
                }
            }
            Op::UseHotp { replica, pick } => {
                let r = &mut replicas[replica];
                if let Some(e) = r
                    .as_slice()
                    .get(pick)
                    .filter(|e| e.otp.kind == otpvault::Kind::Hotp)
                {
                    let name = e.name.clone();
                    r.advance_hotp(&name).unwrap();
                }
            }
            Op::Sync { from, to } => {
                replicas[to] = merge(&replicas[to], &replicas[from]);
            }
        }
    }
    (replicas, ledger)
}

/// A copy in a line a person can read, for failure messages.
fn dump(e: &Entries) -> String {
    let mut out = String::new();
    for x in e.iter() {
        out += &format!(
            "[{} {:?} {:?} s{} c{} m{}] ",
            &x.id[..4],
            x.name,
            x.otp.kind,
            account_of(x).0,
            x.otp.counter,
            x.modified % 1000
        );
    }
    for t in e.tombstones() {
        out += &format!(
            "[tomb {} d{} c{:?} j{:?}] ",
            &t.id[..4],
            t.deleted % 1000,
            t.counter,
            t.account.as_deref().map(|j| &j[..4])
        );
    }
    out
}

/// The result keeps every rule a stored vault must keep.
fn keeps_the_rules(e: &Entries) -> bool {
    let json = serde_json::to_vec(e).unwrap();
    let back = Entries::from_json(&json).expect("a merge result is a valid payload");
    let names: BTreeSet<String> = e.iter().map(|x| x.name.to_lowercase()).collect();
    let accounts: BTreeSet<(usize, bool)> = e.iter().map(account_of).collect();
    back == *e && names.len() == e.len() && accounts.len() == e.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1024)
    ))]

    #[test]
    fn merge_is_a_state_merge(ops in proptest::collection::vec(op(), 0..40)) {
        let ([a, b, c], ledger) = run(&ops);
        let ab = merge(&a, &b);
        prop_assert_eq!(&ab, &merge(&b, &a), "commutative");
        prop_assert_eq!(&merge(&a, &a), &a, "idempotent");
        prop_assert_eq!(&merge(&ab, &ab), &ab, "idempotent on a result");
        let left = merge(&ab, &c);
        let right = merge(&a, &merge(&b, &c));
        prop_assert_eq!(&left, &right, "associative:\nA {}\nB {}\nC {}\n(AB)C {}\nA(BC) {}", dump(&a), dump(&b), dump(&c), dump(&left), dump(&right));
        prop_assert_eq!(&left, &merge(&merge(&c, &a), &b), "any order of three");
        prop_assert!(keeps_the_rules(&left));
        // No account that a replica added and none removed is lost.
        let kept: BTreeSet<(usize, bool)> = left.iter().map(account_of).collect();
        for account in ledger.added.difference(&ledger.removed) {
            prop_assert!(kept.contains(account), "lost {:?}", account);
        }
        // An HOTP counter is never lower than any replica's.
        for entry in left.iter().filter(|e| e.otp.kind == otpvault::Kind::Hotp) {
            for replica in [&a, &b, &c] {
                for other in replica.iter().filter(|o| o.secret == entry.secret && o.otp.kind == entry.otp.kind) {
                    prop_assert!(
                        entry.otp.counter >= other.otp.counter,
                        "a code could be shown twice:\nA {}\nB {}\nC {}\nresult {}",
                        dump(&a), dump(&b), dump(&c), dump(&left)
                    );
                }
            }
        }
    }
}

/// The same laws on real vault files, with `passwd` in the histories: every
/// copy keeps opening with its own passphrase, and a merge never adopts the
/// passphrase of the copy merged in.
mod vaults {
    use super::*;
    use otpvault::vault::Settings;
    use otpvault::{KdfParams, Passphrase, Vault};

    const TINY: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    #[derive(Debug, Clone)]
    enum VaultOp {
        Add {
            replica: usize,
            name: usize,
            secret: usize,
        },
        Remove {
            replica: usize,
            pick: usize,
        },
        Passwd {
            replica: usize,
        },
        Sync {
            from: usize,
            to: usize,
        },
    }

    fn vault_op() -> impl Strategy<Value = VaultOp> {
        prop_oneof![
            3 => (0..3usize, 0..NAMES.len(), 0..SECRETS)
                .prop_map(|(replica, name, secret)| VaultOp::Add { replica, name, secret }),
            1 => (0..3usize, 0..8usize).prop_map(|(replica, pick)| VaultOp::Remove { replica, pick }),
            1 => (0..3usize).prop_map(|replica| VaultOp::Passwd { replica }),
            2 => (0..3usize, 0..3usize).prop_map(|(from, to)| VaultOp::Sync { from, to }),
        ]
    }

    fn pass(n: usize) -> Passphrase {
        Passphrase::from(format!("passphrase {n}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn vault_copies_merge_alike_and_keep_their_passphrases(
            ops in proptest::collection::vec(vault_op(), 0..25)
        ) {
            let dir = tempfile::tempdir().unwrap();
            let settings = Settings { keep_backups: 0, ..Settings::default() };
            let paths: Vec<_> = (0..3).map(|i| dir.path().join(format!("r{i}.otpvault"))).collect();
            // One vault, copied to three machines.
            drop(Vault::create(&paths[0], &pass(0), TINY, settings).unwrap());
            for p in &paths[1..] {
                std::fs::copy(&paths[0], p).unwrap();
            }
            let mut passphrases = [0usize, 0, 0];
            let mut changes = 0;
            for op in &ops {
                match *op {
                    VaultOp::Add { replica, name, secret: s } => {
                        let mut v = Vault::open(&paths[replica], Unlock::Passphrase(&pass(passphrases[replica])), Access::Update, settings).unwrap();
                        let entry = Account { issuer: String::new(), account: String::new(), secret: secret(s), params: Params::default(), sites: Vec::new() }
                            .enrol(NAMES[name], Overrides::default()).unwrap().entry;
                        if v.add(entry).is_ok() {
                            v.save().unwrap().backup.unwrap();
                        }
                    }
                    VaultOp::Remove { replica, pick } => {
                        let mut v = Vault::open(&paths[replica], Unlock::Passphrase(&pass(passphrases[replica])), Access::Update, settings).unwrap();
                        if let Some(name) = v.entries().as_slice().get(pick).map(|e| e.name.clone()) {
                            v.remove(&name).unwrap();
                            v.save().unwrap().backup.unwrap();
                        }
                    }
                    VaultOp::Passwd { replica } => {
                        changes += 1;
                        let mut v = Vault::open(&paths[replica], Unlock::Passphrase(&pass(passphrases[replica])), Access::Update, settings).unwrap();
                        v.change_passphrase(&pass(changes)).unwrap();
                        v.save().unwrap().backup.unwrap();
                        passphrases[replica] = changes;
                    }
                    VaultOp::Sync { from, to } => {
                        let mut v = Vault::open(&paths[to], Unlock::Passphrase(&pass(passphrases[to])), Access::Update, settings).unwrap();
                        let theirs = v.open_copy(&paths[from]).unwrap();
                        v.merge(&theirs);
                        v.save().unwrap().backup.unwrap();
                    }
                }
            }
            let open = |i: usize| Vault::open(&paths[i], Unlock::Passphrase(&pass(passphrases[i])), Access::Read, settings).unwrap();
            let (a, b, c) = (open(0), open(1), open(2));
            // Every copy still opens with its own passphrase; merging in
            // any order gives the same entries.
            let left = merge(&merge(a.entries(), b.entries()), c.entries());
            let right = merge(a.entries(), &merge(b.entries(), c.entries()));
            prop_assert_eq!(&left, &right);
            let mut merged = open(0);
            merged.merge(&merge(b.entries(), c.entries()));
            prop_assert_eq!(merged.entries(), &left);
            let path = dir.path().join("merged.otpvault");
            std::fs::write(&path, merged.to_file().unwrap()).unwrap();
            prop_assert!(Vault::open(&path, Unlock::Passphrase(&pass(passphrases[0])), Access::Read, settings).is_ok(), "ours");
        }
    }
}
