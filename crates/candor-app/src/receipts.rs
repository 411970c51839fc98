//! Signed acknowledgements of receipt (SPEC R2): "un avis de réception qui sera daté et
//! signé". A receipt is a JSON document in canonical form (RFC 8785, JCS), signed with
//! Ed25519 over those bytes; the file a person or staff downloads is itself canonical
//! JSON (`{"key_id", "receipt", "signature"}`), so a change of any single byte either
//! changes the signed content or breaks the canonical form, and verification names
//! which.
//!
//! The signing key is `receipt.key` in the data directory (32 random bytes, hex, 0600),
//! made at first start. Its id is the first 16 hex digits of the SHA-256 of the public
//! key, written in every receipt. Rotating it (`candor receipt rotate-key`) keeps the
//! old public key in `receipt-keys/<id>.pub`, so older receipts still verify.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32-byte key follows.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The receipt signer of an installation, with the public keys of its earlier keys.
pub struct ReceiptKeys {
    seed: [u8; 32],
    /// Key id → raw public key, the current one included.
    known: BTreeMap<String, Vec<u8>>,
}

impl std::fmt::Debug for ReceiptKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ReceiptKeys(current {}, {} known)",
            self.key_id(),
            self.known.len()
        )
    }
}

/// The id of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public: &[u8]) -> String {
    hex::encode(Sha256::digest(public))[..16].to_owned()
}

/// Bytes in standard base64, as public keys and signatures are published.
pub fn base64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// A public key in PEM (SubjectPublicKeyInfo), as `openssl pkey -pubin` reads it.
pub fn public_pem(public: &[u8]) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(public);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        B64.encode(der)
    )
}

/// Reads a public key given as PEM, base64 of the raw 32 bytes, or hex.
pub fn parse_public_key(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if t.starts_with("-----BEGIN PUBLIC KEY-----") {
        let body: String = t
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("");
        let der = B64.decode(body).ok()?;
        return der
            .strip_prefix(&SPKI_PREFIX[..])
            .filter(|k| k.len() == 32)
            .map(<[u8]>::to_vec);
    }
    if let Ok(raw) = B64.decode(t) {
        if raw.len() == 32 {
            return Some(raw);
        }
    }
    hex::decode(t).ok().filter(|k| k.len() == 32)
}

impl ReceiptKeys {
    /// Reads `receipt.key` and the earlier keys' `receipt-keys/*.pub` in `dir`, making
    /// the key on first start.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let seed = crate::keys::read_or_create_key(&dir.join("receipt.key"))?;
        let mut keys = Self::from_seed(seed);
        let old = dir.join("receipt-keys");
        if let Ok(entries) = std::fs::read_dir(&old) {
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path())?;
                if let Some(pk) = parse_public_key(&text) {
                    keys.known.insert(key_id(&pk), pk);
                }
            }
        }
        Ok(keys)
    }

    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mut keys = Self {
            seed,
            known: BTreeMap::new(),
        };
        let public = keys.public_key();
        keys.known.insert(key_id(&public), public);
        keys
    }

    fn pair(&self) -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&self.seed).expect("any 32-byte seed is an Ed25519 key")
    }

    /// The current public key, raw.
    pub fn public_key(&self) -> Vec<u8> {
        self.pair().public_key().as_ref().to_vec()
    }

    pub fn key_id(&self) -> String {
        key_id(&self.public_key())
    }

    /// Every key a receipt of this installation may name: id → raw public key.
    pub fn known(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.known
    }

    /// Signs `content` (its `key_id` set to the current key's): the receipt file, in
    /// canonical JSON.
    pub fn sign(&self, mut content: serde_json::Value) -> Result<SignedReceipt, String> {
        content["key_id"] = self.key_id().into();
        let canonical = serde_jcs::to_string(&content).map_err(|e| e.to_string())?;
        let signature = B64.encode(self.pair().sign(canonical.as_bytes()).as_ref());
        let file = ReceiptFile {
            key_id: self.key_id(),
            receipt: content,
            signature: signature.clone(),
        };
        Ok(SignedReceipt {
            canonical,
            signature,
            file: serde_jcs::to_string(&file).map_err(|e| e.to_string())?,
        })
    }
}

/// Moves the current key aside (its public half kept in `receipt-keys/`) and makes a
/// new one; returns the old and the new key ids.
pub fn rotate(dir: &Path) -> std::io::Result<(String, String)> {
    let old = ReceiptKeys::load_or_create(dir)?;
    let keep: PathBuf = dir.join("receipt-keys");
    std::fs::create_dir_all(&keep)?;
    std::fs::write(
        keep.join(format!("{}.pub", old.key_id())),
        public_pem(&old.public_key()),
    )?;
    std::fs::remove_file(dir.join("receipt.key"))?;
    let new = ReceiptKeys::load_or_create(dir)?;
    Ok((old.key_id(), new.key_id()))
}

/// A signed receipt: the canonical content, its signature, and the whole file.
#[derive(Debug, Clone)]
pub struct SignedReceipt {
    pub canonical: String,
    pub signature: String,
    pub file: String,
}

/// The downloadable file: canonical JSON of these three members.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptFile {
    pub key_id: String,
    pub receipt: serde_json::Value,
    pub signature: String,
}

/// What is wrong with a receipt file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error(
        "the file is not a Candor receipt (expected JSON with key_id, receipt and signature): {0}"
    )]
    NotAReceipt(String),
    #[error("the file was changed: it is not in the canonical form it was issued in (RFC 8785)")]
    NotCanonical,
    #[error("the receipt names key {0}, which is not a key of this installation (give its public key with --public-key)")]
    UnknownKey(String),
    #[error("the key id outside the receipt ({outside}) differs from the one inside ({inside})")]
    KeyMismatch { outside: String, inside: String },
    #[error("the signature does not match the receipt's content: the receipt or its signature was changed")]
    BadSignature,
}

/// Checks a receipt file's bytes against the known public keys (id → raw key); the
/// receipt's content when it holds.
pub fn verify(
    bytes: &[u8],
    keys: &BTreeMap<String, Vec<u8>>,
) -> Result<serde_json::Value, ReceiptError> {
    let file: ReceiptFile =
        serde_json::from_slice(bytes).map_err(|e| ReceiptError::NotAReceipt(e.to_string()))?;
    let again =
        serde_jcs::to_string(&file).map_err(|e| ReceiptError::NotAReceipt(e.to_string()))?;
    if again.as_bytes() != bytes.strip_suffix(b"\n").unwrap_or(bytes) {
        return Err(ReceiptError::NotCanonical);
    }
    let inside = file.receipt["key_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if inside != file.key_id {
        return Err(ReceiptError::KeyMismatch {
            outside: file.key_id,
            inside,
        });
    }
    let Some(public) = keys.get(&file.key_id) else {
        return Err(ReceiptError::UnknownKey(file.key_id));
    };
    let signature = B64
        .decode(&file.signature)
        .map_err(|_| ReceiptError::BadSignature)?;
    let canonical = serde_jcs::to_string(&file.receipt)
        .map_err(|e| ReceiptError::NotAReceipt(e.to_string()))?;
    UnparsedPublicKey::new(&ED25519, public)
        .verify(canonical.as_bytes(), &signature)
        .map_err(|_| ReceiptError::BadSignature)?;
    Ok(file.receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_verifies_and_any_byte_changed_is_named() {
        let keys = ReceiptKeys::from_seed([7; 32]);
        let signed = keys
            .sign(serde_json::json!({"request_id": "r-1", "kind": "access", "received_on": "2026-01-31"}))
            .unwrap();
        let ok = verify(signed.file.as_bytes(), keys.known()).unwrap();
        assert_eq!(ok["kind"], "access");
        assert_eq!(ok["key_id"], keys.key_id().as_str());
        // Every single byte changed to another printable byte fails.
        let bytes = signed.file.as_bytes();
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            assert!(
                verify(&changed, keys.known()).is_err(),
                "byte {i} changed and still verified"
            );
        }
        // Another installation's key does not verify it.
        let other = ReceiptKeys::from_seed([8; 32]);
        assert!(matches!(
            verify(bytes, other.known()),
            Err(ReceiptError::UnknownKey(_))
        ));
    }

    #[test]
    fn public_keys_read_back_in_every_form() {
        let keys = ReceiptKeys::from_seed([9; 32]);
        let pk = keys.public_key();
        assert_eq!(parse_public_key(&public_pem(&pk)), Some(pk.clone()));
        assert_eq!(parse_public_key(&B64.encode(&pk)), Some(pk.clone()));
        assert_eq!(parse_public_key(&hex::encode(&pk)), Some(pk));
        assert_eq!(parse_public_key("not a key"), None);
    }
}
