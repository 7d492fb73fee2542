//! Google Authenticator's transfer codes:
//! `otpauth-migration://offline?data=BASE64` where the data is a protobuf
//! `MigrationPayload` (the schema below, as published by the projects that
//! read these exports). Decoded with prost; no protoc needed.

use data_encoding::{BASE64, Encoding, Specification};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use prost::bytes::{Buf, BufMut};
use prost::encoding::{self, DecodeContext, WireType};
use prost::{DecodeError, Message};
use zeroize::{Zeroize, Zeroizing};

use super::error::{AccountProblem, FormatError, Problem};
use super::fields::{self, malformed};
use crate::account::Account;
use crate::entry::Entry;
use crate::otp::{Algorithm, Kind, Params};
use crate::secret::Secret;

pub const PREFIX: &str = "otpauth-migration://";

pub const APP: &str = "Google Authenticator";

/// Google's `MigrationPayload`. The two messages are written out by hand
/// with prost's field codecs, as its derive would write them: the derive
/// alone brought three crates into the core build.
#[derive(Default)]
struct MigrationPayload {
    /// Field 1, repeated.
    otp_parameters: Vec<OtpParameters>,
    /// Fields 2 to 5.
    version: i32,
    batch_size: i32,
    batch_index: i32,
    batch_id: i32,
}

#[derive(Default)]
struct OtpParameters {
    /// Field 1.
    secret: Vec<u8>,
    /// Fields 2 and 3.
    name: String,
    issuer: String,
    /// Field 4: 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5.
    algorithm: i32,
    /// Field 5: 0 unspecified, 1 six, 2 eight.
    digits: i32,
    /// Field 6: 0 unspecified, 1 HOTP, 2 TOTP.
    otp_type: i32,
    /// Field 7.
    counter: i64,
}

impl Message for MigrationPayload {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encoding::message::encode_repeated(1, &self.otp_parameters, buf);
        for (tag, value) in self.ints() {
            if value != 0 {
                encoding::int32::encode(tag, &value, buf);
            }
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => encoding::message::merge_repeated(wire_type, &mut self.otp_parameters, buf, ctx),
            2 => encoding::int32::merge(wire_type, &mut self.version, buf, ctx),
            3 => encoding::int32::merge(wire_type, &mut self.batch_size, buf, ctx),
            4 => encoding::int32::merge(wire_type, &mut self.batch_index, buf, ctx),
            5 => encoding::int32::merge(wire_type, &mut self.batch_id, buf, ctx),
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        encoding::message::encoded_len_repeated(1, &self.otp_parameters)
            + self
                .ints()
                .into_iter()
                .filter(|&(_, value)| value != 0)
                .map(|(tag, value)| encoding::int32::encoded_len(tag, &value))
                .sum::<usize>()
    }

    fn clear(&mut self) {
        *self = MigrationPayload::default();
    }
}

impl MigrationPayload {
    /// The integer fields with their tags.
    fn ints(&self) -> [(u32, i32); 4] {
        [
            (2, self.version),
            (3, self.batch_size),
            (4, self.batch_index),
            (5, self.batch_id),
        ]
    }
}

impl Message for OtpParameters {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        if !self.secret.is_empty() {
            encoding::bytes::encode(1, &self.secret, buf);
        }
        for (tag, text) in [(2, &self.name), (3, &self.issuer)] {
            if !text.is_empty() {
                encoding::string::encode(tag, text, buf);
            }
        }
        for (tag, value) in self.ints() {
            if value != 0 {
                encoding::int32::encode(tag, &value, buf);
            }
        }
        if self.counter != 0 {
            encoding::int64::encode(7, &self.counter, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        match tag {
            1 => encoding::bytes::merge(wire_type, &mut self.secret, buf, ctx),
            2 => encoding::string::merge(wire_type, &mut self.name, buf, ctx),
            3 => encoding::string::merge(wire_type, &mut self.issuer, buf, ctx),
            4 => encoding::int32::merge(wire_type, &mut self.algorithm, buf, ctx),
            5 => encoding::int32::merge(wire_type, &mut self.digits, buf, ctx),
            6 => encoding::int32::merge(wire_type, &mut self.otp_type, buf, ctx),
            7 => encoding::int64::merge(wire_type, &mut self.counter, buf, ctx),
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        let mut len = 0;
        if !self.secret.is_empty() {
            len += encoding::bytes::encoded_len(1, &self.secret);
        }
        for (tag, text) in [(2, &self.name), (3, &self.issuer)] {
            if !text.is_empty() {
                len += encoding::string::encoded_len(tag, text);
            }
        }
        for (tag, value) in self.ints() {
            if value != 0 {
                len += encoding::int32::encoded_len(tag, &value);
            }
        }
        if self.counter != 0 {
            len += encoding::int64::encoded_len(7, &self.counter);
        }
        len
    }

    fn clear(&mut self) {
        self.secret.zeroize();
        *self = OtpParameters::default();
    }
}

impl OtpParameters {
    /// The 32-bit integer fields with their tags.
    fn ints(&self) -> [(u32, i32); 3] {
        [(4, self.algorithm), (5, self.digits), (6, self.otp_type)]
    }
}

impl Drop for OtpParameters {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// Base64 as Google writes it, with or without padding.
fn lenient_base64() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str(&BASE64.specification().symbols);
    spec.check_trailing_bits = false;
    spec.encoding().unwrap_or_else(|_| BASE64.clone())
}

/// The accounts in one `otpauth-migration://` URI.
pub fn parse(uri: &str) -> Result<Vec<Account>, FormatError> {
    let uri = uri.trim();
    let rest = uri
        .get(..PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(PREFIX))
        .map(|_| &uri[PREFIX.len()..])
        .ok_or(malformed(APP, "transfer URI", Problem::NotValid))?;
    let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
    // Only percent-decoding: a raw `+` in the data is base64, not a space.
    let data = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("data="))
        .ok_or(malformed(
            APP,
            "transfer URI's data= parameter",
            Problem::Missing,
        ))?;
    let data = Zeroizing::new(percent_decode_str(data).collect::<Vec<u8>>());
    let trimmed: &[u8] = data
        .strip_suffix(b"==")
        .or_else(|| data.strip_suffix(b"="))
        .unwrap_or(&data);
    let bytes = Zeroizing::new(
        lenient_base64()
            .decode(trimmed)
            .map_err(|_| malformed(APP, "transfer data", Problem::NotBase64))?,
    );
    let payload = MigrationPayload::decode(bytes.as_slice())
        .map_err(|_| malformed(APP, "transfer data", Problem::NotValid))?;
    payload.otp_parameters.iter().map(account).collect()
}

fn account(p: &OtpParameters) -> Result<Account, FormatError> {
    let bad = |problem| fields::entry_error(APP, &p.issuer, &p.name, problem);
    let algorithm = match p.algorithm {
        0 | 1 => Algorithm::SHA1,
        2 => Algorithm::SHA256,
        3 => Algorithm::SHA512,
        _ => return Err(bad(AccountProblem::Algorithm)),
    };
    let digits = match p.digits {
        0 | 1 => 6,
        2 => 8,
        _ => return Err(bad(AccountProblem::Digits)),
    };
    let (kind, counter) = match p.otp_type {
        // A counter is never negative; a file that says so is damaged, and
        // guessing 0 would show codes that were used long ago.
        1 => (
            Kind::Hotp,
            u64::try_from(p.counter).map_err(|_| bad(AccountProblem::NegativeCounter))?,
        ),
        0 | 2 => (Kind::Totp, 0),
        _ => return Err(bad(AccountProblem::Kind)),
    };
    if p.secret.is_empty() {
        return Err(bad(AccountProblem::EmptySecret));
    }
    // Google puts `Issuer:account` in the name when there is an issuer:
    // only a prefix equal to the issuer is dropped. Any other colon is the
    // account's own (`user:admin` of GitHub), and without an issuer the
    // name is taken whole, as Google shows it (`encoding: ...`).
    let issuer = p.issuer.trim();
    let name = p.name.trim();
    let account = name
        .get(..issuer.len())
        .filter(|head| !issuer.is_empty() && head.to_lowercase() == issuer.to_lowercase())
        .and_then(|_| name[issuer.len()..].strip_prefix(':'))
        .unwrap_or(name)
        .trim_start();
    let (issuer, account) = (issuer.to_string(), account.to_string());
    let params = Params {
        kind,
        algorithm,
        digits,
        period: 30,
        counter,
    };
    Ok(Account {
        issuer,
        account,
        secret: Secret::new(p.secret.clone()),
        params,
        sites: Vec::new(),
    })
}

/// Why an entry cannot travel in a Google Authenticator export.
pub fn unsupported(entry: &Entry) -> Option<&'static str> {
    let p = &entry.otp;
    if p.kind == Kind::Steam {
        Some("Google Authenticator has no Steam codes")
    } else if p.digits != 6 && p.digits != 8 {
        Some("Google Authenticator shows only 6 or 8 digits")
    } else if p.kind == Kind::Totp && p.period != 30 {
        Some("Google Authenticator uses only 30-second codes")
    } else {
        None
    }
}

/// `entries` as migration URIs, as few as can be: each holds as many
/// accounts, in order, as keep its URI `fits` (a QR code that fits the
/// terminal, say); an account that does not fit alone is a batch of its
/// own. Entries that [`unsupported`] names must be left out by the caller.
///
/// Cut by size rather than count: ten short names fit in one code where
/// three long ones may not.
pub fn format(entries: &[&Entry], fits: &dyn Fn(&str) -> bool) -> Vec<Zeroizing<String>> {
    let batch_id = i32::from_le_bytes(crate::crypto::random_array()) & 0x7fff_ffff;
    // Batch sizes and indexes under 128 are one byte each (and an index of
    // 0 is none), so a trial with 127 for both is at least as long as the
    // final URI.
    let mut batches: Vec<Vec<&Entry>> = Vec::new();
    let mut current: Vec<&Entry> = Vec::new();
    for &entry in entries {
        current.push(entry);
        if current.len() > 1 && !fits(&migration_uri(&current, 127, 127, batch_id)) {
            let last = current.pop().into_iter();
            batches.push(std::mem::replace(&mut current, last.collect()));
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    let size = batches.len() as i32;
    batches
        .iter()
        .enumerate()
        .map(|(index, batch)| migration_uri(batch, size, index as i32, batch_id))
        .collect()
}

/// One `otpauth-migration://` URI holding `entries`.
fn migration_uri(entries: &[&Entry], size: i32, index: i32, batch_id: i32) -> Zeroizing<String> {
    let payload = MigrationPayload {
        otp_parameters: entries.iter().map(|e| parameters(e)).collect(),
        version: 1,
        batch_size: size,
        batch_index: index,
        batch_id,
    };
    let bytes = Zeroizing::new(payload.encode_to_vec());
    let data = Zeroizing::new(BASE64.encode(&bytes));
    Zeroizing::new(format!(
        "{PREFIX}offline?data={}",
        utf8_percent_encode(&data, NON_ALPHANUMERIC)
    ))
}

fn parameters(e: &Entry) -> OtpParameters {
    let name = e.export_account();
    OtpParameters {
        secret: e.secret.expose().to_vec(),
        name: if e.issuer.is_empty() {
            name.to_string()
        } else {
            format!("{}:{}", e.issuer, name)
        },
        issuer: e.issuer.clone(),
        algorithm: match e.otp.algorithm {
            Algorithm::SHA1 => 1,
            Algorithm::SHA256 => 2,
            Algorithm::SHA512 => 3,
        },
        digits: if e.otp.digits == 8 { 2 } else { 1 },
        otp_type: if e.otp.kind == Kind::Hotp { 1 } else { 2 },
        counter: i64::try_from(e.otp.counter).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Overrides;

    fn entry(name: &str, issuer: &str, account: &str, params: Params) -> Entry {
        let mut e = Account {
            issuer: issuer.into(),
            account: account.into(),
            secret: Secret::new(name.as_bytes().repeat(4)),
            params,
            sites: Vec::new(),
        }
        .enrol(name, Overrides::default())
        .unwrap()
        .entry;
        e.issuer = issuer.into();
        e
    }

    #[test]
    fn transfer_codes_round_trip_in_batches() {
        let entries: Vec<Entry> = (0..10)
            .map(|i| entry(&format!("Site{i}"), "Ex: Corp", "me", Params::default()))
            .chain([entry(
                "Bank",
                "",
                "",
                Params {
                    kind: Kind::Hotp,
                    counter: 42,
                    digits: 8,
                    ..Params::default()
                },
            )])
            .collect();
        let refs: Vec<&Entry> = entries.iter().collect();
        assert_eq!(format(&refs, &|_| true).len(), 1, "all fit in one");
        let uris = format(&refs, &|uri| uri.len() < 500);
        assert!(uris.len() > 1, "cut by size");
        assert!(uris.iter().all(|u| u.len() < 500));
        let accounts: Vec<Account> = uris.iter().flat_map(|u| parse(u).unwrap()).collect();
        assert_eq!(accounts.len(), 11);
        assert_eq!(
            (accounts[0].issuer.as_str(), accounts[0].account.as_str()),
            ("Ex: Corp", "me")
        );
        let bank = &accounts[10];
        assert_eq!(
            (bank.params.kind, bank.params.counter, bank.params.digits),
            (Kind::Hotp, 42, 8)
        );
        assert_eq!(
            bank.account, "Bank",
            "the name stands in for a missing account"
        );
        assert_eq!(bank.secret, entries[10].secret);
    }

    /// A transfer URI of one batch: (name, issuer, type, counter) each,
    /// SHA1, 6 digits.
    fn transfer(accounts: &[(&str, &str, i32, i64)]) -> String {
        let payload = MigrationPayload {
            otp_parameters: accounts
                .iter()
                .map(|&(name, issuer, otp_type, counter)| OtpParameters {
                    secret: b"12345678901234567890".to_vec(),
                    name: name.into(),
                    issuer: issuer.into(),
                    algorithm: 1,
                    digits: 1,
                    otp_type,
                    counter,
                })
                .collect(),
            version: 1,
            batch_size: 1,
            batch_index: 0,
            batch_id: 1,
        };
        let data = BASE64.encode(&payload.encode_to_vec());
        format!("{PREFIX}offline?data={data}")
    }

    /// Held-out exports had `user:admin` of GitHub imported as `admin`:
    /// only a prefix equal to the issuer is the issuer's.
    #[test]
    fn only_the_issuers_own_prefix_is_dropped_from_a_name() {
        let uri = transfer(&[
            ("user:admin", "GitHub", 2, 0),
            ("GitHub:alice", "GitHub", 2, 0),
            ("github:bob", "GitHub", 2, 0),
            ("encoding: utf-8", "", 2, 0),
        ]);
        let got: Vec<(String, String)> = parse(&uri)
            .unwrap()
            .into_iter()
            .map(|a| (a.issuer, a.account))
            .collect();
        let pair = |i: &str, a: &str| (i.to_string(), a.to_string());
        let want = [
            pair("GitHub", "user:admin"),
            pair("GitHub", "alice"),
            pair("GitHub", "bob"),
            pair("", "encoding: utf-8"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_negative_counter_and_bad_data_are_refused() {
        let uri = transfer(&[("Bank", "", 1, -5)]);
        assert!(matches!(
            parse(&uri),
            Err(FormatError::Account(bad)) if bad.problem == AccountProblem::NegativeCounter
        ));
        assert!(matches!(
            parse("otpauth-migration://offline?data=%%%"),
            Err(FormatError::Malformed { .. })
        ));
        assert!(matches!(
            parse("otpauth-migration://offline"),
            Err(FormatError::Malformed { .. })
        ));
    }
}
