//! Published briefs, their revisions and their deliveries to webhooks.
//!
//! The invariant: one brief per slot (a Bangkok day), even with several praden processes on
//! one database. Revision 1 is inserted with `ON CONFLICT (slot, revision) DO NOTHING`: the
//! loser of a race inserts nothing and reads the winner's row, and only the winner creates
//! the delivery rows, so the brief is also sent once. Briefs are immutable (the migration's
//! triggers refuse updates); regenerating adds a revision. A delivery attempt is claimed by
//! a guarded update (status and due time), so two processes never send the same attempt.

use crate::{on_pool, BeginWrite, Store, StoreError};
use std::collections::HashMap;
use time::{Date, OffsetDateTime};

/// What produced a brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BriefTrigger {
    /// The schedule fired.
    Schedule,
    /// The slot passed while no praden was running; produced at the next start.
    CatchUp,
    /// `praden brief --date`.
    Manual,
}

impl BriefTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::CatchUp => "catch_up",
            Self::Manual => "manual",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Schedule, Self::CatchUp, Self::Manual]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// A brief about to be published.
#[derive(Debug, Clone)]
pub struct NewBrief {
    pub slot: Date,
    pub scheduled_for: OffsetDateTime,
    pub generated_at: OffsetDateTime,
    pub late: bool,
    pub trigger: BriefTrigger,
    /// The brief itself, as JSON (praden-brief's `Brief`).
    pub content: String,
    /// The LINE messages as sent.
    pub messages: Vec<String>,
    pub markdown: String,
    /// The webhooks to deliver it to (their configured names).
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredBrief {
    pub id: i64,
    pub slot: Date,
    pub revision: i64,
    pub scheduled_for: OffsetDateTime,
    pub generated_at: OffsetDateTime,
    pub late: bool,
    pub trigger: BriefTrigger,
    pub content: String,
    pub messages: Vec<String>,
    pub markdown: String,
}

/// One revision of a slot, for lists.
#[derive(Debug, Clone, PartialEq)]
pub struct BriefRevision {
    pub revision: i64,
    pub generated_at: OffsetDateTime,
    pub late: bool,
    pub trigger: BriefTrigger,
}

const LAST_DAY: Date = match Date::from_calendar_date(9999, time::Month::December, 31) {
    Ok(d) => d,
    Err(_) => panic!("9999-12-31 is a date"),
};

/// One day's briefs, for the list of briefs by day.
#[derive(Debug, Clone, PartialEq)]
pub struct BriefDay {
    pub slot: Date,
    /// Revisions of the day (1 is the scheduled brief).
    pub revisions: i64,
    /// When the day's first revision was generated.
    pub generated_at: OffsetDateTime,
    /// Whether the day's first revision came after its time (a catch-up).
    pub late: bool,
}

/// What publishing the slot's brief did.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub brief: StoredBrief,
    /// False when the slot already had its brief (another process, or an earlier run):
    /// `brief` is that one and nothing was written.
    pub created: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    /// An attempt is under way (until `next_attempt_at`, the sender's lease).
    Sending,
    Delivered,
    /// Gave up: out of attempts, or the receiver refused it for good.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn label_th(self) -> &'static str {
        match self {
            Self::Pending => "รอส่ง",
            Self::Sending => "กำลังส่ง",
            Self::Delivered => "ส่งแล้ว",
            Self::Failed => "ส่งไม่สำเร็จ",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BriefDelivery {
    pub id: i64,
    pub brief_id: i64,
    pub target: String,
    /// Attempts started so far.
    pub attempts: i64,
    pub status: DeliveryStatus,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    Delivered,
    /// Failed; try again at `at`.
    Retry {
        error: String,
        at: OffsetDateTime,
    },
    /// Failed for good.
    GaveUp {
        error: String,
    },
}

/// A document of a candidate's coverage, its body cut short.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageDocument {
    pub document_id: i64,
    pub title: String,
    /// The first characters of the body.
    pub body_start: String,
    pub outlet: String,
    pub url: Option<String>,
    pub kind: praden_core::SourceKind,
    pub published_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct CoverageRow {
    candidate_id: i64,
    id: i64,
    title: String,
    body: String,
    outlet: String,
    url: Option<String>,
    kind: String,
    published_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct BriefRow {
    id: i64,
    slot: Date,
    revision: i64,
    scheduled_for: OffsetDateTime,
    generated_at: OffsetDateTime,
    late: bool,
    trigger_kind: String,
    content: String,
    messages: String,
    markdown: String,
}

const SELECT_BRIEF: &str = "SELECT id, slot, revision, scheduled_for, generated_at, late, \
    trigger_kind, content, messages, markdown FROM briefs";

impl BriefRow {
    fn into_brief(self) -> Result<StoredBrief, StoreError> {
        let corrupt = |reason: String| StoreError::CorruptRow {
            table: "briefs",
            id: self.id,
            reason,
        };
        let trigger = BriefTrigger::parse(&self.trigger_kind)
            .ok_or_else(|| corrupt(format!("trigger_kind {:?}", self.trigger_kind)))?;
        let messages: Vec<String> =
            serde_json::from_str(&self.messages).map_err(|e| corrupt(e.to_string()))?;
        Ok(StoredBrief {
            id: self.id,
            slot: self.slot,
            revision: self.revision,
            scheduled_for: self.scheduled_for,
            generated_at: self.generated_at,
            late: self.late,
            trigger,
            content: self.content,
            messages,
            markdown: self.markdown,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    brief_id: i64,
    target: String,
    attempts: i64,
    status: String,
    last_error: Option<String>,
    next_attempt_at: Option<OffsetDateTime>,
    delivered_at: Option<OffsetDateTime>,
}

const DELIVERY_COLUMNS: &str =
    "id, brief_id, target, attempts, status, last_error, next_attempt_at, delivered_at";

impl DeliveryRow {
    fn into_delivery(self) -> Result<BriefDelivery, StoreError> {
        let status = DeliveryStatus::parse(&self.status).ok_or_else(|| StoreError::CorruptRow {
            table: "brief_deliveries",
            id: self.id,
            reason: format!("status {:?}", self.status),
        })?;
        Ok(BriefDelivery {
            id: self.id,
            brief_id: self.brief_id,
            target: self.target,
            attempts: self.attempts,
            status,
            last_error: self.last_error,
            next_attempt_at: self.next_attempt_at,
            delivered_at: self.delivered_at,
        })
    }
}

/// Whole seconds in UTC: SQLite compares times as RFC 3339 text, which orders correctly only
/// in one offset and with the same number of fraction digits.
fn whole_utc(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

const INSERT_BRIEF_VALUES: &str = "INSERT INTO briefs (slot, revision, scheduled_for, \
    generated_at, late, trigger_kind, content, messages, markdown) \
    VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8) \
    ON CONFLICT (slot, revision) DO NOTHING RETURNING id";

/// The next revision of a slot. The aggregate always yields one row; two concurrent
/// regenerations may compute the same number, and the loser retries.
const INSERT_BRIEF_NEXT: &str = "INSERT INTO briefs (slot, revision, scheduled_for, \
    generated_at, late, trigger_kind, content, messages, markdown) \
    SELECT $1, COALESCE(MAX(revision), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM briefs \
    WHERE slot = $1 \
    ON CONFLICT (slot, revision) DO NOTHING RETURNING id";

macro_rules! bind_new_brief {
    ($sql:expr, $b:expr, $messages:expr) => {
        sqlx::query_scalar::<_, i64>($sql)
            .bind($b.slot)
            .bind(whole_utc($b.scheduled_for))
            .bind(whole_utc($b.generated_at))
            .bind($b.late)
            .bind($b.trigger.as_str())
            .bind(&$b.content)
            .bind($messages)
            .bind(&$b.markdown)
    };
}

macro_rules! insert_deliveries {
    ($tx:expr, $brief_id:expr, $b:expr) => {
        for target in &$b.targets {
            sqlx::query(
                "INSERT INTO brief_deliveries (brief_id, target, attempts, status, next_attempt_at) \
                 VALUES ($1, $2, 0, 'pending', $3) ON CONFLICT (brief_id, target) DO NOTHING",
            )
            .bind($brief_id)
            .bind(target)
            .bind(whole_utc($b.generated_at))
            .execute(&mut *$tx)
            .await?;
        }
    };
}

impl Store {
    /// Publishes the slot's brief (revision 1) with a pending delivery per target, unless
    /// the slot already has one: then nothing is written and the existing brief is returned.
    /// Safe to call from any number of processes at once; exactly one creates the brief.
    pub async fn publish_brief(&self, b: &NewBrief) -> Result<Published, StoreError> {
        let messages = serde_json::to_string(&b.messages).expect("strings serialise");
        let created = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: Option<i64> = bind_new_brief!(INSERT_BRIEF_VALUES, b, &messages)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(id) = id {
                insert_deliveries!(tx, id, b);
            }
            tx.commit().await?;
            id.is_some()
        });
        let brief = self.brief(b.slot, Some(1)).await?.ok_or_else(|| {
            StoreError::Sql(sqlx::Error::Protocol(format!(
                "the brief of {} vanished right after it was published",
                b.slot
            )))
        })?;
        Ok(Published { brief, created })
    }

    /// Adds the next revision of the slot (revision 1 if it has none), with its deliveries.
    /// Earlier revisions stay as they are.
    pub async fn add_brief_revision(&self, b: &NewBrief) -> Result<StoredBrief, StoreError> {
        let messages = serde_json::to_string(&b.messages).expect("strings serialise");
        // Two regenerations racing for the same number: the loser inserts nothing and tries
        // the next one. Bounded so a broken database cannot loop forever.
        for _ in 0..8 {
            let id = on_pool!(self, p => {
                let mut tx = p.begin_write().await?;
                let id: Option<i64> = bind_new_brief!(INSERT_BRIEF_NEXT, b, &messages)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(id) = id {
                    insert_deliveries!(tx, id, b);
                }
                tx.commit().await?;
                id
            });
            if let Some(id) = id {
                let sql = format!("{SELECT_BRIEF} WHERE id = $1");
                let row: BriefRow =
                    on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_one(p).await?);
                return row.into_brief();
            }
        }
        Err(StoreError::Sql(sqlx::Error::Protocol(format!(
            "could not add a revision of the brief of {}: every attempt lost a race",
            b.slot
        ))))
    }

    /// The slot's brief at `revision`, or its latest revision when `revision` is `None`.
    pub async fn brief(
        &self,
        slot: Date,
        revision: Option<i64>,
    ) -> Result<Option<StoredBrief>, StoreError> {
        let row: Option<BriefRow> = match revision {
            Some(r) => {
                let sql = format!("{SELECT_BRIEF} WHERE slot = $1 AND revision = $2");
                on_pool!(self, p => sqlx::query_as(&sql).bind(slot).bind(r).fetch_optional(p).await?)
            }
            None => {
                let sql = format!("{SELECT_BRIEF} WHERE slot = $1 ORDER BY revision DESC LIMIT 1");
                on_pool!(self, p => sqlx::query_as(&sql).bind(slot).fetch_optional(p).await?)
            }
        };
        row.map(BriefRow::into_brief).transpose()
    }

    /// When the brief scheduler first ran on this database: records `now` unless a first
    /// start is recorded already, and returns the recorded one. The catch-up at start goes
    /// back no further than this, so a fresh install publishes nothing before its first slot.
    /// Any number of processes may call it at once; they all read the same first start.
    pub async fn brief_schedule_origin(
        &self,
        now: OffsetDateTime,
    ) -> Result<OffsetDateTime, StoreError> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO brief_schedule_origin (id, started_at) VALUES (1, $1) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(whole_utc(now))
            .execute(p)
            .await
            .map(|_| ())?
        });
        self.brief_schedule_first_start().await?.ok_or_else(|| {
            StoreError::Sql(sqlx::Error::Protocol(
                "the brief scheduler's first start vanished right after it was recorded".into(),
            ))
        })
    }

    /// The brief scheduler's first start on this database, if one has run; reads only.
    pub async fn brief_schedule_first_start(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let started = on_pool!(self, p => {
            sqlx::query_scalar::<_, OffsetDateTime>(
                "SELECT started_at FROM brief_schedule_origin WHERE id = 1",
            )
            .fetch_optional(p)
            .await?
        });
        Ok(started)
    }

    pub async fn brief_by_id(&self, id: i64) -> Result<Option<StoredBrief>, StoreError> {
        let sql = format!("{SELECT_BRIEF} WHERE id = $1");
        let row: Option<BriefRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(BriefRow::into_brief).transpose()
    }

    /// Every revision of the slot, first first.
    pub async fn brief_revisions(&self, slot: Date) -> Result<Vec<BriefRevision>, StoreError> {
        let rows: Vec<(i64, OffsetDateTime, bool, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT revision, generated_at, late, trigger_kind FROM briefs WHERE slot = $1 \
             ORDER BY revision")
            .bind(slot)
            .fetch_all(p)
            .await?);
        rows.into_iter()
            .map(|(revision, generated_at, late, trigger)| {
                Ok(BriefRevision {
                    revision,
                    generated_at,
                    late,
                    trigger: BriefTrigger::parse(&trigger).ok_or_else(|| {
                        StoreError::CorruptRow {
                            table: "briefs",
                            id: revision,
                            reason: format!("trigger_kind {trigger:?}"),
                        }
                    })?,
                })
            })
            .collect()
    }

    /// The days that have briefs, newest first: at most `limit` of them before `before`
    /// (all days when `None`).
    pub async fn brief_days(
        &self,
        before: Option<Date>,
        limit: i64,
    ) -> Result<Vec<BriefDay>, StoreError> {
        // Revision 1 is the day's brief; later revisions only add to its count.
        let rows: Vec<(Date, i64, OffsetDateTime, bool)> = on_pool!(self, p => sqlx::query_as(
            "SELECT b.slot, (SELECT COUNT(*) FROM briefs r WHERE r.slot = b.slot), \
             b.generated_at, b.late FROM briefs b WHERE b.revision = 1 AND b.slot < $1 \
             ORDER BY b.slot DESC LIMIT $2")
            // Not `Date::MAX`: with time's large dates it is +999999-12-31, which SQLite's
            // text order puts before every real day.
            .bind(before.unwrap_or(LAST_DAY))
            .bind(limit)
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .map(|(slot, revisions, generated_at, late)| BriefDay {
                slot,
                revisions,
                generated_at,
                late,
            })
            .collect())
    }

    /// The first revision of the latest slot before `slot`: where the next brief's window
    /// starts.
    pub async fn brief_before(&self, slot: Date) -> Result<Option<StoredBrief>, StoreError> {
        let sql =
            format!("{SELECT_BRIEF} WHERE slot < $1 AND revision = 1 ORDER BY slot DESC LIMIT 1");
        let row: Option<BriefRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(slot).fetch_optional(p).await?);
        row.map(BriefRow::into_brief).transpose()
    }

    /// The deliveries of one brief revision, by target name.
    pub async fn brief_deliveries(&self, brief_id: i64) -> Result<Vec<BriefDelivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM brief_deliveries WHERE brief_id = $1 ORDER BY target"
        );
        let rows: Vec<DeliveryRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(brief_id).fetch_all(p).await?);
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }

    /// Claims the delivery that is most overdue at `now` (pending, or sending with its lease
    /// run out), counts the attempt and leases it until `lease_until`. `None` when nothing
    /// is due. Of two processes claiming at once, one gets it.
    pub async fn claim_due_delivery(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<BriefDelivery>, StoreError> {
        let sql = format!(
            "UPDATE brief_deliveries SET status = 'sending', attempts = attempts + 1, \
             next_attempt_at = $2 \
             WHERE id = (SELECT id FROM brief_deliveries WHERE status IN ('pending', 'sending') \
                         AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT 1) \
             AND status IN ('pending', 'sending') AND next_attempt_at <= $1 \
             RETURNING {DELIVERY_COLUMNS}"
        );
        let row: Option<DeliveryRow> = on_pool!(self, p => sqlx::query_as(&sql)
            .bind(whole_utc(now))
            .bind(whole_utc(lease_until))
            .fetch_optional(p)
            .await?);
        row.map(DeliveryRow::into_delivery).transpose()
    }

    /// Records how the attempt claimed as `claimed` ended. Returns false (and writes nothing)
    /// if the claim was lost meanwhile: its lease ran out and another process took over.
    pub async fn finish_delivery_attempt(
        &self,
        claimed: &BriefDelivery,
        result: &AttemptResult,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let guard = "WHERE id = $1 AND status = 'sending' AND attempts = $2";
        let done = match result {
            AttemptResult::Delivered => {
                let sql = format!(
                    "UPDATE brief_deliveries SET status = 'delivered', delivered_at = $3, \
                     next_attempt_at = NULL {guard}"
                );
                on_pool!(self, p => sqlx::query(&sql)
                    .bind(claimed.id)
                    .bind(claimed.attempts)
                    .bind(whole_utc(now))
                    .execute(p)
                    .await?
                    .rows_affected())
            }
            AttemptResult::Retry { error, at } => {
                let sql = format!(
                    "UPDATE brief_deliveries SET status = 'pending', last_error = $3, \
                     next_attempt_at = $4 {guard}"
                );
                on_pool!(self, p => sqlx::query(&sql)
                    .bind(claimed.id)
                    .bind(claimed.attempts)
                    .bind(error)
                    .bind(whole_utc(*at))
                    .execute(p)
                    .await?
                    .rows_affected())
            }
            AttemptResult::GaveUp { error } => {
                let sql = format!(
                    "UPDATE brief_deliveries SET status = 'failed', last_error = $3, \
                     next_attempt_at = NULL {guard}"
                );
                on_pool!(self, p => sqlx::query(&sql)
                    .bind(claimed.id)
                    .bind(claimed.attempts)
                    .bind(error)
                    .execute(p)
                    .await?
                    .rows_affected())
            }
        };
        Ok(done == 1)
    }

    /// When the next delivery attempt is due (pending, or a sending lease running out).
    pub async fn next_delivery_due(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let t: Option<OffsetDateTime> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT next_attempt_at FROM brief_deliveries WHERE status IN ('pending', 'sending') \
             ORDER BY next_attempt_at LIMIT 1")
            .fetch_optional(p)
            .await?)
        .flatten();
        Ok(t)
    }

    /// The first `per_candidate` documents of each candidate (oldest first, as
    /// `candidate_documents` orders them) with the first `body_chars` characters of their
    /// bodies: what a brief item's summary and links are drawn from. One query per 500
    /// candidates, whatever their size.
    pub async fn candidate_coverage(
        &self,
        candidate_ids: &[i64],
        per_candidate: i64,
        body_chars: i64,
    ) -> Result<HashMap<i64, Vec<CoverageDocument>>, StoreError> {
        let mut out: HashMap<i64, Vec<CoverageDocument>> = HashMap::new();
        for chunk in candidate_ids.chunks(500) {
            let list = (3..chunk.len() + 3)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT r.candidate_id, d.id, d.title, SUBSTR(d.body, 1, $1) AS body, d.outlet, \
                 d.url, d.kind, d.published_at FROM ( \
                   SELECT cd.candidate_id, cd.document_id, \
                   ROW_NUMBER() OVER (PARTITION BY cd.candidate_id \
                     ORDER BY COALESCE(d.published_at, d.fetched_at), d.id) AS n \
                   FROM candidate_documents cd JOIN documents d ON d.id = cd.document_id \
                   WHERE cd.candidate_id IN ({list})) r \
                 JOIN documents d ON d.id = r.document_id \
                 WHERE r.n <= $2 ORDER BY r.candidate_id, r.n"
            );
            let rows: Vec<CoverageRow> = on_pool!(self, p => {
                let mut q = sqlx::query_as::<_, CoverageRow>(&sql)
                    // PostgreSQL's SUBSTR takes an integer, not a bigint.
                    .bind(i32::try_from(body_chars.max(0)).unwrap_or(i32::MAX))
                    .bind(per_candidate.max(0));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            for r in rows {
                let kind = r
                    .kind
                    .parse()
                    .map_err(|e: praden_core::UnknownSourceKind| StoreError::CorruptRow {
                        table: "documents",
                        id: r.id,
                        reason: e.to_string(),
                    })?;
                out.entry(r.candidate_id)
                    .or_default()
                    .push(CoverageDocument {
                        document_id: r.id,
                        title: r.title,
                        body_start: r.body,
                        outlet: r.outlet,
                        url: r.url,
                        kind,
                        published_at: r.published_at,
                    });
            }
        }
        Ok(out)
    }

    /// How many candidates are pending at `now` (a snooze that ran out counts).
    pub async fn pending_candidate_count(&self, now: OffsetDateTime) -> Result<i64, StoreError> {
        let now = now.to_offset(time::UtcOffset::UTC);
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM candidates WHERE status = 'pending' \
             OR (status = 'snoozed' AND snoozed_until <= $1)")
            .bind(now)
            .fetch_one(p)
            .await?);
        Ok(n)
    }

    /// For each candidate: the likes, shares and comments of its social posts at their latest
    /// observation. Candidates without observed posts are absent.
    pub async fn candidate_social_engagement(
        &self,
        candidate_ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in candidate_ids.chunks(500) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT cd.candidate_id, CAST(SUM(COALESCE(e.likes, 0) + COALESCE(e.shares, 0) \
                 + COALESCE(e.comments, 0)) AS BIGINT) \
                 FROM candidate_documents cd JOIN engagement e ON e.document_id = cd.document_id \
                 WHERE cd.candidate_id IN ({list}) AND e.observed_at = \
                   (SELECT MAX(x.observed_at) FROM engagement x WHERE x.document_id = e.document_id) \
                 GROUP BY cd.candidate_id"
            );
            let rows: Vec<(i64, i64)> = on_pool!(self, p => {
                let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }
}
