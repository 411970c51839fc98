//! The record of processing activities (S5, Art. 30), generated from the catalogue and
//! the settings each time it is asked for: it cannot drift from what Candor does.

use crate::{Actor, AppError, Candor};
use candor_domain::register::{self, Register};

impl Candor {
    /// The processing register as it stands now (dpo and admin).
    pub fn processing_register(&self, actor: &Actor) -> Result<Register, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "read the processing register",
            });
        }
        Ok(self.register_now())
    }

    /// The register, for the operator's command line.
    pub fn register_now(&self) -> Register {
        register::build(
            &self.catalogue(),
            &self.settings.organisation,
            &self.settings.dpo_contact,
            &self.settings.register,
        )
    }
}

/// The register as CSV in one language (`fr` or English), formula-like cells inert.
pub fn to_csv(r: &Register, fr: bool) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in register::rows(r, fr) {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| crate::export::csv_cell(&serde_json::Value::String(c)))
            .collect();
        w.write_record(&cells)
            .map_err(|e| AppError::Internal(format!("writing the register: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(format!("writing the register: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("writing the register: {e}")))
}
