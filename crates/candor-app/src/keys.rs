//! The installation's secret key, kept in the data directory, and what derives from it.
//!
//! Lookups by email use a keyed hash of the normalised address (a blind index), so
//! the clear email is never a lookup key and the index is useless without the key.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

pub struct Keys {
    blind_index: [u8; 32],
    withdraw: [u8; 32],
    tracking: [u8; 32],
    /// The Ed25519 seed that signs checkpoints (S4): its own file, `checkpoint.key`.
    checkpoint: [u8; 32],
    suppression: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<secret>)")
    }
}

impl Keys {
    /// Derives the working keys from a 32-byte master key.
    pub fn from_master(master: &[u8; 32]) -> Self {
        Self {
            blind_index: derive(master, b"candor/blind-index/email/v1"),
            withdraw: derive(master, b"candor/withdraw-link/v1"),
            tracking: derive(master, b"candor/tracking-link/v1"),
            checkpoint: derive(master, b"candor/checkpoint-signing/v1"),
            suppression: derive(master, b"candor/suppression-list/v1"),
        }
    }

    /// Reads `master.key` in `dir`, and the checkpoint signing key `checkpoint.key`,
    /// creating each (mode 0600, 32 random bytes in hex) on first start.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let master = read_or_create_key(&dir.join("master.key"))?;
        let checkpoint = read_or_create_key(&dir.join("checkpoint.key"))?;
        Ok(Self {
            checkpoint,
            ..Self::from_master(&master)
        })
    }

    /// The suppression list's keyed hash of an erased person's normalised email or
    /// E.164 phone (`kind`: email or phone): a key of its own, so the list cannot be
    /// joined with the contacts' blind index.
    pub fn suppression_hash(&self, kind: &str, normalised: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.suppression).expect("any key length");
        mac.update(format!("{kind}:{normalised}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The blind-index hash of an already normalised email.
    pub fn email_hash(&self, normalised_email: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.blind_index).expect("any key length");
        mac.update(normalised_email.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl Keys {
    fn withdraw_mac(&self, subject: uuid::Uuid, purpose: &str, channel: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.withdraw).expect("any key length");
        mac.update(format!("{subject}|{purpose}|{channel}").as_bytes());
        mac
    }

    /// The signature of a withdrawal link: only Candor can make one, and it never expires
    /// (withdrawing must always work, C6).
    pub fn withdraw_signature(&self, subject: uuid::Uuid, purpose: &str, channel: &str) -> String {
        hex::encode(
            self.withdraw_mac(subject, purpose, channel)
                .finalize()
                .into_bytes(),
        )
    }

    /// Checks a withdrawal link's signature in constant time.
    pub fn withdraw_signature_ok(
        &self,
        subject: uuid::Uuid,
        purpose: &str,
        channel: &str,
        sig: &str,
    ) -> bool {
        hex::decode(sig).is_ok_and(|raw| {
            self.withdraw_mac(subject, purpose, channel)
                .verify_slice(&raw)
                .is_ok()
        })
    }
}

impl Keys {
    fn tracking_mac(&self, what: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.tracking).expect("any key length");
        mac.update(what.as_bytes());
        mac
    }

    /// The signature of an open pixel or a tracked link (`what` names the campaign, the
    /// person, and for a link its target), so that nobody can forge one.
    pub fn tracking_signature(&self, what: &str) -> String {
        hex::encode(self.tracking_mac(what).finalize().into_bytes())
    }

    pub fn tracking_signature_ok(&self, what: &str, sig: &str) -> bool {
        hex::decode(sig).is_ok_and(|raw| self.tracking_mac(what).verify_slice(&raw).is_ok())
    }
}

impl Keys {
    fn checkpoint_pair(&self) -> ring::signature::Ed25519KeyPair {
        ring::signature::Ed25519KeyPair::from_seed_unchecked(&self.checkpoint)
            .expect("any 32-byte seed is an Ed25519 key")
    }

    /// The public half of the checkpoint signing key, hex.
    pub fn checkpoint_public_key(&self) -> String {
        use ring::signature::KeyPair;
        hex::encode(self.checkpoint_pair().public_key().as_ref())
    }

    /// The Ed25519 signature of a checkpoint's hash, hex.
    pub fn sign_checkpoint(&self, hash: &str) -> String {
        hex::encode(self.checkpoint_pair().sign(hash.as_bytes()).as_ref())
    }
}

/// Whether `signature` (hex) is `public_key`'s (hex) Ed25519 signature of `hash`.
pub fn checkpoint_signature_ok(public_key: &str, hash: &str, signature: &str) -> bool {
    let (Ok(pk), Ok(sig)) = (hex::decode(public_key), hex::decode(signature)) else {
        return false;
    };
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, pk)
        .verify(hash.as_bytes(), &sig)
        .is_ok()
}

/// A 32-byte key kept in hex in `path`, created on first use.
pub(crate) fn read_or_create_key(path: &Path) -> std::io::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_hex32(text.trim()).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not 64 hex digits", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut k = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut k);
            write_private(path, &hex::encode(k))?;
            Ok(k)
        }
        Err(e) => Err(e),
    }
}

/// This node's name, `node.id` in the data directory, made once (a UUID): the owner of
/// the leases the node takes, stable across its restarts and distinct between nodes
/// that share one database (each has its own data directory).
pub fn node_id(dir: &Path) -> std::io::Result<String> {
    let path = dir.join("node.id");
    match std::fs::read_to_string(&path) {
        Ok(text) => uuid::Uuid::parse_str(text.trim())
            .map(|u| u.to_string())
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a UUID", path.display()),
                )
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = uuid::Uuid::now_v7().to_string();
            write_private(&path, &id)?;
            Ok(id)
        }
        Err(e) => Err(e),
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(master).expect("any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    hex::decode(s).ok()?.try_into().ok()
}

/// SHA-256 of some bytes, hex.
pub fn secret_hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 of a secret, hex: how API tokens are stored.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(content.as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blind_index_depends_on_the_key() {
        let a = Keys::from_master(&[1; 32]);
        let b = Keys::from_master(&[2; 32]);
        let email = "alice@example.com";
        assert_eq!(a.email_hash(email), a.email_hash(email));
        assert_ne!(a.email_hash(email), b.email_hash(email));
        assert!(!a.email_hash(email).contains("alice"));
    }

    #[test]
    fn checkpoints_are_signed_by_the_key_file_only() {
        let dir = std::env::temp_dir().join(format!("candor-keys-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let k = Keys::load_or_create(&dir).unwrap();
        let pk = k.checkpoint_public_key();
        let sig = k.sign_checkpoint("abc");
        assert!(checkpoint_signature_ok(&pk, "abc", &sig));
        assert!(!checkpoint_signature_ok(&pk, "abd", &sig));
        // Another key file, the same master key: another signature.
        std::fs::remove_file(dir.join("checkpoint.key")).unwrap();
        let other = Keys::load_or_create(&dir).unwrap();
        assert_ne!(other.checkpoint_public_key(), pk);
        assert!(!checkpoint_signature_ok(
            &pk,
            "abc",
            &other.sign_checkpoint("abc")
        ));
        assert_eq!(
            other.email_hash("x@example.com"),
            k.email_hash("x@example.com")
        );
    }

    #[test]
    fn the_master_key_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("candor-keys-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = Keys::load_or_create(&dir).unwrap();
        let again = Keys::load_or_create(&dir).unwrap();
        assert_eq!(
            first.email_hash("x@example.com"),
            again.email_hash("x@example.com")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
