#!/usr/bin/env python3
"""Writes the vault-format test vectors from docs/vault-format.md with an
implementation that shares no code with otpvault: argon2-cffi (the reference
Argon2 in C), PyNaCl (libsodium's XChaCha20-Poly1305) and hashlib.

    pip install argon2-cffi pynacl && python3 tests/vectors/gen_vault_vectors.py [OUT_DIR]

Every random value (vault key, salts, nonces, ids) is derived from a fixed
label with SHA-256, so the output is the same byte for byte on every run.
It writes:

- example-v1.otpvault: the spec's example vault (passphrase
  "example passphrase");
- vault-v1.json: that example's intermediate values (KEK, vault key, header,
  plaintext JSON), and a list of cases, each a whole file with the
  passphrase to try and the outcome a reader must reach;
- example-v2.otpvault and vault-v2.json: the same for format version 2,
  whose payload adds given names, sites, the account of a tombstone, and
  fields a newer writer added, which a reader keeps;
- example-v3.otpvault and vault-v3.json: format version 3, whose header
  adds the vault's identity and whose payload adds per-field stamps,
  retired keys and revoked recovery keys, with a recovery key as an X25519
  recipient (PyNaCl's crypto_scalarmult, libsodium).

tests/vault_vectors.rs runs every case through otpvault, and checks that
running this script again gives the committed files.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
from importlib.metadata import version

from argon2.low_level import Type, hash_secret_raw
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_scalarmult,
    crypto_scalarmult_base,
)

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = b"OTPVAULT"
SLOT_PASSPHRASE = 1
PASSPHRASE = "example passphrase"
# Tiny Argon2id costs keep the vectors fast; a reader checks the bounds of
# section "Reading", not a minimum.
TINY = (1024, 1, 1)  # memory KiB, iterations, lanes
AMAZON_KEY = "N4OPSGLF7HZPEQ3R4ZZKSWUMY6PR5TDGN7LXP4X7SA7Z2ECH47XA"


def fixed(label, n):
    """n pseudo-random bytes named by label: reproducible 'randomness'."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:n]


def argon2id(passphrase, salt, memory_kib, iterations, lanes):
    return hash_secret_raw(
        secret=passphrase.encode(),
        salt=salt,
        time_cost=iterations,
        memory_cost=memory_kib,
        parallelism=lanes,
        hash_len=32,
        type=Type.ID,
        version=19,
    )


def xchacha_seal(key, nonce, aad, plaintext):
    return crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)


def passphrase_slot(version_number, vault_key, passphrase, kdf, label):
    """A passphrase slot (type 1) and the KEK it was made with."""
    memory_kib, iterations, lanes = kdf
    salt = fixed(label + "/salt", 32)
    nonce = fixed(label + "/nonce", 24)
    body_head = struct.pack(">III", memory_kib, iterations, lanes) + salt + nonce
    head = bytes([SLOT_PASSPHRASE]) + struct.pack(">H", len(body_head) + 48) + body_head
    aad = MAGIC + struct.pack(">H", version_number) + head
    kek = argon2id(passphrase, salt, memory_kib, iterations, lanes)
    wrapped = xchacha_seal(kek, nonce, aad, vault_key)
    assert len(wrapped) == 48
    return head + wrapped, kek


def raw_slot(kind, body):
    return bytes([kind]) + struct.pack(">H", len(body)) + body


def vault_file(version_number, slots, payload_nonce, vault_key, plaintext):
    header = (
        MAGIC
        + struct.pack(">H", version_number)
        + bytes([len(slots)])
        + b"".join(slots)
        + payload_nonce
    )
    payload = xchacha_seal(vault_key, payload_nonce, header, plaintext)
    body = header + payload
    return header, body + hashlib.sha256(body).digest()


def recheck(file):
    """The file with its checksum recomputed, so only later checks can see
    a change: what a deliberate forger would do."""
    body = file[:-32]
    return body + hashlib.sha256(body).digest()


def entry(name, issuer, account, secret, label, **otp):
    params = {"kind": "totp", "algorithm": "SHA1", "digits": 6, "period": 30, "counter": 0}
    params.update(otp)
    e = {"id": fixed(label, 16).hex(), "name": name}
    if issuer is not None:
        e["issuer"] = issuer
    if account is not None:
        e["account"] = account
    e.update(
        {"secret": secret, "otp": params, "created": 1764028800, "modified": 1764028800}
    )
    return e


def payload(entries, deleted=()):
    return json.dumps(
        {"entries": entries, "deleted": list(deleted)}, separators=(",", ":")
    ).encode()


def secret_bytes(text):
    """A secret as the spec reads it: whitespace and hyphens dropped, case
    folded, padding optional."""
    symbols = "".join(c for c in text if not c.isspace() and c != "-").upper().rstrip("=")
    return base64.b32decode(symbols + "=" * (-len(symbols) % 8))


def expected(entries):
    """What a reader must find: every field, absent issuer/account as ""."""
    return [
        {
            "id": e["id"],
            "name": e["name"],
            "issuer": e.get("issuer", ""),
            "account": e.get("account", ""),
            "secret_hex": secret_bytes(e["secret"]).hex(),
            "otp": e["otp"],
        }
        for e in entries
    ]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else HERE
    vault_key = fixed("vault key", 32)
    amazon = entry("Amazon", "Amazon", "user@example.com", AMAZON_KEY, "amazon id")
    example_plain = payload([amazon])
    slot, kek = passphrase_slot(1, vault_key, PASSPHRASE, TINY, "example slot")
    example_nonce = fixed("example payload nonce", 24)
    header, example = vault_file(1, [slot], example_nonce, vault_key, example_plain)

    cases = []

    def case(name, file, expect, passphrase=PASSPHRASE, what=""):
        cases.append(
            {
                "name": name,
                "description": what,
                "passphrase": passphrase,
                "file_hex": file.hex(),
                "expect": expect,
            }
        )

    opens = {"result": "opens", "entries": expected([amazon])}
    case("example", example, opens, what="the spec's example vault")
    case(
        "wrong passphrase",
        example,
        {"result": "wrong_passphrase"},
        passphrase="Example passphrase",
        what="the example with a passphrase that differs in one letter's case",
    )
    flipped = bytearray(example)
    flipped[len(header) + 5] ^= 0x01
    case(
        "flipped payload byte",
        bytes(flipped),
        {"result": "damaged", "damage": "checksum"},
        what="one payload bit flipped, checksum left as it was",
    )
    case(
        "truncated",
        example[:-40],
        {"result": "damaged", "damage": "checksum"},
        what="the last 40 bytes cut off",
    )
    case(
        "not a vault",
        b"otpvault" + example[8:],
        {"result": "damaged", "damage": "not_a_vault"},
        what="the magic in lower case",
    )
    case(
        "forged payload",
        recheck(bytes(flipped)),
        {"result": "damaged", "damage": "payload_authentication"},
        what="one payload bit flipped and the checksum recomputed: only the AEAD can tell",
    )
    forged_nonce = bytearray(example)
    forged_nonce[len(header) - 1] ^= 0x01
    case(
        "forged payload nonce",
        recheck(bytes(forged_nonce)),
        {"result": "damaged", "damage": "payload_authentication"},
        what="the payload nonce changed and the checksum recomputed: the header is the payload's associated data",
    )
    future = bytearray(example)
    future[8:10] = struct.pack(">H", 999)
    case(
        "unknown version",
        recheck(bytes(future)),
        {"result": "damaged", "damage": "unsupported_version", "version": 999},
        what="version 999: a reader must not guess at a newer layout",
    )
    # A header that asks for 4 GiB x 64 passes, beyond every bound of the
    # spec. The slot's wrapped key is random: a reader must refuse before
    # deriving anything.
    heavy_head = bytes([SLOT_PASSPHRASE]) + struct.pack(">H", 116)
    heavy_head += struct.pack(">III", 4 * 1024 * 1024, 64, 4)
    heavy_head += fixed("heavy salt", 32) + fixed("heavy nonce", 24) + fixed("heavy key", 48)
    _, heavy = vault_file(1, [heavy_head], example_nonce, vault_key, example_plain)
    case(
        "excessive work",
        heavy,
        {"result": "damaged", "damage": "kdf"},
        what="Argon2id 4 GiB x 64 passes: over the bounds of memory and of memory x passes",
    )
    zero_lanes = heavy_head[:3] + struct.pack(">III", 1024, 1, 0) + heavy_head[15:]
    _, zero = vault_file(1, [zero_lanes], example_nonce, vault_key, example_plain)
    case(
        "zero lanes",
        zero,
        {"result": "damaged", "damage": "kdf"},
        what="Argon2id with parallelism 0",
    )
    short_slot = raw_slot(SLOT_PASSPHRASE, slot[3:-1])
    _, short = vault_file(1, [short_slot], example_nonce, vault_key, example_plain)
    case(
        "short passphrase slot",
        short,
        {"result": "damaged", "damage": "malformed"},
        what="a passphrase slot whose body is 115 bytes, not 116",
    )

    # An unknown slot type before the passphrase slot: skipped, and the
    # first passphrase slot opens the vault. A second passphrase slot with
    # another passphrase comes after it and is never tried.
    other, _ = passphrase_slot(1, vault_key, "another passphrase", TINY, "second slot")
    slots = [raw_slot(200, b"\xaa\xbb\xcc"), slot, other]
    _, grease = vault_file(1, slots, fixed("grease nonce", 24), vault_key, example_plain)
    case(
        "unknown slot first",
        grease,
        opens,
        what="a slot of unknown type 200 before the passphrase slot; a second passphrase slot after it",
    )
    case(
        "second passphrase slot",
        grease,
        {"result": "wrong_passphrase"},
        passphrase="another passphrase",
        what="only the first passphrase slot is tried",
    )

    lenient = entry(
        "Amazon",
        None,
        None,
        "n4op sglf 7hzp eq3r 4zzk swum y6pr 5tdg n7lx p4x7 sa7z 2ech 47xa",
        "lenient id",
    )
    hotp = entry(
        "Bank", "", "", "JBSWY3DPEHPK3PXP", "hotp id", kind="hotp", digits=8, counter=7
    )
    lenient_plain = payload([lenient, hotp], deleted=[{"id": fixed("gone", 16).hex(), "deleted": 1764030000}])
    _, lenient_file = vault_file(1, [slot], fixed("lenient nonce", 24), vault_key, lenient_plain)
    case(
        "lenient secret, absent fields",
        lenient_file,
        {"result": "opens", "entries": expected([lenient, hotp])},
        what="a secret in lower case with spaces; an entry without issuer and account (read as empty); an HOTP entry; a tombstone",
    )
    twins = payload(
        [amazon, entry("AMAZON", "x", "", "JBSWY3DPEHPK3PXP", "twin id")]
    )
    _, twins_file = vault_file(1, [slot], fixed("twins nonce", 24), vault_key, twins)
    case(
        "names equal but for case",
        twins_file,
        {"result": "damaged", "damage": "payload_invalid"},
        what="two entries named Amazon and AMAZON: names are unique regardless of case",
    )

    made_by = (
        f"tests/vectors/gen_vault_vectors.py with argon2-cffi {version('argon2-cffi')}, "
        f"PyNaCl {version('pynacl')}"
    )
    out = {
        "format": "otpvault vault, version 1 (docs/vault-format.md)",
        "made_by": made_by,
        "example": {
            "passphrase": PASSPHRASE,
            "argon2id": {"memory_kib": TINY[0], "iterations": TINY[1], "parallelism": TINY[2]},
            "salt_hex": fixed("example slot/salt", 32).hex(),
            "slot_nonce_hex": fixed("example slot/nonce", 24).hex(),
            "kek_hex": kek.hex(),
            "vault_key_hex": vault_key.hex(),
            "payload_nonce_hex": example_nonce.hex(),
            "header_hex": header.hex(),
            "plaintext": example_plain.decode(),
            "file_hex": example.hex(),
        },
        "cases": cases,
    }
    with open(os.path.join(out_dir, "vault-v1.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "example-v1.otpvault"), "wb") as f:
        f.write(example)
    write_v2(out_dir, made_by)
    write_v3(out_dir, made_by)


def account_key(kind, secret_text):
    """The account an entry is (format 2): 16 bytes of SHA-256 over a label,
    the kind, and the secret's bytes, as hex."""
    digest = hashlib.sha256(
        b"otpvault account\0" + kind.encode() + b"\0" + secret_bytes(secret_text)
    ).digest()
    return digest[:16].hex()


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def gf32_tables():
    """GF(32) with x^5 + x^2 + 1: powers of alpha and their logarithms."""
    exp, log = [0] * 62, [0] * 32
    x = 1
    for i in range(31):
        exp[i] = exp[i + 31] = x
        log[x] = i
        x <<= 1
        if x & 0b100000:
            x ^= 0b100101
    return exp, log


def gf32_mul(a, b, exp, log):
    return 0 if a == 0 or b == 0 else exp[log[a] + log[b]]


def recovery_key_text(key):
    """A recovery key as written: 26 Crockford base32 characters of the 16
    bytes, two Reed-Solomon check characters over GF(32) with generator
    (x - a)(x - a^2), in seven groups of four."""
    bits = int.from_bytes(key, "big") << (26 * 5 - 128)
    data = [(bits >> (5 * (25 - i))) & 31 for i in range(26)]
    exp, log = gf32_tables()
    # The remainder of data(x)·x^2 divided by g(x) = (x - a)(x - a^2).
    g1 = exp[1] ^ exp[2]
    g0 = gf32_mul(exp[1], exp[2], exp, log)
    r0 = r1 = 0
    for d in data:
        f = d ^ r0
        r0 = r1 ^ gf32_mul(f, g1, exp, log)
        r1 = gf32_mul(f, g0, exp, log)
    symbols = "".join(CROCKFORD[v] for v in data + [r0, r1])
    return "-".join(symbols[i : i + 4] for i in range(0, 28, 4))


def recovery_key_text_30(key):
    """A recovery key as written since version 0.3: the same 26 data
    characters and four Reed-Solomon check characters, the coefficients of
    the remainder of data(x)·x^4 divided by g(x) = (x - a)(x - a^2)(x -
    a^3)(x - a^4), in six groups of five. Long division, written apart from
    the two-symbol shift register above."""
    bits = int.from_bytes(key, "big") << (26 * 5 - 128)
    data = [(bits >> (5 * (25 - i))) & 31 for i in range(26)]
    exp, log = gf32_tables()
    # g(x), highest power first.
    g = [1]
    for j in range(1, 5):
        root = exp[j]
        shifted = g + [0]
        scaled = [0] + [gf32_mul(c, root, exp, log) for c in g]
        g = [a ^ b for a, b in zip(shifted, scaled)]
    dividend = data + [0, 0, 0, 0]
    for i in range(len(data)):
        lead = dividend[i]
        if lead:
            for k, c in enumerate(g):
                dividend[i + k] ^= gf32_mul(lead, c, exp, log)
    symbols = "".join(CROCKFORD[v] for v in data + dividend[-4:])
    return "-".join(symbols[i : i + 5] for i in range(0, 30, 5))


def hkdf_sha256(ikm, salt, info, length=32):
    """RFC 5869, with the standard library's HMAC."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def recovery_slot(vault_key, recovery, label):
    """A recovery slot (type 2) and the KEK it was made with."""
    created = struct.pack(">q", 1764032400)
    salt = fixed(label + "/salt", 32)
    nonce = fixed(label + "/nonce", 24)
    body_head = created + salt + nonce
    head = bytes([2]) + struct.pack(">H", len(body_head) + 48) + body_head
    aad = MAGIC + struct.pack(">H", 1) + head
    kek = hkdf_sha256(recovery, salt, b"otpvault recovery slot")
    return head + xchacha_seal(kek, nonce, aad, vault_key), kek


def write_v2(out_dir, made_by):
    vault_key = fixed("v2 vault key", 32)
    # The passphrase slot's associated data names slot format 1 in every
    # file version.
    slot, kek = passphrase_slot(1, vault_key, PASSPHRASE, TINY, "v2 slot")
    amazon = entry("Amazon", "Amazon", "user@example.com", AMAZON_KEY, "v2 amazon id")
    amazon["sites"] = ["amazon.co.jp", "amazon.com"]
    github = entry("GitHub", "GitHub", "me", "JBSWY3DPEHPK3PXP", "v2 github id")
    github_two = entry("GitHub (2)", "GitHub", "work", "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", "v2 github two id")
    github_two["given_name"] = "GitHub"
    github_two["created"] += 60
    # Fields a newer otpvault wrote: a reader keeps them when it saves.
    github["color"] = "#24292e"
    gone = {
        "id": fixed("v2 gone", 16).hex(),
        "deleted": 1764030000,
        "counter": 12,
        "account": account_key("hotp", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
    }
    document = {
        "entries": [amazon, github, github_two],
        "deleted": [gone],
        "sync_note": "kept by every version-2 reader",
    }
    plain = json.dumps(document, separators=(",", ":")).encode()
    nonce = fixed("v2 payload nonce", 24)
    header, example = vault_file(2, [slot], nonce, vault_key, plain)
    cases = [
        {
            "name": "example",
            "description": "the spec's version-2 example: given name, sites, a tombstone with its account, unknown fields",
            "passphrase": PASSPHRASE,
            "file_hex": example.hex(),
            "expect": {
                "result": "opens",
                "entries": [
                    dict(e2, secret_hex=secret_bytes(e["secret"]).hex(), given_name=e.get("given_name"), sites=e.get("sites", []))
                    for e, e2 in [(x, expected([x])[0]) for x in (amazon, github, github_two)]
                ],
                "tombstones": [gone],
                "unknown": {"entries/1": ["color"], "top": ["sync_note"]},
            },
        }
    ]
    # A slot whose associated data names the file's version 2 instead of
    # slot format 1 does not open: the tag does not match.
    wrong_slot, _ = passphrase_slot(2, vault_key, PASSPHRASE, TINY, "v2 slot")
    _, wrong = vault_file(2, [wrong_slot], nonce, vault_key, plain)
    cases.append(
        {
            "name": "slot bound to the file version",
            "description": "the passphrase slot's associated data says version 2; it must say 1",
            "passphrase": PASSPHRASE,
            "file_hex": wrong.hex(),
            "expect": {"result": "wrong_passphrase"},
        }
    )
    twins = json.dumps(
        {"entries": [github, dict(github_two, name="github", given_name=None)], "deleted": []},
        separators=(",", ":"),
    ).encode()
    _, twins_file = vault_file(2, [slot], fixed("v2 twins nonce", 24), vault_key, twins)
    cases.append(
        {
            "name": "names equal but for case",
            "description": "two entries shown as GitHub and github",
            "passphrase": PASSPHRASE,
            "file_hex": twins_file.hex(),
            "expect": {"result": "damaged", "damage": "payload_invalid"},
        }
    )
    # A vault with a recovery slot: it opens with the recovery key as
    # written, and with the passphrase.
    recovery = fixed("v2 recovery key", 16)
    rslot, rkek = recovery_slot(vault_key, recovery, "v2 recovery slot")
    _, with_recovery = vault_file(2, [slot, rslot], fixed("v2 recovery nonce", 24), vault_key, plain)
    recovery_text = recovery_key_text(recovery)
    cases.append(
        {
            "name": "recovery key",
            "description": "a passphrase slot and a recovery slot (type 2, HKDF-SHA256)",
            "passphrase": PASSPHRASE,
            "recovery_key": recovery_text,
            "recovery_key_30": recovery_key_text_30(recovery),
            "recovery_key_hex": recovery.hex(),
            "recovery_kek_hex": rkek.hex(),
            "file_hex": with_recovery.hex(),
            "expect": {"result": "opens", "entries": cases[0]["expect"]["entries"]},
        }
    )
    out = {
        "format": "otpvault vault, version 2 (docs/vault-format.md)",
        "made_by": made_by,
        "example": {
            "passphrase": PASSPHRASE,
            "argon2id": {"memory_kib": TINY[0], "iterations": TINY[1], "parallelism": TINY[2]},
            "salt_hex": fixed("v2 slot/salt", 32).hex(),
            "slot_nonce_hex": fixed("v2 slot/nonce", 24).hex(),
            "kek_hex": kek.hex(),
            "vault_key_hex": vault_key.hex(),
            "payload_nonce_hex": nonce.hex(),
            "header_hex": header.hex(),
            "plaintext": plain.decode(),
            "file_hex": example.hex(),
        },
        "cases": cases,
    }
    with open(os.path.join(out_dir, "vault-v2.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "example-v2.otpvault"), "wb") as f:
        f.write(example)


def stamp(ms, counter=0):
    return struct.pack(">qI", ms, counter)


def timed_passphrase_slot(vault_key, passphrase, kdf, created, label):
    """A passphrase slot (type 1) that records when it was set (124-byte
    body), and its KEK."""
    memory_kib, iterations, lanes = kdf
    salt = fixed(label + "/salt", 32)
    nonce = fixed(label + "/nonce", 24)
    body_head = struct.pack(">III", memory_kib, iterations, lanes) + salt + nonce
    body_head += struct.pack(">q", created)
    head = bytes([SLOT_PASSPHRASE]) + struct.pack(">H", len(body_head) + 48) + body_head
    aad = MAGIC + struct.pack(">H", 1) + head
    kek = argon2id(passphrase, salt, memory_kib, iterations, lanes)
    return head + xchacha_seal(kek, nonce, aad, vault_key), kek


def recipient_slot(vault_key, recovery, created, label):
    """A recovery slot of type 3: the paper key as an X25519 recipient.
    Returns the slot and its intermediate values."""
    secret = hkdf_sha256(recovery, b"\0" * 32, b"otpvault recovery x25519")
    public = crypto_scalarmult_base(secret)
    ephemeral_secret = fixed(label + "/ephemeral", 32)
    ephemeral = crypto_scalarmult_base(ephemeral_secret)
    shared = crypto_scalarmult(ephemeral_secret, public)
    kek = hkdf_sha256(shared, ephemeral + public, b"otpvault recovery slot 3")
    nonce = fixed(label + "/nonce", 24)
    body_head = struct.pack(">q", created) + public + ephemeral + nonce
    head = bytes([3]) + struct.pack(">H", len(body_head) + 48) + body_head
    aad = MAGIC + struct.pack(">H", 1) + head
    slot = head + xchacha_seal(kek, nonce, aad, vault_key)
    values = {
        "recipient_secret_hex": secret.hex(),
        "recipient_hex": public.hex(),
        "ephemeral_secret_hex": ephemeral_secret.hex(),
        "ephemeral_hex": ephemeral.hex(),
        "shared_hex": shared.hex(),
        "kek_hex": kek.hex(),
    }
    return slot, values


def key_id(vault_key):
    return hashlib.sha256(b"otpvault key id\0" + vault_key).digest()[:8]


def vault_file_v3(identity, slots, payload_nonce, vault_key, plaintext):
    header = (
        MAGIC
        + struct.pack(">H", 3)
        + identity
        + bytes([len(slots)])
        + b"".join(slots)
        + payload_nonce
    )
    payload = xchacha_seal(vault_key, payload_nonce, header, plaintext)
    body = header + payload
    return header, body + hashlib.sha256(body).digest()


def write_v3(out_dir, made_by):
    vault_key = fixed("v3 vault key", 32)
    old_key = fixed("v3 retired key", 32)
    made, set_at, recovery_at = 1764028800, 1764032400, 1764036000
    slot, kek = timed_passphrase_slot(vault_key, PASSPHRASE, TINY, set_at, "v3 slot")
    recovery = fixed("v3 recovery key", 16)
    rslot, rvalues = recipient_slot(vault_key, recovery, recovery_at, "v3 recipient slot")
    vault_id = fixed("v3 vault id", 16)
    identity = (
        vault_id
        + struct.pack(">q", made)
        + key_id(vault_key)
        + stamp(set_at * 1000, 0)
        + stamp(recovery_at * 1000, 1)
    )
    t = 1764040000000
    amazon = entry("Amazon.co.jp", "Amazon", "user@example.com", AMAZON_KEY, "v3 amazon id")
    amazon["sites"] = ["amazon.co.jp"]
    amazon["modified"] = (t + 5000) // 1000
    # Each field with its own stamp: renamed and given a site after it was
    # made; the counter of a second of changes; a newer writer's field with
    # its stamp under its own name.
    amazon["stamps"] = {
        "name": [t + 5000, 0],
        "issuer": [t, 0],
        "account": [t, 0],
        "sites": [t + 5000, 1],
        "otp": [t, 0],
        "color": [t + 2000, 0],
    }
    amazon["color"] = "#ff9900"
    # An entry never edited: its fields share one stamp, written once.
    github = entry("GitHub", "GitHub", "me", "JBSWY3DPEHPK3PXP", "v3 github id")
    github["created"] = t // 1000
    github["modified"] = t // 1000
    github["stamps"] = [t, 2]
    gone = {
        "id": fixed("v3 gone", 16).hex(),
        "deleted": 1764041000,
        "stamp": [1764041000000, 0],
        "counter": 3,
        "account": account_key("hotp", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
        # What the removed entry was, without its secret: a merge takes
        # its fields too.
        "remains": {
            "name": "Bank",
            "issuer": "Bank",
            "account": "",
            "otp": {"kind": "hotp", "algorithm": "SHA1", "digits": 6, "period": 30, "counter": 0},
            "created": 1764028800,
            "stamps": [1764028800000, 0],
        },
    }
    document = {
        "entries": [amazon, github],
        "deleted": [gone],
        "clock": [1764041000000, 0],
        "horizon": [0, 0],
        "previous_keys": [{"key": old_key.hex(), "retired": [set_at * 1000, 0]}],
        "revoked_recovery": ["hkdf:" + fixed("v3 revoked", 8).hex()],
    }
    plain = json.dumps(document, separators=(",", ":")).encode()
    nonce = fixed("v3 payload nonce", 24)
    header, example = vault_file_v3(identity, [slot, rslot], nonce, vault_key, plain)
    entries = [
        dict(expected([amazon])[0], given_name=None, sites=amazon["sites"]),
        dict(expected([github])[0], given_name=None, sites=[]),
    ]
    cases = [
        {
            "name": "example",
            "description": "the spec's version-3 example: identity, per-field stamps (and one stamp for an entry never edited), a retired key, a revoked recovery key, a recipient slot",
            "passphrase": PASSPHRASE,
            "recovery_key_30": recovery_key_text_30(recovery),
            "recovery_key_hex": recovery.hex(),
            "file_hex": example.hex(),
            "expect": {"result": "opens", "entries": entries, "tombstones": [gone]},
        }
    ]
    # The key id in the header names another key: the header says one
    # thing and the payload another.
    lying = identity[:24] + bytes(8) + identity[32:]
    _, lying_file = vault_file_v3(lying, [slot, rslot], nonce, vault_key, plain)
    cases.append(
        {
            "name": "key id of another key",
            "description": "the identity's key id is not the fingerprint of the key that seals the payload",
            "passphrase": PASSPHRASE,
            "file_hex": lying_file.hex(),
            "expect": {"result": "damaged", "damage": "malformed"},
        }
    )
    # A truncated identity: a version-3 header cut inside it.
    cut = MAGIC + struct.pack(">H", 3) + identity[:20]
    cases.append(
        {
            "name": "identity cut short",
            "description": "a version-3 file that ends inside its identity",
            "passphrase": PASSPHRASE,
            "file_hex": (cut + hashlib.sha256(cut).digest()).hex(),
            "expect": {"result": "damaged", "damage": "truncated"},
        }
    )
    out = {
        "format": "otpvault vault, version 3 (docs/vault-format.md)",
        "made_by": made_by,
        "example": {
            "passphrase": PASSPHRASE,
            "argon2id": {"memory_kib": TINY[0], "iterations": TINY[1], "parallelism": TINY[2]},
            "salt_hex": fixed("v3 slot/salt", 32).hex(),
            "slot_nonce_hex": fixed("v3 slot/nonce", 24).hex(),
            "kek_hex": kek.hex(),
            "vault_key_hex": vault_key.hex(),
            "vault_id_hex": vault_id.hex(),
            "key_id_hex": key_id(vault_key).hex(),
            "identity_hex": identity.hex(),
            "recipient": rvalues,
            "payload_nonce_hex": nonce.hex(),
            "header_hex": header.hex(),
            "plaintext": plain.decode(),
            "file_hex": example.hex(),
        },
        "cases": cases,
    }
    with open(os.path.join(out_dir, "vault-v3.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "example-v3.otpvault"), "wb") as f:
        f.write(example)


if __name__ == "__main__":
    main()
