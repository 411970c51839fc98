use super::rows::{self, COMPANY_COLUMNS};
use super::{unique_field, SqliteStore};
use crate::error::{Result, StoreError};
use crate::model::Page;
use candor_domain::company::Company;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

const INSERT: &str = "INSERT INTO company (id, name, siret, country, address_line, postal_code, \
    city, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const UPDATE: &str = "UPDATE company SET name = ?2, siret = ?3, country = ?4, address_line = ?5, \
    postal_code = ?6, city = ?7, created_at = ?8, updated_at = ?9 WHERE id = ?1";

impl SqliteStore {
    pub async fn insert_company(&self, c: &Company) -> Result<()> {
        self.write_company(INSERT, c).await
    }

    pub async fn update_company(&self, c: &Company) -> Result<()> {
        self.write_company(UPDATE, c).await
    }

    async fn write_company(&self, sql: &str, c: &Company) -> Result<()> {
        let res = sqlx::query(sql)
            .bind(c.id.to_string())
            .bind(c.name.as_str())
            .bind(c.siret.as_ref().map(|s| s.as_str()))
            .bind(c.country.as_str())
            .bind(c.address_line.as_ref().map(|s| s.as_str()))
            .bind(c.postal_code.as_ref().map(|s| s.as_str()))
            .bind(c.city.as_ref().map(|s| s.as_str()))
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(&self.writer)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => match unique_field(&e) {
                Some("siret") => {
                    let existing = match &c.siret {
                        Some(s) => self.company_id_by_siret(s.as_str()).await?,
                        None => None,
                    };
                    Err(StoreError::Duplicate {
                        field: "siret",
                        existing,
                    })
                }
                _ => Err(e.into()),
            },
        }
    }

    async fn company_id_by_siret(&self, siret: &str) -> Result<Option<Uuid>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM company WHERE siret = ?1")
            .bind(siret)
            .fetch_optional(&self.reader)
            .await?;
        id.map(|s| Uuid::parse_str(&s).map_err(|_| rows::corrupt("id")))
            .transpose()
    }

    pub async fn get_company(&self, id: Uuid) -> Result<Option<Company>> {
        let sql = format!("SELECT {COMPANY_COLUMNS} FROM company WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(rows::company).transpose()
    }

    /// Deletes a company that no contact belongs to; false when there was none.
    pub async fn delete_company(&self, id: Uuid) -> Result<bool> {
        let res = sqlx::query("DELETE FROM company WHERE id = ?1")
            .bind(id.to_string())
            .execute(&self.writer)
            .await;
        match res {
            Ok(r) => Ok(r.rows_affected() > 0),
            Err(e) if super::is_foreign_key_violation(&e) => {
                Err(StoreError::StillReferenced { by: "contact" })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One page of companies in id order; `name` filters by a case-insensitive prefix.
    pub async fn list_companies(&self, name: Option<&str>, page: Page) -> Result<Vec<Company>> {
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new(format!("SELECT {COMPANY_COLUMNS} FROM company WHERE 1 = 1"));
        if let Some(n) = name {
            let pattern = format!("{}%", n.replace(['%', '_', '\\'], ""));
            q.push(" AND name LIKE ").push_bind(pattern);
        }
        if let Some(a) = page.after {
            q.push(" AND id > ").push_bind(a.to_string());
        }
        q.push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(page.limit));
        let found = q.build().fetch_all(&self.reader).await?;
        found.iter().map(rows::company).collect()
    }
}
