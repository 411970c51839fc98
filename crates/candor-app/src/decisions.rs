//! The communication rules applied to a stored contact (M2): the facts are read from
//! the consent ledger's projection, the contracts and the consent requests, and the
//! domain's `decide` names the rule.

use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::catalogue::Entity;
use candor_domain::communication::{self, Category, Facts, Rule};
use candor_domain::consent::Channel;
use candor_domain::contact::Contact;
use candor_domain::FieldErrors;
use uuid::Uuid;

/// A decision as the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Decision {
    pub contact_id: Uuid,
    pub category: Category,
    pub channel: Channel,
    pub allowed: bool,
    pub rule: &'static str,
    pub explanation: Explanation,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    pub en: &'static str,
    pub fr: &'static str,
}

impl Decision {
    pub fn new(contact_id: Uuid, category: Category, channel: Channel, rule: Rule) -> Self {
        let (en, fr) = rule.explanation();
        Self {
            contact_id,
            category,
            channel,
            allowed: rule.allows(),
            rule: rule.id(),
            explanation: Explanation { en, fr },
        }
    }
}

impl Candor {
    /// The rule that decides whether `category` may go to `c` on `channel` now.
    pub async fn rule_for(
        &self,
        c: &Contact,
        category: Category,
        channel: Channel,
    ) -> Result<Rule, AppError> {
        Ok(match self.permit_for(c, category, channel).await? {
            Ok(p) => p.rule(),
            Err(rule) => rule,
        })
    }

    /// A permit to send `category` to `c` on `channel` now, or the rule that refuses it.
    pub async fn permit_for(
        &self,
        c: &Contact,
        category: Category,
        channel: Channel,
    ) -> Result<Result<communication::Permit, Rule>, AppError> {
        let now = self.now();
        let consents = self.store.consents().states(c.id).await?;
        let undeliverable: Vec<Channel> = self
            .store
            .addresses()
            .undeliverable(c.id)
            .await?
            .into_iter()
            .map(|a| a.channel)
            .collect();
        let active_contract = match category {
            Category::ContractService | Category::ContractRenewal => {
                self.store
                    .contracts()
                    .has_active(c.id, c.data.company_id, now.date())
                    .await?
            }
            _ => false,
        };
        let last_request = match category {
            Category::ConsentRequest => self.store.consents().last_request(c.id).await?,
            _ => None,
        };
        // A restriction request (Art. 18) that holds: nothing but legal notices.
        let restricted = self.store.requests().restricted(c.id).await?;
        let facts = Facts {
            consents: &consents,
            active_contract,
            // Erasure arrives with its own issue; a deleted contact is gone, so it is
            // never asked about.
            erased: false,
            restricted,
            undeliverable: &undeliverable,
            last_request,
            now,
            refusal_quiet_period: self.settings.refusal_quiet,
        };
        Ok(communication::permit(category, channel, &facts))
    }

    /// `POST /api/v1/decisions`: may a message of this category go to this contact on
    /// this channel now, and which rule says so.
    ///
    /// A decision reads the person's consents, bounces and, for the contract
    /// categories, whether they have a running contract: a role that may not read a
    /// contract's status gets no decision on those categories (its answer would tell),
    /// and every decision is recorded in the person's access audit with the facts it
    /// read.
    pub async fn decide(
        &self,
        actor: &Actor,
        contact_id: Uuid,
        category: &str,
        channel: &str,
        endpoint: &str,
    ) -> Result<Decision, AppError> {
        let mut e = FieldErrors::default();
        let category = e.check(Category::parse("category", category));
        let channel = e.check(Channel::parse("channel", channel));
        let (category, channel) = e.finish((category, channel)).map_err(AppError::Invalid)?;
        let reads_contracts = matches!(
            category,
            Category::ContractService | Category::ContractRenewal
        );
        if reads_contracts
            && !self
                .catalogue()
                .can_read(actor.role, Entity::Contract, "status")
        {
            return Err(AppError::FieldForbidden {
                field: "contract.status".into(),
                role: actor.role,
                action: "decide on",
            });
        }
        let c = self
            .store
            .contacts()
            .get(contact_id)
            .await?
            .ok_or(AppError::NotFound { what: "contact" })?;
        let rule = self.rule_for(&c, category, channel).await?;
        let mut fields = vec![
            "consents".to_owned(),
            format!("address_status.{}", channel.as_str()),
        ];
        if reads_contracts {
            fields.push("contract.status".into());
        }
        self.audit(vec![AccessEvent {
            subject_id: contact_id,
            actor: actor.audit_name.clone(),
            action: AuditAction::Read,
            fields,
            endpoint: endpoint.to_owned(),
            at: self.now(),
        }])
        .await?;
        Ok(Decision::new(contact_id, category, channel, rule))
    }
}
