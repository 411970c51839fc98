//! Delivering a request's bundle (SPEC R5): by a download link (valid 7 days, one
//! subject's bundle, made again at each download), by email (that link, to the address
//! on file: never the data in the body), written to a removable drive, or printed and
//! posted. Each delivery is recorded with its channel, date and staff member, and
//! answers the request.

use crate::requests::RequestView;
use crate::{keys, Actor, AppError, Candor};
use candor_domain::audit::AuditAction;
use candor_domain::request::RequestKind;
use candor_store::BundleLink;
use rand::RngCore;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// How long a download link works.
pub const LINK_DAYS: i64 = 7;

/// How a bundle reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryChannel {
    Download,
    Email,
    RemovableDrive,
    Post,
}

impl DeliveryChannel {
    pub const ALL: &'static [Self] = &[
        Self::Download,
        Self::Email,
        Self::RemovableDrive,
        Self::Post,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Download => "download",
            Self::Email => "email",
            Self::RemovableDrive => "removable_drive",
            Self::Post => "post",
        }
    }

    pub fn parse(s: &str) -> Result<Self, AppError> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                AppError::field(
                    "channel",
                    "delivery_channel",
                    "must be one of: download, email, removable_drive, post",
                )
            })
    }
}

/// What a delivery gave: the link to hand over, the file written.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub request: RequestView,
    pub link: Option<String>,
    pub file: Option<PathBuf>,
}

impl Candor {
    /// Delivers the bundle of an access or portability request and answers it.
    pub async fn deliver_request(
        &self,
        actor: &Actor,
        id: Uuid,
        channel: &str,
        path: Option<&str>,
        endpoint: &str,
    ) -> Result<Delivered, AppError> {
        let channel = DeliveryChannel::parse(channel)?;
        let (mut r, before, subject) = self
            .answerable(
                actor,
                id,
                &[RequestKind::Access, RequestKind::Portability],
                "bundle_for_access_or_portability",
            )
            .await?;
        let now = self.now();
        let mut link = None;
        let mut link_row = None;
        let mut file = None;
        let mut mail = None;
        match channel {
            DeliveryChannel::Download | DeliveryChannel::Email => {
                let mut raw = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut raw);
                let token = hex::encode(raw);
                let url = format!(
                    "{}/download/{token}",
                    self.settings.public_url.trim_end_matches('/')
                );
                link_row = Some(BundleLink {
                    token_hash: keys::secret_hash(&token),
                    request_id: r.id,
                    subject_id: subject,
                    created_at: now,
                    expires_at: now + time::Duration::days(LINK_DAYS),
                    downloads: 0,
                });
                if channel == DeliveryChannel::Email {
                    let expires = (now + time::Duration::days(LINK_DAYS)).date().to_string();
                    mail = self
                        .notice_to_person(&r, "request_bundle", |_| {
                            vec![("link", url.clone()), ("expires", expires.clone())]
                        })
                        .await?;
                    if mail.is_none() {
                        return Err(AppError::field(
                            "channel",
                            "no_address",
                            "no email address is known for this person: give them the link another way",
                        ));
                    }
                }
                // Emailed, the link is the person's alone: staff are not given it.
                if channel == DeliveryChannel::Download {
                    link = Some(url);
                }
            }
            DeliveryChannel::RemovableDrive => {
                let dir = path
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| {
                        AppError::field(
                            "path",
                            "required",
                            "give the directory of the mounted drive",
                        )
                    })?;
                let dir = Path::new(dir);
                if !dir.is_absolute() || !dir.is_dir() {
                    return Err(AppError::field(
                        "path",
                        "existing_directory",
                        "must be the absolute path of an existing directory (the mounted drive)",
                    ));
                }
                let real = dir.canonicalize().map_err(|_| {
                    AppError::field(
                        "path",
                        "existing_directory",
                        "must be the absolute path of an existing directory (the mounted drive)",
                    )
                })?;
                let under_a_root = self.settings.drive_roots.iter().any(|root| {
                    root.canonicalize()
                        .is_ok_and(|r| real.starts_with(&r) && real != r)
                });
                if !under_a_root {
                    return Err(AppError::field(
                        "path",
                        "drive_root",
                        "must be a drive mounted under /media, /mnt or /run/media (the `drive_roots` setting)",
                    ));
                }
                let target = real.join(format!("data-{}.zip", r.id));
                let out = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)
                    .map_err(|e| {
                        AppError::field(
                            "path",
                            "writable",
                            format!("the bundle could not be written there: {}", e.kind()),
                        )
                    })?;
                self.write_bundle(actor, subject, out, endpoint).await?;
                file = Some(target);
            }
            DeliveryChannel::Post => {}
        }
        r.answer = Some(format!("delivered: {}", channel.as_str()));
        r.closed_at = Some(now);
        let event = self.step(&r, actor, "delivered", serde_json::json!({
            "channel": channel.as_str(),
            "link_expires": link_row.as_ref().map(|l| candor_domain::contact::rfc3339(l.expires_at)),
            "emailed": mail.is_some(),
            "file": file.as_ref().map(|f| f.display().to_string()),
        }));
        let audit = self.request_audit(actor, &r, AuditAction::Update, endpoint);
        let request = self
            .change_with_link(before, &r, event, mail, vec![], audit, link_row.as_ref())
            .await?;
        Ok(Delivered {
            request,
            link,
            file,
        })
    }

    /// The person's download (R5): the bundle made now, once the link is checked.
    /// `None` for a link that is unknown or expired (nothing written).
    pub async fn download_bundle<W: std::io::Write + std::io::Seek + Send>(
        &self,
        token: &str,
        out: W,
    ) -> Result<Option<()>, AppError> {
        let Some(l) = self
            .store
            .requests()
            .link(&keys::secret_hash(token))
            .await?
        else {
            return Ok(None);
        };
        if l.expires_at <= self.now() {
            return Ok(None);
        }
        let person = Actor {
            id: Uuid::nil(),
            role: candor_domain::Role::Dpo,
            audit_name: format!("link:{}", l.request_id),
        };
        self.write_bundle(&person, l.subject_id, out, "POST /download/{token}")
            .await?;
        self.store.requests().count_download(&l.token_hash).await?;
        Ok(Some(()))
    }
}
