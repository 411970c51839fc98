//! API tokens: 256-bit random secrets shown once, stored as their SHA-256.

use crate::keys::secret_hash;
use crate::{Actor, AppError, Candor};
use candor_domain::Role;
use candor_store::ApiToken;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Every token starts so, which lets secret scanners recognise a leaked one.
pub const TOKEN_PREFIX: &str = "cdr_";

/// How long a token check is remembered. A token revoked through this process stops
/// working at once; one revoked by another process (`candor token revoke` while the
/// server runs) stops within this delay.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);
const TOKEN_CACHE_MAX: usize = 10_000;

/// Recently checked tokens, by secret hash, so a request costs no token query.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<String, (Actor, Instant)>>,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Actor> {
        let map = self.entries.read().expect("token cache lock");
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(a, _)| a.clone())
    }

    fn put(&self, hash: String, actor: Actor) {
        let mut map = self.entries.write().expect("token cache lock");
        if map.len() >= TOKEN_CACHE_MAX {
            map.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
        }
        map.insert(hash, (actor, Instant::now()));
    }

    fn clear(&self) {
        self.entries.write().expect("token cache lock").clear();
    }
}

impl Candor {
    /// Creates a token and returns it with its secret, which is not kept.
    pub async fn create_token(
        &self,
        role: Role,
        name: &str,
    ) -> Result<(ApiToken, String), AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::field(
                "name",
                "token_name",
                "a token needs a name of 1 to 100 characters on one line",
            ));
        }
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(raw));
        let token = ApiToken {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            role,
            created_at: self.now(),
            revoked_at: None,
        };
        self.store
            .tokens()
            .insert(&token, &secret_hash(&secret))
            .await?;
        Ok((token, secret))
    }

    /// The actor behind a bearer secret, if the token exists and is not revoked.
    pub async fn authenticate(&self, secret: &str) -> Result<Actor, AppError> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() != TOKEN_PREFIX.len() + 64 {
            return Err(AppError::Unauthenticated);
        }
        let hash = secret_hash(secret);
        if let Some(actor) = self.tokens.get(&hash) {
            return Ok(actor);
        }
        let token = self
            .store
            .tokens()
            .by_secret_hash(&hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let actor = Actor {
            id: token.id,
            role: token.role,
            audit_name: format!("token:{}", token.id),
        };
        self.tokens.put(hash, actor.clone());
        Ok(actor)
    }

    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>, AppError> {
        Ok(self.store.tokens().list().await?)
    }

    /// Revokes by id or by name; returns how many tokens it revoked.
    pub async fn revoke_tokens(&self, id_or_name: &str) -> Result<u64, AppError> {
        let n = self.store.tokens().revoke(id_or_name, self.now()).await?;
        self.tokens.clear();
        Ok(n)
    }
}
