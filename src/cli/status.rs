//! `otp status`: what the vault is and how it can be opened, without
//! opening it ([`otpvault::vault::layout`]), and whether it is unlocked.
//! Nothing secret.

use clap::Args;
use data_encoding::HEXLOWER;
use otpvault::strength;
use otpvault::terminal::Escaped;
use otpvault::vault::layout::{self, SlotSummary};
use serde::Serialize;
use time::OffsetDateTime;

use otpvault::agent::{self, Answer, Request};

use super::Failure;
use super::context::Context;
use otpvault::clock::human;

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Print one JSON object.
    #[arg(long, short = 'j')]
    json: bool,
}

#[derive(Serialize)]
struct Status {
    vault: String,
    format: u16,
    /// The vault's id and the id of its data key (which every passphrase
    /// change replaces), in hex; absent before the first save in format 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    vault_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    /// Whether an agent holds the key (`otp unlock`).
    unlocked: bool,
    /// Seconds until it locks unused, and at the latest.
    #[serde(skip_serializing_if = "Option::is_none")]
    locks_unused_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locks_at_the_latest_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory_locked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_pid: Option<u32>,
    slots: Vec<SlotStatus>,
    /// File names of copies a sync tool left beside the vault.
    conflict_copies: Vec<String>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SlotStatus {
    Passphrase {
        made: Option<String>,
        argon2id_memory_mib: u32,
        argon2id_passes: u32,
        argon2id_lanes: u32,
        /// What one guess of the passphrase costs a guesser: about this
        /// many a second on one H100-class GPU ([`strength`]).
        gpu_guesses_per_second: u64,
    },
    RecoveryKey {
        made: Option<String>,
    },
    Unknown {
        #[serde(rename = "type")]
        kind: u8,
        bytes: usize,
    },
}

/// A time as `2026-11-25 14:03 UTC`.
fn when(seconds: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    ))
}

pub fn status(ctx: &Context, args: StatusArgs) -> Result<(), Failure> {
    ctx.require_vault()?;
    let layout = layout::layout(ctx.vault_path())?;
    let slots: Vec<SlotStatus> = layout
        .slots
        .iter()
        .map(|slot| match *slot {
            SlotSummary::Passphrase {
                made,
                kdf,
                gpu_guesses_per_second,
            } => SlotStatus::Passphrase {
                made: made.and_then(when),
                argon2id_memory_mib: kdf.memory_kib / 1024,
                argon2id_passes: kdf.iterations,
                argon2id_lanes: kdf.parallelism,
                gpu_guesses_per_second: gpu_guesses_per_second.round() as u64,
            },
            SlotSummary::RecoveryKey { made } => SlotStatus::RecoveryKey { made: when(made) },
            SlotSummary::Unknown { kind, bytes } => SlotStatus::Unknown { kind, bytes },
        })
        .collect();
    let agent = match agent::call(ctx.vault_path(), &Request::Status) {
        Ok(Some(Answer::Status(status))) => Some(status),
        Ok(_) => None,
        Err(e) => {
            super::warn(&format!("not using the agent: {e}"));
            None
        }
    };
    let status = Status {
        vault: agent::canonical(ctx.vault_path()).display().to_string(),
        format: layout.format,
        vault_id: layout.identity.map(|id| HEXLOWER.encode(&id.vault_id)),
        key_id: layout.identity.map(|id| HEXLOWER.encode(&id.key_id)),
        unlocked: agent.is_some(),
        locks_unused_in: agent.as_ref().map(|a| a.idle_left),
        locks_at_the_latest_in: agent.as_ref().map(|a| a.max_left),
        memory_locked: agent.as_ref().map(|a| a.memory_locked),
        agent_pid: agent.as_ref().map(|a| a.pid),
        slots,
        conflict_copies: layout
            .conflict_copies
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect(),
    };
    if args.json {
        let text = otpvault::terminal::to_json(&status).map_err(|e| Failure::Output(e.into()))?;
        out!("{text}")?;
        return Ok(());
    }
    out!(
        "vault {} (format {}{})",
        Escaped(&status.vault),
        status.format,
        if layout.outdated {
            ", written in the current format at the next change"
        } else {
            ""
        }
    )?;
    if let (Some(vault_id), Some(key_id), Some(identity)) =
        (&status.vault_id, &status.key_id, layout.identity)
    {
        out!(
            "  id             {vault_id}, made {}; sealed with key {key_id} (a new one at every passphrase change)",
            otpvault::clock::date(identity.created)
        )?;
    }
    match (status.locks_unused_in, status.locks_at_the_latest_in) {
        (Some(idle), Some(max)) => out!(
            "  unlocked       locks after {} unused, in {} at the latest{}",
            human(idle),
            human(max),
            if status.memory_locked == Some(false) {
                " (its memory could not be locked against swapping)"
            } else {
                ""
            }
        )?,
        _ => out!("  locked         commands ask for the passphrase; `otp unlock` to unlock")?,
    }
    for slot in &status.slots {
        match slot {
            SlotStatus::Passphrase {
                made,
                argon2id_memory_mib,
                argon2id_passes,
                argon2id_lanes,
                gpu_guesses_per_second,
            } => out!(
                "  passphrase     set {}; Argon2id {argon2id_memory_mib} MiB × {argon2id_passes} passes, {argon2id_lanes} lanes: a guesser gets about {} guesses a second from one GPU",
                made.as_deref().unwrap_or("before otpvault recorded it"),
                strength::Rate(*gpu_guesses_per_second as f64)
            )?,
            SlotStatus::RecoveryKey { made } => out!(
                "  recovery key   made {}",
                made.as_deref().unwrap_or("at an unknown time")
            )?,
            SlotStatus::Unknown { kind, bytes } => out!(
                "  unknown slot   type {kind}, {bytes} bytes: from a newer otpvault, kept as it is"
            )?,
        }
    }
    if !status.conflict_copies.is_empty() {
        out!(
            "  conflicts      a sync tool left {} beside it: `otp merge --conflicts` merges them",
            Escaped(&status.conflict_copies.join(", "))
        )?;
    }
    if !layout.has_recovery_key() {
        note!(
            "otp: no recovery key: make one with `otp recovery-key` in case you forget the passphrase"
        );
    }
    Ok(())
}
