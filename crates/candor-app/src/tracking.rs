//! Opens and clicks of campaign emails (M4): recorded, as events on the contact, only
//! for people with an effective `engagement_tracking` consent by email. Only their
//! emails carry the pixel and the tracked links; everyone else's carry neither. A
//! pixel or link whose signature does not match records nothing.

use crate::{AppError, Candor};
use candor_domain::consent::{Channel, Status};
use candor_store::ActivityRecord;
use uuid::Uuid;

/// The consent purpose that allows measuring opens and clicks.
pub const TRACKING_PURPOSE: &str = "engagement_tracking";

/// A transparent 1×1 GIF.
pub const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

fn open_what(campaign: Uuid, subject: Uuid) -> String {
    format!("open|{campaign}|{subject}")
}

fn click_what(campaign: Uuid, subject: Uuid, url: &str) -> String {
    format!("click|{campaign}|{subject}|{url}")
}

impl Candor {
    fn base(&self) -> &str {
        self.settings.public_url.trim_end_matches('/')
    }

    /// The open pixel's address for one person's copy of a campaign.
    pub fn open_pixel(&self, campaign: Uuid, subject: Uuid) -> String {
        let sig = self.keys.tracking_signature(&open_what(campaign, subject));
        format!("{}/t/o/{campaign}/{subject}/{sig}", self.base())
    }

    /// A tracked link to `url` in one person's copy of a campaign (the target travels
    /// hex-encoded in the path, covered by the signature).
    pub fn tracked_link(&self, campaign: Uuid, subject: Uuid, url: &str) -> String {
        let sig = self
            .keys
            .tracking_signature(&click_what(campaign, subject, url));
        format!(
            "{}/t/c/{campaign}/{subject}/{}/{sig}",
            self.base(),
            hex::encode(url)
        )
    }

    /// Records an event if the person still agrees to be measured; returns whether it
    /// was recorded.
    async fn record_engagement(
        &self,
        subject: Uuid,
        kind: &str,
        campaign: Uuid,
    ) -> Result<bool, AppError> {
        let agrees = self
            .store
            .consents()
            .states(subject)
            .await?
            .iter()
            .any(|s| {
                s.purpose == TRACKING_PURPOSE
                    && s.channel == Channel::Email
                    && s.status == Status::Effective
            });
        if !agrees || self.store.contacts().get(subject).await?.is_none() {
            return Ok(false);
        }
        self.store
            .activity()
            .record(&ActivityRecord {
                id: Uuid::now_v7(),
                contact_id: subject,
                kind: kind.into(),
                at: self.now(),
                detail: format!("campaign {campaign}"),
            })
            .await?;
        Ok(true)
    }

    /// The pixel was loaded.
    pub async fn record_open(
        &self,
        campaign: Uuid,
        subject: Uuid,
        sig: &str,
    ) -> Result<bool, AppError> {
        if !self
            .keys
            .tracking_signature_ok(&open_what(campaign, subject), sig)
        {
            return Ok(false);
        }
        self.record_engagement(subject, "email_open", campaign)
            .await
    }

    /// A tracked link was followed: the target to send the person to (recorded or
    /// not), or `None` when the link is forged.
    pub async fn record_click(
        &self,
        campaign: Uuid,
        subject: Uuid,
        target_hex: &str,
        sig: &str,
    ) -> Result<Option<String>, AppError> {
        let Some(url) = hex::decode(target_hex)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            return Ok(None);
        };
        if !self
            .keys
            .tracking_signature_ok(&click_what(campaign, subject, &url), sig)
        {
            return Ok(None);
        }
        self.record_engagement(subject, "email_click", campaign)
            .await?;
        Ok(Some(url))
    }
}

/// Makes the `http://` and `https://` addresses of an already escaped text into links,
/// each pointing where `href` says (the address itself, or a tracked link to it).
pub fn linkify(escaped: &str, href: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(escaped.len());
    for token in escaped.split_inclusive(char::is_whitespace) {
        let word = token.trim_end();
        let space = &token[word.len()..];
        if word.starts_with("http://") || word.starts_with("https://") {
            let url = word.replace("&amp;", "&");
            let target = href(&url).replace('&', "&amp;").replace('"', "&quot;");
            out.push_str(&format!("<a href=\"{target}\">{word}</a>{space}"));
        } else {
            out.push_str(token);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::linkify;

    #[test]
    fn addresses_become_links_and_the_rest_stays_escaped() {
        let html = linkify(
            "Voir https://example.fr/a?b=1&amp;c=2 et &lt;b&gt;.\nFin",
            |u| format!("T({u})"),
        );
        assert_eq!(
            html,
            "Voir <a href=\"T(https://example.fr/a?b=1&amp;c=2)\">https://example.fr/a?b=1&amp;c=2</a> et &lt;b&gt;.\nFin"
        );
    }
}
