//! The consent ledger's rules (SPEC C1–C3, C5, C6): what a grant needs, whether it is
//! effective at once or pending, and the current state per purpose × channel as a
//! fold of the ledger's events.

use crate::chain::Chained;
use crate::contact::ContactKind;
use crate::error::{FieldError, FieldErrors};
use crate::role::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

macro_rules! names {
    ($ty:ident, $rule:literal { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }
            pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    FieldError::new(field, $rule, format!("must be one of: {}", all.join(", ")))
                })
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Phone,
    Post,
}
names!(Channel, "unknown_channel" { Email => "email", Sms => "sms", Phone => "phone", Post => "post" });

/// Where a consent came from (C2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    WebForm,
    EmailLink,
    Event,
    BusinessCard,
    Phone,
    Manual,
    Import,
    Api,
    Portal,
}
names!(Source, "unknown_source" {
    WebForm => "web_form", EmailLink => "email_link", Event => "event",
    BusinessCard => "business_card", Phone => "phone", Manual => "manual",
    Import => "import", Api => "api", Portal => "portal",
});

impl Source {
    /// Met in person: no consent from tacit agreement (C3).
    pub fn face_to_face(self) -> bool {
        matches!(self, Source::Event | Source::BusinessCard)
    }

    /// Who records an event from this source.
    pub fn recorder(self) -> Recorder {
        match self {
            // The person's own act: their authenticated portal, or a link Candor sent them.
            Source::Portal | Source::EmailLink => Recorder::Person,
            Source::Import => Recorder::Import,
            Source::WebForm
            | Source::Event
            | Source::BusinessCard
            | Source::Phone
            | Source::Manual
            | Source::Api => Recorder::Staff,
        }
    }
}

/// Who may write an event from a source into the ledger (C1, C2, C7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorder {
    /// Only Candor's portal and link handlers, acting on the person's own request:
    /// never staff input, whatever the role.
    Person,
    /// Only `candor import`, with the file's column and value as evidence.
    Import,
    /// Staff and other systems, by the role table of [`staff_may_record`].
    Staff,
}

/// Why staff input may not record an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffRefusal {
    /// The source is the person's own act, or the import's (a field error on `source`).
    Source(FieldError),
    /// The role may not record this action (403).
    Role,
}

/// The one rule table for consent events typed in by staff or sent by another system
/// with a staff role's token (C1, C7).
///
/// | action           | source                                   | roles                          |
/// |------------------|------------------------------------------|--------------------------------|
/// | any              | `portal`, `email_link`                   | none: only the person          |
/// | any              | `import`                                 | none: only `candor import`     |
/// | grant            | `event`, `business_card`, `phone`, `manual` | admin, sales, support (they meet the person) |
/// | grant            | `web_form`, `api`                        | admin, sales, support, marketing (the website's and tools' integrations) |
/// | withdraw, refuse | every staff source                       | every role: a "no" is recorded by whoever hears it (Art. 7(3)) |
///
/// The DPO supervises consents and records no grant.
pub fn staff_may_record(role: Role, action: Action, source: Source) -> Result<(), StaffRefusal> {
    match source.recorder() {
        Recorder::Person => {
            return Err(StaffRefusal::Source(FieldError::new(
                "source",
                "person_only_source",
                "only the person records this, through their portal or a link Candor emails them; record what they told you with event, business_card, phone or manual",
            )))
        }
        Recorder::Import => {
            return Err(StaffRefusal::Source(FieldError::new(
                "source",
                "import_only_source",
                "only `candor import` records this source, with the file's column as evidence",
            )))
        }
        Recorder::Staff => {}
    }
    let allowed = match action {
        Action::Withdraw | Action::Refuse => true,
        Action::Grant => match source {
            Source::WebForm | Source::Api => matches!(
                role,
                Role::Admin | Role::Sales | Role::Support | Role::Marketing
            ),
            _ => matches!(role, Role::Admin | Role::Sales | Role::Support),
        },
        Action::Confirm | Action::Lapse => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(StaffRefusal::Role)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Grant,
    /// The person confirmed a pending grant (double opt-in).
    Confirm,
    Withdraw,
    Refuse,
    /// A pending grant the person never confirmed, closed by the retention policy
    /// after its period (E4): it keeps the grant's source.
    Lapse,
}
names!(Action, "unknown_action" { Grant => "grant", Confirm => "confirm", Withdraw => "withdraw", Refuse => "refuse", Lapse => "lapse" });

/// The proof kept with an event. Which parts are required depends on the source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The form's identifier (web sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_id: Option<String>,
    /// The exact wording the person saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wording: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Reference of a signed document (face-to-face sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_ref: Option<String>,
    /// Who recorded it: `token:<id>`, `user:<id>`; set by Candor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn present(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.trim().is_empty())
}

impl Evidence {
    /// Checks the evidence a source needs for an action; lengths are bounded.
    pub fn check(&self, source: Source, action: Action) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        for (name, v, max) in [
            ("evidence.form_id", &self.form_id, 200),
            ("evidence.wording", &self.wording, 5000),
            ("evidence.ip", &self.ip, 64),
            ("evidence.user_agent", &self.user_agent, 500),
            ("evidence.document_ref", &self.document_ref, 200),
            ("evidence.note", &self.note, 2000),
        ] {
            if v.as_deref().is_some_and(|s| s.chars().count() > max) {
                e.push(FieldError::new(
                    name,
                    "max_length",
                    format!("must be at most {max} characters"),
                ));
            }
            // Line breaks and tabs may be part of a wording or a note; other control
            // characters (NUL among them, which PostgreSQL cannot store) may not.
            if v.as_deref().is_some_and(crate::personal::has_stray_control) {
                e.push(FieldError::new(
                    name,
                    "no_control_characters",
                    "must not contain control characters",
                ));
            }
        }
        if let Some(ip) = self.ip.as_deref() {
            if ip.parse::<std::net::IpAddr>().is_err() {
                e.push(FieldError::new(
                    "evidence.ip",
                    "ip_address",
                    "must be an IPv4 or IPv6 address",
                ));
            }
        }
        if source.recorder() == Recorder::Staff
            && source != Source::WebForm
            && action == Action::Grant
            && !present(&self.wording)
        {
            e.push(FieldError::new(
                "evidence.wording",
                "wording_required",
                "a grant recorded by staff or another system says what the person agreed to, in their words or the form's",
            ));
        }
        if source == Source::WebForm {
            for (name, v) in [
                ("evidence.form_id", &self.form_id),
                ("evidence.wording", &self.wording),
                ("evidence.ip", &self.ip),
                ("evidence.user_agent", &self.user_agent),
            ] {
                if !present(v) {
                    e.push(FieldError::new(name, "web_evidence_required", "a web-form consent needs the form id, the wording shown, the IP address and the user agent"));
                }
            }
        }
        if source.face_to_face()
            && self
                .document_ref
                .as_deref()
                .is_some_and(|s| s.trim().is_empty())
        {
            e.push(FieldError::new(
                "evidence.document_ref",
                "document_ref_format",
                "must name the signed document, or be left out",
            ));
        }
        e.into_result()
    }

    pub fn has_written_consent(&self) -> bool {
        present(&self.document_ref)
    }
}

/// Why a grant is not yet effective (C1, C3). Its name is what the ledger stores and
/// hashes, and what the API shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pending {
    /// A B2C grant waits for the person to confirm through the link emailed to them.
    #[serde(rename = "double_opt_in")]
    DoubleOptIn,
    /// A face-to-face grant waits for the reference of the signed document.
    #[serde(rename = "written_consent_required")]
    WrittenConsent,
}
names!(Pending, "unknown_pending_reason" { DoubleOptIn => "double_opt_in", WrittenConsent => "written_consent_required" });

/// What a grant becomes when it is recorded: effective, or pending with a reason (C1, C3).
pub fn grant_outcome(kind: ContactKind, source: Source, evidence: &Evidence) -> Option<Pending> {
    if source.face_to_face() && !evidence.has_written_consent() {
        return Some(Pending::WrittenConsent);
    }
    match (kind, source) {
        (ContactKind::B2b, _) => None,
        // The person acted in their own authenticated portal: that is the confirmation.
        (ContactKind::B2c, Source::Portal) => None,
        (ContactKind::B2c, _) => Some(Pending::DoubleOptIn),
    }
}

/// One ledger event, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsentEvent {
    pub id: Uuid,
    pub subject_id: Uuid,
    pub seq: i64,
    pub purpose: String,
    pub channel: Channel,
    pub action: Action,
    /// For a grant: `None` when effective, else why it waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    pub source: Source,
    pub evidence: Evidence,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub prev_hash: String,
    pub hash: String,
}

/// An event to record: the store gives it its place in the subject's chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentDraft {
    pub subject_id: Uuid,
    pub purpose: String,
    pub channel: Channel,
    pub action: Action,
    pub pending: Option<Pending>,
    pub source: Source,
    pub evidence: Evidence,
    pub at: OffsetDateTime,
}

impl ConsentEvent {
    /// Chains `d` after an event whose hash is `prev_hash` at position `seq - 1`.
    pub fn chain(d: ConsentDraft, seq: i64, prev_hash: String) -> Self {
        let mut e = ConsentEvent {
            id: Uuid::now_v7(),
            subject_id: d.subject_id,
            seq,
            purpose: d.purpose,
            channel: d.channel,
            action: d.action,
            pending: d.pending,
            source: d.source,
            evidence: d.evidence,
            at: crate::clock::to_micros(d.at),
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    pub fn compute_hash(&self) -> String {
        let canonical = serde_json::json!([
            "candor-consent-v1",
            self.id,
            self.subject_id,
            self.seq,
            self.purpose,
            self.channel.as_str(),
            self.action.as_str(),
            self.pending,
            self.source.as_str(),
            self.evidence,
            self.at.unix_timestamp_nanos().to_string(),
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

impl Chained for ConsentEvent {
    fn id(&self) -> Uuid {
        self.id
    }
    fn subject(&self) -> Uuid {
        self.subject_id
    }
    fn seq(&self) -> i64 {
        self.seq
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn hash(&self) -> &str {
        &self.hash
    }
    fn compute_hash(&self) -> String {
        ConsentEvent::compute_hash(self)
    }
}

/// The current state of one purpose × channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Effective,
    Pending,
    Withdrawn,
    Refused,
    NeverAsked,
    /// A grant never confirmed in time: no consent, as if never asked, with its trace.
    Lapsed,
}
names!(Status, "unknown_status" { Effective => "effective", Pending => "pending", Withdrawn => "withdrawn", Refused => "refused", NeverAsked => "never_asked", Lapsed => "lapsed" });

/// The projection kept per subject × purpose × channel, updated with each event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentState {
    pub purpose: String,
    pub channel: Channel,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Pending>,
    /// The source of the event that set this status (for a pending grant: the grant's).
    pub source: Source,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// The first time this purpose × channel became effective, and from where (C2).
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_opt_in_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_opt_in_source: Option<Source>,
}

/// The state after `event`, from the state before it (`None`: never asked).
/// A confirmation only turns a pending grant effective; a withdrawal always wins (C6).
pub fn apply(before: Option<&ConsentState>, e: &ConsentEvent) -> ConsentState {
    let first = before.and_then(|s| s.first_opt_in_at.zip(s.first_opt_in_source));
    let effective = |s: &mut ConsentState| {
        if s.first_opt_in_at.is_none() {
            s.first_opt_in_at = Some(e.at);
            s.first_opt_in_source = Some(e.source);
        }
    };
    let mut s = ConsentState {
        purpose: e.purpose.clone(),
        channel: e.channel,
        status: Status::NeverAsked,
        reason: None,
        source: e.source,
        since: e.at,
        first_opt_in_at: first.map(|f| f.0),
        first_opt_in_source: first.map(|f| f.1),
    };
    match e.action {
        Action::Grant => match e.pending {
            Some(reason) => {
                s.status = Status::Pending;
                s.reason = Some(reason);
            }
            None => {
                s.status = Status::Effective;
                effective(&mut s);
            }
        },
        Action::Confirm => match before {
            Some(b) if b.status == Status::Pending => {
                // Effective from the confirmation, with the grant's own source.
                s.status = Status::Effective;
                s.source = b.source;
                if s.first_opt_in_at.is_none() {
                    s.first_opt_in_at = Some(e.at);
                    s.first_opt_in_source = Some(b.source);
                }
            }
            Some(b) => return b.clone(),
            None => return s,
        },
        Action::Lapse => match before {
            Some(b) if b.status == Status::Pending => {
                s.status = Status::Lapsed;
                s.source = b.source;
            }
            Some(b) => return b.clone(),
            None => return s,
        },
        Action::Withdraw => s.status = Status::Withdrawn,
        Action::Refuse => s.status = Status::Refused,
    }
    s
}

#[cfg(test)]
mod tests;
