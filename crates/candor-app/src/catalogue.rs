//! Custom fields: the organisation's own fields, under the same rules as built-in ones.

use crate::{Actor, AppError, Candor};
use candor_domain::catalogue::FieldDef;
use std::sync::Arc;

impl Candor {
    /// Adds a custom field (admin and dpo only) after the catalogue's checks (S1, S2).
    pub async fn add_custom_field(
        &self,
        actor: &Actor,
        def: FieldDef,
    ) -> Result<FieldDef, AppError> {
        if !actor.role.governs_data() {
            return Err(AppError::RoleForbidden {
                role: actor.role,
                what: "change the field catalogue",
            });
        }
        if def.custom.is_none() {
            return Err(AppError::field(
                "custom",
                "required",
                "a custom field needs a value type",
            ));
        }
        if def.system {
            return Err(AppError::field(
                "system",
                "custom_not_system",
                "a custom field cannot be a system field",
            ));
        }
        // S2: a field whose name or label says it holds special-category data (blood
        // group, religion…) is one, whatever category it claims; only a medical
        // organisation's catalogue declares such fields, as special categories.
        let medical = self.catalogue().is_medical()
            && def.category == candor_domain::catalogue::DataCategory::SpecialCategory;
        if !medical {
            let name = def.name.replace(['_', '-'], " ");
            for (field, text) in [
                ("name", name.as_str()),
                ("label.fr", def.label.fr.as_str()),
                ("label.en", def.label.en.as_str()),
            ] {
                self.lexicon
                    .refuse_special_categories(field, text)
                    .map_err(AppError::invalid)?;
            }
        }
        // Check against a copy first: nothing is stored when the field is refused.
        let mut next = (*self.catalogue()).clone();
        next.add(def.clone()).map_err(AppError::invalid)?;
        self.store
            .catalogue()
            .insert_field(&def, self.now(), &actor.audit_name)
            .await?;
        let mut guard = self.catalogue.write().expect("catalogue lock");
        let mut current = (**guard).clone();
        current.add(def.clone()).map_err(AppError::invalid)?;
        *guard = Arc::new(current);
        Ok(def)
    }
}
