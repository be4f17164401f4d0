//! The agency directory: each registry agency's contacts (name, position, e-mail, LINE id),
//! who receive its issues and reminders. Admins keep it (page, CSV import, CLI); every change
//! commits with its audit record.

use crate::audit::{bind_audit, AuditEntry};
use crate::review::DecisionContext;
use crate::{on_pool, BeginWrite, Store, StoreError};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

/// A contact as the directory lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyContact {
    pub id: i64,
    /// The agency, as the registry names it in Thai.
    pub agency: String,
    pub name: String,
    pub position: String,
    pub email: Option<String>,
    pub line_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A contact to add, or to update (same agency and name).
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub agency: String,
    pub name: String,
    pub position: String,
    pub email: Option<String>,
    pub line_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    agency: String,
    name: String,
    position: String,
    email: Option<String>,
    line_id: Option<String>,
    updated_at: OffsetDateTime,
}

impl From<ContactRow> for AgencyContact {
    fn from(r: ContactRow) -> Self {
        Self {
            id: r.id,
            agency: r.agency,
            name: r.name,
            position: r.position,
            email: r.email,
            line_id: r.line_id,
            updated_at: r.updated_at,
        }
    }
}

/// How many contacts a save added and how many it updated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContactsSaved {
    pub added: usize,
    pub updated: usize,
}

fn contact_json(c: &NewContact) -> serde_json::Value {
    json!({
        "agency": c.agency,
        "name": c.name,
        "position": c.position,
        "email": c.email,
        "line_id": c.line_id,
    })
}

impl Store {
    /// The directory, by agency then name; only `agency`'s contacts when given.
    pub async fn agency_contacts(
        &self,
        agency: Option<&str>,
    ) -> Result<Vec<AgencyContact>, StoreError> {
        let rows: Vec<ContactRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, agency, name, position, email, line_id, updated_at FROM agency_contacts \
             WHERE $1 = '' OR agency = $1 ORDER BY agency, name",
        )
        .bind(agency.unwrap_or(""))
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(AgencyContact::from).collect())
    }

    /// Adds `contacts`, or updates those already listed under the same agency and name, in one
    /// transaction with one audit record each. The caller has checked them.
    pub async fn save_agency_contacts(
        &self,
        contacts: &[NewContact],
        ctx: &DecisionContext,
    ) -> Result<ContactsSaved, StoreError> {
        let now = ctx.now.to_offset(time::UtcOffset::UTC);
        let mut saved = ContactsSaved::default();
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for c in contacts {
                let before: Option<ContactRow> = sqlx::query_as(
                    "SELECT id, agency, name, position, email, line_id, updated_at \
                     FROM agency_contacts WHERE agency = $1 AND name = $2",
                )
                .bind(&c.agency)
                .bind(&c.name)
                .fetch_optional(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO agency_contacts (agency, name, position, email, line_id, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                     ON CONFLICT (agency, name) DO UPDATE SET position = excluded.position, \
                     email = excluded.email, line_id = excluded.line_id, \
                     updated_at = excluded.updated_at",
                )
                .bind(&c.agency)
                .bind(&c.name)
                .bind(&c.position)
                .bind(&c.email)
                .bind(&c.line_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let before = before.map(|r| {
                    contact_json(&NewContact {
                        agency: r.agency,
                        name: r.name,
                        position: r.position,
                        email: r.email,
                        line_id: r.line_id,
                    })
                });
                if before.is_some() {
                    saved.updated += 1;
                } else {
                    saved.added += 1;
                }
                let entry: AuditEntry = ctx.audit(
                    "contact.save",
                    "agency",
                    &c.agency,
                    before,
                    Some(contact_json(c)),
                );
                bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(saved)
    }

    /// Removes contact `id`; false if there was none.
    pub async fn remove_agency_contact(
        &self,
        id: i64,
        ctx: &DecisionContext,
    ) -> Result<bool, StoreError> {
        let now = ctx.now.to_offset(time::UtcOffset::UTC);
        let removed = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<ContactRow> = sqlx::query_as(
                "SELECT id, agency, name, position, email, line_id, updated_at \
                 FROM agency_contacts WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { return Ok(false) };
            sqlx::query("DELETE FROM agency_contacts WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let before = contact_json(&NewContact {
                agency: row.agency.clone(),
                name: row.name,
                position: row.position,
                email: row.email,
                line_id: row.line_id,
            });
            let entry = ctx.audit("contact.remove", "agency", &row.agency, Some(before), None);
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            true
        });
        Ok(removed)
    }
}
