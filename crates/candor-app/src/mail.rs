//! Emails: templates as folders (`templates/mail/<message>/<locale>/{subject.txt,
//! body.txt,body.html}`), queued in the transaction of the change that causes them
//! (O5), delivered by a worker to the local outbox (`.eml` files) by default.

use crate::{AppError, Candor};
use candor_domain::communication::{Category, Permit, ALL_PURPOSES};
use candor_domain::consent::{Channel, ConsentState, Status};
use candor_domain::personal::Locale;
use candor_store::{OutboxEntry, QueuedMail};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::collections::HashMap;
use std::path::PathBuf;
use time::OffsetDateTime;
use uuid::Uuid;

/// Why a queued message was not sent: its person opted out of every email.
pub const WITHHELD: &str =
    "withheld: the person opted out of every email before this message could go";

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn template(name: &str, locale: Locale) -> Option<[&'static str; 3]> {
    macro_rules! t {
        ($n:literal, $l:literal) => {
            [
                include_str!(concat!("../templates/mail/", $n, "/", $l, "/subject.txt")),
                include_str!(concat!("../templates/mail/", $n, "/", $l, "/body.txt")),
                include_str!(concat!("../templates/mail/", $n, "/", $l, "/body.html")),
            ]
        };
    }
    match (name, locale) {
        ("confirm_consent", Locale::Fr) => Some(t!("confirm_consent", "fr")),
        ("confirm_consent", Locale::En) => Some(t!("confirm_consent", "en")),
        ("consent_request", Locale::Fr) => Some(t!("consent_request", "fr")),
        ("consent_request", Locale::En) => Some(t!("consent_request", "en")),
        ("campaign", Locale::Fr) => Some(t!("campaign", "fr")),
        ("campaign", Locale::En) => Some(t!("campaign", "en")),
        ("request_receipt", Locale::Fr) => Some(t!("request_receipt", "fr")),
        ("request_receipt", Locale::En) => Some(t!("request_receipt", "en")),
        ("request_extended", Locale::Fr) => Some(t!("request_extended", "fr")),
        ("request_extended", Locale::En) => Some(t!("request_extended", "en")),
        ("request_refused", Locale::Fr) => Some(t!("request_refused", "fr")),
        ("request_refused", Locale::En) => Some(t!("request_refused", "en")),
        ("request_bundle", Locale::Fr) => Some(t!("request_bundle", "fr")),
        ("request_bundle", Locale::En) => Some(t!("request_bundle", "en")),
        ("request_rectified", Locale::Fr) => Some(t!("request_rectified", "fr")),
        ("request_rectified", Locale::En) => Some(t!("request_rectified", "en")),
        ("request_erased", Locale::Fr) => Some(t!("request_erased", "fr")),
        ("request_erased", Locale::En) => Some(t!("request_erased", "en")),
        ("contact_erased", Locale::Fr) => Some(t!("contact_erased", "fr")),
        ("contact_erased", Locale::En) => Some(t!("contact_erased", "en")),
        ("transparency", Locale::Fr) => Some(t!("transparency", "fr")),
        ("transparency", Locale::En) => Some(t!("transparency", "en")),
        ("dpo_digest", Locale::Fr) => Some(t!("dpo_digest", "fr")),
        ("dpo_digest", Locale::En) => Some(t!("dpo_digest", "en")),
        ("breach_reminder", Locale::Fr) => Some(t!("breach_reminder", "fr")),
        ("breach_reminder", Locale::En) => Some(t!("breach_reminder", "en")),
        ("breach_notice", Locale::Fr) => Some(t!("breach_notice", "fr")),
        ("breach_notice", Locale::En) => Some(t!("breach_notice", "en")),
        ("portal_link", Locale::Fr) => Some(t!("portal_link", "fr")),
        ("portal_link", Locale::En) => Some(t!("portal_link", "en")),
        _ => None,
    }
}

/// Text made safe to put inside HTML.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Fills `{{name}}` placeholders; values are escaped in the HTML part.
pub fn render(name: &str, locale: Locale, vars: &[(&str, &str)]) -> Option<Rendered> {
    let [subject, text, html] = template(name, locale)?;
    let fill = |t: &str, esc: bool| {
        vars.iter().fold(t.to_owned(), |acc, (k, v)| {
            acc.replace(
                &format!("{{{{{k}}}}}"),
                &if esc { escape_html(v) } else { (*v).to_owned() },
            )
        })
    };
    Some(Rendered {
        subject: fill(subject, false).trim().to_owned(),
        text: fill(text, false),
        html: fill(html, true),
    })
}

/// Where queued messages go.
#[derive(Clone)]
pub enum Transport {
    /// `.eml` files in this directory (the default: the first run needs no mail server).
    Outbox(PathBuf),
    /// An SMTP server (production), through a pool of connections, and how many
    /// messages go at once.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, usize),
}

/// How to reach the SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or in tests.
    None,
}

/// Settings of the SMTP transport.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// SMTP connections kept open and used at once (at least 1).
    pub connections: u32,
}

impl Transport {
    pub fn smtp(s: &SmtpSettings) -> Result<Self, String> {
        let builder = match s.security {
            Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| e.to_string())?,
            Security::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| e.to_string())?
            }
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        };
        let connections = s.connections.max(1);
        let builder = builder
            .port(s.port)
            .timeout(Some(std::time::Duration::from_secs(30)))
            .pool_config(
                lettre::transport::smtp::PoolConfig::new()
                    .max_size(connections)
                    .min_idle(0),
            );
        let builder = match (&s.username, &s.password) {
            (Some(u), Some(p)) => builder.credentials(Credentials::new(u.clone(), p.clone())),
            _ => builder,
        };
        Ok(Transport::Smtp(builder.build(), connections as usize))
    }

    /// How many messages are handed to the transport at once.
    fn concurrency(&self) -> usize {
        match self {
            Transport::Outbox(_) => 4,
            Transport::Smtp(_, n) => *n,
        }
    }

    /// The pooled SMTP transport inside, for a baseline that sends the same messages.
    pub fn smtp_client(&self) -> Option<&AsyncSmtpTransport<Tokio1Executor>> {
        match self {
            Transport::Smtp(t, _) => Some(t),
            Transport::Outbox(_) => None,
        }
    }
}

/// A queued message with a fixed Message-ID.
/// The only way to build a message for the outbox: it takes the `Permit` the
/// communication rules gave (M2) and records its category.
pub fn queued(
    id: Uuid,
    subject_id: Option<Uuid>,
    permit: &Permit,
    to: &str,
    locale: Locale,
    r: Rendered,
    at: OffsetDateTime,
) -> QueuedMail {
    QueuedMail {
        id,
        subject_id,
        message_id: format!("<{id}@candor>"),
        category: permit.category().as_str().to_owned(),
        recipient: to.to_owned(),
        locale: locale.as_str().to_owned(),
        mail_subject: r.subject,
        body_text: r.text,
        body_html: r.html,
        created_at: at,
        list_unsubscribe: None,
        attachment: None,
        forget_after_send: false,
    }
}

/// The RFC 5322 form of a queued message.
pub fn format(m: &QueuedMail, from: &str) -> Result<Vec<u8>, String> {
    message(m, from).map(|msg| msg.formatted())
}

/// The recipient as SMTP carries it: the address the API accepted (the grammar of
/// `Email::parse`), its domain in IDNA A-labels. Every address the API accepts is one
/// the mailer takes (tested), so no message is refused here forever.
pub fn recipient(address: &str) -> Result<lettre::Address, String> {
    let email = candor_domain::personal::Email::parse("recipient", address)
        .map_err(|e| format!("recipient address: {}", e.message))?;
    email
        .ascii()
        .parse()
        .map_err(|e| format!("recipient address: {e}"))
}

/// The message lettre sends for a queued mail (what `deliver_due` hands the server).
pub fn message(m: &QueuedMail, from: &str) -> Result<lettre::Message, String> {
    let from: Mailbox = from.parse().map_err(|e| format!("sender address: {e}"))?;
    let to = Mailbox::new(None, recipient(&m.recipient)?);
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(&m.mail_subject)
        .message_id(Some(m.message_id.clone()))
        .date(m.created_at.into());
    if let Some(url) = &m.list_unsubscribe {
        // RFC 8058: a mail client may unsubscribe with one POST, without a page.
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(m.body_text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(m.body_html.clone()),
        );
    let msg = match &m.attachment {
        None => builder.multipart(body),
        Some(a) => {
            let kind = if a.name.ends_with(".json") {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            let kind = ContentType::parse(kind).map_err(|e| e.to_string())?;
            builder.multipart(MultiPart::mixed().multipart(body).singlepart(
                lettre::message::Attachment::new(a.name.clone()).body(a.content.clone(), kind),
            ))
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(msg)
}

impl Candor {
    /// Delivers the messages that are due, several at once (as many as the transport's
    /// connections), each marked sent as soon as the server has accepted it; returns how
    /// many were delivered. What holds is "at least once": a crash between the server's
    /// acceptance and the mark sends that message again, with the same Message-ID, on
    /// which receivers deduplicate.
    pub async fn deliver_due(&self, transport: &Transport) -> Result<u32, AppError> {
        use futures_util::StreamExt;
        let width = transport.concurrency();
        let limit = u32::try_from(width * 50).unwrap_or(200);
        let due = self
            .store
            .outbox()
            .claim(self.now(), limit, &self.settings.node)
            .await?;
        // One read of the consent states of every person a consent request goes to in
        // this round, not one per message.
        let asked: Vec<Uuid> = due
            .iter()
            .filter(|e| e.mail.category == Category::ConsentRequest.as_str())
            .filter_map(|e| e.mail.subject_id)
            .collect();
        let states = self.store.consents().states_of(&asked).await?;
        let states = &states;
        let outcomes: Vec<Result<bool, AppError>> = futures_util::stream::iter(due)
            .map(|entry| async move {
                let withheld = opted_out_since_queued(&entry.mail, states);
                self.deliver_one(transport, entry, withheld).await
            })
            .buffer_unordered(width)
            .collect()
            .await;
        let mut sent = 0;
        for o in outcomes {
            sent += u32::from(o?);
        }
        Ok(sent)
    }

    /// At a node's start: the messages it was sending when it stopped are due again at
    /// once rather than when their leases run out (at least once, with the same
    /// Message-ID). Returns how many.
    pub async fn release_own_leases(&self) -> Result<u64, AppError> {
        Ok(self
            .store
            .outbox()
            .release_leases(&self.settings.node, self.now())
            .await?)
    }

    /// One claimed message: withheld, delivered and marked sent, or marked failed.
    async fn deliver_one(
        &self,
        transport: &Transport,
        entry: OutboxEntry,
        withheld: bool,
    ) -> Result<bool, AppError> {
        if withheld {
            self.store
                .outbox()
                .mark_failed(entry.mail.id, WITHHELD, None)
                .await?;
            return Ok(false);
        }
        match self.deliver(transport, &entry).await {
            Ok(()) => {
                self.store
                    .outbox()
                    .mark_sent(entry.mail.id, self.now())
                    .await?;
                Ok(true)
            }
            Err(f) => {
                // Backoff: 1, 2, 4… minutes; given up after 8 attempts. A permanent
                // refusal (5xx) is not tried again: it would be refused again.
                let retry = (!f.permanent && entry.attempts < 8).then(|| {
                    self.now() + time::Duration::minutes(1 << entry.attempts.clamp(0, 10))
                });
                let e = scrub_delivery_error(&f.text);
                tracing::warn!(message = %entry.mail.id, error = %e, "delivery failed");
                self.store
                    .outbox()
                    .mark_failed(entry.mail.id, &e, retry)
                    .await?;
                if let (true, Some(subject)) = (f.bad_mailbox, entry.mail.subject_id) {
                    self.mark_bounced(subject, &e).await;
                }
                Ok(false)
            }
        }
    }

    /// The mail server refused the address itself (no such mailbox): nothing more is
    /// sent to it (`address_undeliverable`) until the contact's email changes. A contact
    /// erased meanwhile has no address to mark; that is only logged.
    async fn mark_bounced(&self, subject: Uuid, reply: &str) {
        let at = self.now();
        let status = candor_store::AddressStatus {
            subject_id: subject,
            channel: candor_domain::consent::Channel::Email,
            reason: format!("smtp: {reply}"),
            since: at,
        };
        let audit = vec![candor_domain::audit::AccessEvent {
            subject_id: subject,
            actor: "system:delivery".into(),
            action: candor_domain::audit::AuditAction::Update,
            fields: vec!["address_status.email".into()],
            endpoint: "outbox delivery".into(),
            at,
        }];
        if let Err(e) = self
            .store
            .addresses()
            .mark_undeliverable(&status, audit)
            .await
        {
            tracing::warn!(error = %e, "a bounced address could not be marked");
        }
    }

    async fn deliver(&self, transport: &Transport, entry: &OutboxEntry) -> Result<(), Failure> {
        let msg = message(&entry.mail, &self.settings.mail_from).map_err(Failure::temporary)?;
        match transport {
            Transport::Smtp(smtp, _) => smtp.send(msg).await.map(drop).map_err(|e| {
                let text = e.to_string();
                let code = e.status().map(|c| c.to_string()).unwrap_or_default();
                Failure {
                    permanent: e.is_permanent(),
                    bad_mailbox: e.is_permanent() && bad_mailbox(&code, &text),
                    text,
                }
            }),
            // The local outbox is in the data directory: a message to a person already
            // erased is not written there (nothing of them may stay); it goes only
            // through a real mail server.
            Transport::Outbox(_) if entry.mail.forget_after_send => Ok(()),
            Transport::Outbox(dir) => {
                let bytes = msg.formatted();
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(Failure::temporary)?;
                let tmp = dir.join(format!(".{}.eml.tmp", entry.mail.id));
                tokio::fs::write(&tmp, &bytes)
                    .await
                    .map_err(Failure::temporary)?;
                tokio::fs::rename(&tmp, dir.join(format!("{}.eml", entry.mail.id)))
                    .await
                    .map_err(Failure::temporary)
            }
        }
    }
}

impl Candor {
    /// The newest queued and delivered messages (dpo and admin). Messages hold personal
    /// data, so each one shown is recorded in its subject's audit.
    pub async fn outbox(
        &self,
        actor: &crate::Actor,
        limit: u32,
        endpoint: &str,
    ) -> Result<Vec<OutboxEntry>, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the outbox",
            });
        }
        let entries = self.store.outbox().list(limit.clamp(1, 500)).await?;
        let events = entries
            .iter()
            .filter_map(|e| e.mail.subject_id)
            .map(|subject| candor_domain::audit::AccessEvent {
                subject_id: subject,
                actor: actor.audit_name.clone(),
                action: candor_domain::audit::AuditAction::Read,
                fields: vec!["email".into(), "outbox".into()],
                endpoint: endpoint.to_owned(),
                at: self.now(),
            })
            .collect();
        self.audit(events).await?;
        Ok(entries.into_iter().map(|e| self.masked(e)).collect())
    }

    /// The newest emails of the outbox as a list shows them (dpo and admin): the
    /// recipient's address cut to its domain (`…@example.fr`), the subject, category
    /// and status, no body. Nothing of a person is read, so the list writes no audit
    /// entry; opening one email ([`Candor::outbox_mail`]) reads it, and is audited.
    pub async fn outbox_summary(
        &self,
        actor: &crate::Actor,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the outbox",
            });
        }
        let entries = self.store.outbox().list(limit.clamp(1, 500)).await?;
        Ok(entries
            .into_iter()
            .map(|mut e| {
                e.mail.recipient = match e.mail.recipient.rsplit_once('@') {
                    Some((_, domain)) => format!("…@{domain}"),
                    None => "…".to_owned(),
                };
                e.mail.body_text.clear();
                e.mail.body_html.clear();
                e.mail.list_unsubscribe = None;
                e.mail.attachment = None;
                e
            })
            .collect())
    }

    /// One email of the outbox (dpo and admin); its reading is audited.
    pub async fn outbox_mail(
        &self,
        actor: &crate::Actor,
        id: uuid::Uuid,
        endpoint: &str,
    ) -> Result<OutboxEntry, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the outbox",
            });
        }
        let entry = self
            .store
            .outbox()
            .entry(id)
            .await?
            .ok_or(AppError::NotFound { what: "email" })?;
        if let Some(subject) = entry.mail.subject_id {
            self.audit(vec![candor_domain::audit::AccessEvent {
                subject_id: subject,
                actor: actor.audit_name.clone(),
                action: candor_domain::audit::AuditAction::Read,
                fields: vec!["email".into(), "outbox".into()],
                endpoint: endpoint.to_owned(),
                at: self.now(),
            }])
            .await?;
        }
        Ok(self.masked(entry))
    }

    /// A message as staff see it: that it carried the person's links, never the links.
    /// Whoever holds one acts as the person (confirms a consent, answers a request,
    /// withdraws, records an open or a click), so only the person's mailbox has them.
    fn masked(&self, mut e: OutboxEntry) -> OutboxEntry {
        e.mail.body_text = mask_person_links(&e.mail.body_text);
        e.mail.body_html = mask_person_links(&e.mail.body_html);
        e.mail.list_unsubscribe = e.mail.list_unsubscribe.map(|u| mask_person_links(&u));
        e
    }
}

/// The paths of links that act for the person they were sent to (or open their data).
const PERSON_PATHS: [&str; 6] = [
    "/download/",
    "/portal/enter/",
    "/consent/confirm/",
    "/consent/request/",
    "/consent/withdraw/",
    "/t/",
];

/// `text` with every link to one of [`PERSON_PATHS`] cut after its path
/// (`https://crm.example/consent/confirm/…`), whatever host it names: a message queued
/// before `public_url` changed is cut as well.
pub fn mask_person_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = PERSON_PATHS
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min_by_key(|(i, _)| *i);
        let Some((i, p)) = next else {
            break;
        };
        out.push_str(&rest[..i + p.len()]);
        out.push('…');
        let tail = &rest[i + p.len()..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_persons_links_are_cut_and_others_kept() {
        let text = "Confirmez : https://crm.example/consent/confirm/abc123 (7 jours)\n\
                    <a href=\"https://crm.example/consent/withdraw/u/newsletter/email/sig\">retirer</a> \
                    <img src=\"https://crm.example/t/o/c/s/sig\"> https://crm.example/privacy";
        let m = mask_person_links(text);
        assert_eq!(
            m,
            "Confirmez : https://crm.example/consent/confirm/… (7 jours)\n\
             <a href=\"https://crm.example/consent/withdraw/…\">retirer</a> \
             <img src=\"https://crm.example/t/…\"> https://crm.example/privacy"
        );
        assert!(!m.contains("abc123") && !m.contains("sig"));
        // A link under another host (public_url changed since) is cut too.
        assert_eq!(
            mask_person_links("http://old.example/consent/request/s3cr3t ok"),
            "http://old.example/consent/request/… ok"
        );
    }
    use candor_domain::communication::{permit, Category, Facts};
    use candor_domain::consent::Channel;

    #[test]
    fn the_confirmation_email_exists_in_both_languages_and_escapes_html() {
        let vars = [
            ("name", "Zoé <script>"),
            ("purpose", "Newsletter"),
            ("channel", "e-mail"),
            ("link", "https://x/c/abc"),
            ("expires", "2026-12-06"),
        ];
        let fr = render("confirm_consent", Locale::Fr, &vars).unwrap();
        assert!(fr.subject.starts_with("Confirmez"));
        assert!(fr.text.contains("https://x/c/abc") && fr.text.contains("Zoé <script>"));
        assert!(fr.html.contains("Zoé &lt;script&gt;") && !fr.html.contains("<script>"));
        let en = render("confirm_consent", Locale::En, &vars).unwrap();
        assert!(en.text.contains("I confirm"));
        assert!(!en.text.contains("{{"), "every placeholder is filled");
    }

    #[test]
    fn a_queued_message_formats_with_its_fixed_message_id() {
        let r = Rendered {
            subject: "Sujet".into(),
            text: "texte".into(),
            html: "<p>html</p>".into(),
        };
        let id = Uuid::now_v7();
        let at = time::macros::datetime!(2026-11-29 10:00 UTC);
        let facts = Facts::new_contact(at, time::Duration::days(365));
        let permit = permit(Category::ConsentRequest, Channel::Email, &facts).unwrap();
        let m = queued(
            id,
            None,
            &permit,
            "zoe@example.fr",
            Locale::Fr,
            r,
            time::macros::datetime!(2026-11-29 10:00 UTC),
        );
        let eml =
            String::from_utf8(format(&m, "Candor <no-reply@candor.invalid>").unwrap()).unwrap();
        assert!(eml.contains(&format!("Message-ID: <{id}@candor>")), "{eml}");
        assert!(eml.contains("To: zoe@example.fr"));
        assert!(eml.contains("multipart/alternative"));
        assert!(
            !eml.contains("multipart/mixed"),
            "no attachment, no mixed part"
        );

        // A receipt travels as an attached file, byte for byte, beside both bodies.
        let mut m = m;
        let receipt = r#"{"payload":{"kind":"access"},"signature":"c2ln"}"#;
        m.attachment = Some(candor_store::MailAttachment {
            name: format!("receipt-{id}.json"),
            content: receipt.into(),
        });
        let eml =
            String::from_utf8(format(&m, "Candor <no-reply@candor.invalid>").unwrap()).unwrap();
        assert!(eml.contains("multipart/mixed") && eml.contains("multipart/alternative"));
        assert!(
            eml.contains("Content-Disposition: attachment;")
                && eml.contains(&format!("\"receipt-{id}.json\"")),
            "{eml}"
        );
        assert!(eml.contains("Content-Type: application/json"), "{eml}");
        assert!(eml.contains(receipt), "{eml}");
    }
}

/// Why a message did not go.
struct Failure {
    text: String,
    /// The server said no for good (5xx): trying again changes nothing.
    permanent: bool,
    /// …because of the address itself: no such mailbox, mailbox disabled.
    bad_mailbox: bool,
}

impl Failure {
    fn temporary(e: impl std::fmt::Display) -> Self {
        Self {
            text: e.to_string(),
            permanent: false,
            bad_mailbox: false,
        }
    }
}

/// Whether a permanent refusal is about the mailbox (RFC 3463 `5.1.x` bad destination,
/// `5.2.1` disabled; or a bare 550, 551 or 553 that names no policy), not about the
/// message or the sender (`5.7.x`: spam, policy), which says nothing of the address.
fn bad_mailbox(code: &str, text: &str) -> bool {
    if text.contains(" 5.7.") || text.contains("(5.7.") {
        return false;
    }
    text.contains(" 5.1.") || text.contains(" 5.2.1") || matches!(code, "550" | "551" | "553")
}

/// A delivery error as it may be kept and logged: a mail server's reply often repeats
/// the recipient's address, and may hold any byte. Addresses are cut, control
/// characters dropped (PostgreSQL cannot store NUL), and the text kept short.
pub fn scrub_delivery_error(e: &str) -> String {
    let words: Vec<String> = e
        .split_whitespace()
        .map(|w| {
            if w.contains('@') {
                "<address>".to_owned()
            } else {
                w.chars().filter(|c| !c.is_control()).collect()
            }
        })
        .collect();
    words.join(" ").chars().take(300).collect()
}

#[cfg(test)]
mod grammar_tests {
    use candor_domain::personal::Email;

    /// One address grammar (issue 13): every address the API accepts, the mailer takes;
    /// what the mailer could never send to, the API refuses.
    #[test]
    fn every_address_the_api_accepts_the_mailer_takes() {
        let candidates = [
            "jean.dupont@example.fr",
            "o'brien+news@example.ie",
            "a!#$%&'*+/=?^_`{|}~-z@example.org",
            "helene@café.fr",
            "ivan@пример.рф",
            "x@sub.domain.example.co.uk",
            "\"a,b>c\"@example.org",
            "\"quoted\"@example.org",
            "a@[127.0.0.1]",
            "jean@localhost",
            "<jean@example.org>",
            "Jean <jean@example.org>",
            "jean@example.org>",
            "jean,paul@example.org",
        ];
        for raw in candidates {
            if let Ok(e) = Email::parse("email", raw) {
                if let Err(err) = super::recipient(e.as_str()) {
                    panic!("{raw}: accepted by the API, refused by the mailer: {err}");
                }
            }
        }
        assert!(super::recipient("\"a,b>c\"@example.org").is_err());
        assert_eq!(
            super::recipient("helene@café.fr").unwrap().to_string(),
            "helene@xn--caf-dma.fr"
        );
    }
}

#[cfg(test)]
mod scrub_tests {
    use super::scrub_delivery_error;

    #[test]
    fn only_a_refusal_of_the_mailbox_marks_the_address() {
        use super::bad_mailbox;
        assert!(bad_mailbox(
            "550",
            "permanent error (550): 5.1.1 <x@example.org>: user unknown"
        ));
        assert!(bad_mailbox(
            "552",
            "permanent error (552): 5.2.1 mailbox disabled"
        ));
        assert!(bad_mailbox("550", "permanent error (550): no such user"));
        assert!(!bad_mailbox(
            "550",
            "permanent error (550): 5.7.1 message refused as spam"
        ));
        assert!(!bad_mailbox(
            "554",
            "permanent error (554): transaction failed"
        ));
    }

    #[test]
    fn a_delivery_error_keeps_no_address_and_no_control_character() {
        let e = scrub_delivery_error("550 5.1.1 <jeanne.roux@example.fr>: user unknown\u{0}\r\n");
        assert_eq!(e, "550 5.1.1 <address> user unknown");
        assert!(scrub_delivery_error(&"x".repeat(1000)).chars().count() == 300);
    }
}

/// Whether a consent request must not go because the person's last word on email is
/// "nothing from you" (C6): a global opt-out with no grant after it. A withdrawal
/// recorded after the message was queued — by phone, by a link, or by a later import
/// row of the same person — stops it; a confirmation the person asked for after opting
/// out (a pending grant newer than the opt-out) still goes. `states` holds the current
/// consent states of the round's consent-request recipients.
fn opted_out_since_queued(m: &QueuedMail, states: &HashMap<Uuid, Vec<ConsentState>>) -> bool {
    let Some(subject) = m.subject_id else {
        return false;
    };
    if m.category != Category::ConsentRequest.as_str() {
        return false;
    }
    let Some(states) = states.get(&subject) else {
        return false;
    };
    let Some(no) = states.iter().find(|s| {
        s.purpose == ALL_PURPOSES
            && s.channel == Channel::Email
            && matches!(s.status, Status::Withdrawn | Status::Refused)
    }) else {
        return false;
    };
    !states.iter().any(|s| {
        s.purpose != ALL_PURPOSES
            && s.channel == Channel::Email
            && matches!(s.status, Status::Pending | Status::Effective)
            && s.since > no.since
    })
}
