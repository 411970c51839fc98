//! Addresses known not to receive (bounces): marked by imports (and, later, by the
//! mail server's permanent refusals), read by the communication rules.

use super::{Store, Tx};
use crate::error::Result;
use crate::model::AddressStatus;
use crate::types::{Id, Ts};
use candor_domain::audit::AccessEvent;
use candor_domain::consent::Channel;
use uuid::Uuid;

/// Marks `s`, keeping the reason and date first learnt when the address is known.
pub(super) async fn mark_in(tx: &mut Tx<'_>, s: &AddressStatus) -> Result<()> {
    sqlx::query(
        "INSERT INTO address_status (subject_id, channel, status, reason, since) \
         VALUES ($1, $2, 'undeliverable', $3, $4) ON CONFLICT (subject_id, channel) DO NOTHING",
    )
    .bind(Id(s.subject_id))
    .bind(s.channel.as_str())
    .bind(&s.reason)
    .bind(Ts(s.since))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::face::Addresses for Store {
    async fn mark_undeliverable(&self, s: &AddressStatus, audit: Vec<AccessEvent>) -> Result<()> {
        let mut tx = self.write().await?;
        mark_in(&mut tx, s).await?;
        super::append_audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn undeliverable(&self, subject: Uuid) -> Result<Vec<AddressStatus>> {
        let rows: Vec<(String, String, Ts)> = sqlx::query_as(
            "SELECT channel, reason, since FROM address_status WHERE subject_id = $1 ORDER BY channel",
        )
        .bind(Id(subject))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(channel, reason, since)| {
                Ok(AddressStatus {
                    subject_id: subject,
                    channel: Channel::parse("channel", &channel).map_err(|_| {
                        crate::error::StoreError::Corrupt("unreadable address channel".into())
                    })?,
                    reason,
                    since: since.0,
                })
            })
            .collect()
    }
}
