//! CSV export of contacts (O3): the fields one role may read (S3), streamed page by
//! page so memory stays flat, each exported contact recorded in the audit (S4), and
//! cells that a spreadsheet would run as a formula neutralised.

use crate::contacts::view;
use crate::{Actor, AppError, Candor};
use candor_domain::audit::{AccessEvent, AuditAction};
use candor_domain::catalogue::Entity;
use candor_store::{ContactFilter, Page};
use serde_json::Value;
use std::io::Write;

const PAGE: u32 = 1000;

/// A cell as text, with a leading `'` when a spreadsheet would read it as a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return: the OWASP list). Candor's import strips it.
pub fn csv_cell(v: &Value) -> String {
    let s = match v {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// The cell of `key` in a contact view; custom fields sit under `custom`.
fn cell(v: &serde_json::Map<String, Value>, key: &str) -> String {
    let value = match key.strip_prefix("custom.") {
        Some(name) => v.get("custom").and_then(|m| m.get(name)),
        None => v.get(key),
    };
    value.map_or(String::new(), csv_cell)
}

impl Candor {
    /// Writes every contact as CSV with the columns `actor`'s role may read, and
    /// returns how many were written. `progress` gets the running count.
    pub async fn export_contacts(
        &self,
        actor: &Actor,
        out: impl Write,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, AppError> {
        let cat = self.catalogue();
        let columns: Vec<String> = std::iter::once("id".to_owned())
            .chain(
                cat.entity_fields(Entity::Contact)
                    .filter(|f| f.can_read(actor.role))
                    .map(|f| f.key()),
            )
            .collect();
        let mut w = csv::Writer::from_writer(out);
        let io = |e: csv::Error| AppError::Internal(format!("writing the export: {e}"));
        w.write_record(&columns).map_err(io)?;
        let mut after = None;
        let mut done = 0u64;
        loop {
            let found = self
                .store
                .contacts()
                .list(&ContactFilter::default(), Page { after, limit: PAGE })
                .await?;
            let mut events = Vec::with_capacity(found.len());
            let mut rows = Vec::with_capacity(found.len());
            for c in &found {
                let (v, shown) = view(&cat, actor.role, c);
                rows.push(columns.iter().map(|k| cell(&v, k)).collect::<Vec<String>>());
                events.push(AccessEvent {
                    subject_id: c.id,
                    actor: actor.audit_name.clone(),
                    action: AuditAction::Export,
                    fields: shown,
                    endpoint: "candor export contacts".into(),
                    at: self.now(),
                });
            }
            // The audit is committed before the page is written: whatever reaches the
            // file has been recorded.
            self.audit(events).await?;
            for row in rows {
                w.write_record(&row).map_err(io)?;
            }
            w.flush()
                .map_err(|e| AppError::Internal(format!("writing the export: {e}")))?;
            done += found.len() as u64;
            progress(done);
            if found.len() < PAGE as usize {
                break;
            }
            after = found.last().map(|c| c.id);
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;
    use serde_json::json;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        assert_eq!(csv_cell(&json!("=HYPERLINK(\"x\")")), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell(&json!("+33612345678")), "'+33612345678");
        assert_eq!(csv_cell(&json!("@SUM(A1)")), "'@SUM(A1)");
        assert_eq!(csv_cell(&json!("Dupont")), "Dupont");
        assert_eq!(csv_cell(&json!(0.25)), "0.25");
        assert_eq!(csv_cell(&json!(null)), "");
    }
}
