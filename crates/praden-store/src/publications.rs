//! Published briefs (09:30, ID-Chat), assignment messages (10:30, IA-Chat) and the agencies'
//! daily reminders: their revisions and their deliveries. Both work the same way, each in its own tables, chosen by
//! [`PublicationKind`]; [`Store::briefs`], [`Store::assignments`] and [`Store::reminders`]
//! give their operations.
//!
//! The invariant: one publication per slot (a Bangkok day) and kind, even with several praden
//! processes on one database. Revision 1 is inserted with `ON CONFLICT (slot, revision) DO
//! NOTHING`: the loser of a race inserts nothing and reads the winner's row, and only the
//! winner creates the delivery rows, so it is also sent once. Publications are immutable (the
//! migrations' triggers refuse updates); regenerating adds a revision. A delivery attempt is
//! claimed by a guarded update (status and due time), so two processes never send the same
//! attempt.

use crate::{on_pool, BeginWrite, Store, StoreError};
use time::{Date, OffsetDateTime};

/// What produced a publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationTrigger {
    /// The schedule fired.
    Schedule,
    /// The slot passed while no praden was running; produced at the next start.
    CatchUp,
    /// By hand: `praden brief --date`, `praden assignment --date`.
    Manual,
}

impl PublicationTrigger {
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

/// A brief or assignment message about to be published.
#[derive(Debug, Clone)]
pub struct NewPublication {
    pub slot: Date,
    pub scheduled_for: OffsetDateTime,
    pub generated_at: OffsetDateTime,
    pub late: bool,
    pub trigger: PublicationTrigger,
    /// The publication itself, as JSON (praden-brief's `Brief`, or the assignment's lines).
    pub content: String,
    /// The LINE messages as sent.
    pub messages: Vec<String>,
    pub markdown: String,
    /// Where to deliver it: configured webhooks by name, and for assignment messages the
    /// agencies' contacts (`mail:…`, `line:…`).
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredPublication {
    pub id: i64,
    pub slot: Date,
    pub revision: i64,
    pub scheduled_for: OffsetDateTime,
    pub generated_at: OffsetDateTime,
    pub late: bool,
    pub trigger: PublicationTrigger,
    pub content: String,
    pub messages: Vec<String>,
    pub markdown: String,
}

/// One revision of a slot, for lists.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicationRevision {
    pub revision: i64,
    pub generated_at: OffsetDateTime,
    pub late: bool,
    pub trigger: PublicationTrigger,
}

/// Which publication: the 09:30 brief, the 10:30 assignment message or the day's reminders to
/// the agencies. Each has its own tables of the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationKind {
    Brief,
    Assignment,
    Reminder,
}

impl PublicationKind {
    fn table(self) -> &'static str {
        match self {
            Self::Brief => "briefs",
            Self::Assignment => "assignments",
            Self::Reminder => "reminders",
        }
    }

    fn deliveries(self) -> &'static str {
        match self {
            Self::Brief => "brief_deliveries",
            Self::Assignment => "assignment_deliveries",
            Self::Reminder => "reminder_deliveries",
        }
    }

    /// The deliveries' column naming the publication.
    fn delivery_fk(self) -> &'static str {
        match self {
            Self::Brief => "brief_id",
            Self::Assignment | Self::Reminder => "publication_id",
        }
    }

    fn origin(self) -> &'static str {
        match self {
            Self::Brief => "brief_schedule_origin",
            Self::Assignment => "assignment_schedule_origin",
            Self::Reminder => "reminder_schedule_origin",
        }
    }

    /// For messages: "brief", "assignment message", "reminder round".
    pub fn noun(self) -> &'static str {
        match self {
            Self::Brief => "brief",
            Self::Assignment => "assignment message",
            Self::Reminder => "reminder round",
        }
    }
}

/// The operations on one kind of publication: `store.briefs()` or `store.assignments()`.
#[derive(Clone, Copy)]
pub struct Publications<'a> {
    store: &'a Store,
    kind: PublicationKind,
}

impl Store {
    pub fn publications(&self, kind: PublicationKind) -> Publications<'_> {
        Publications { store: self, kind }
    }

    pub fn briefs(&self) -> Publications<'_> {
        self.publications(PublicationKind::Brief)
    }

    pub fn assignments(&self) -> Publications<'_> {
        self.publications(PublicationKind::Assignment)
    }

    pub fn reminders(&self) -> Publications<'_> {
        self.publications(PublicationKind::Reminder)
    }
}

const LAST_DAY: Date = match Date::from_calendar_date(9999, time::Month::December, 31) {
    Ok(d) => d,
    Err(_) => panic!("9999-12-31 is a date"),
};

/// One day's publications, for the list by day.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicationDay {
    pub slot: Date,
    /// Revisions of the day (1 is the scheduled one).
    pub revisions: i64,
    /// When the day's first revision was generated.
    pub generated_at: OffsetDateTime,
    /// Whether the day's first revision came after its time (a catch-up).
    pub late: bool,
}

/// What publishing the slot's brief or assignment message did.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub publication: StoredPublication,
    /// False when the slot already had one (another process, or an earlier run):
    /// `publication` is that one and nothing was written.
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
pub struct Delivery {
    pub id: i64,
    /// The brief or assignment message it delivers.
    pub publication_id: i64,
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

#[derive(sqlx::FromRow)]
struct PublicationRow {
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

const PUBLICATION_COLUMNS: &str = "id, slot, revision, scheduled_for, generated_at, late, \
    trigger_kind, content, messages, markdown";

impl PublicationRow {
    fn into_publication(self, table: &'static str) -> Result<StoredPublication, StoreError> {
        let corrupt = |reason: String| StoreError::CorruptRow {
            table,
            id: self.id,
            reason,
        };
        let trigger = PublicationTrigger::parse(&self.trigger_kind)
            .ok_or_else(|| corrupt(format!("trigger_kind {:?}", self.trigger_kind)))?;
        let messages: Vec<String> =
            serde_json::from_str(&self.messages).map_err(|e| corrupt(e.to_string()))?;
        Ok(StoredPublication {
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
    publication_id: i64,
    target: String,
    attempts: i64,
    status: String,
    last_error: Option<String>,
    next_attempt_at: Option<OffsetDateTime>,
    delivered_at: Option<OffsetDateTime>,
}

impl DeliveryRow {
    fn into_delivery(self, table: &'static str) -> Result<Delivery, StoreError> {
        let status = DeliveryStatus::parse(&self.status).ok_or_else(|| StoreError::CorruptRow {
            table,
            id: self.id,
            reason: format!("status {:?}", self.status),
        })?;
        Ok(Delivery {
            id: self.id,
            publication_id: self.publication_id,
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

macro_rules! bind_new {
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
    ($tx:expr, $sql:expr, $id:expr, $b:expr) => {
        for target in &$b.targets {
            sqlx::query($sql)
                .bind($id)
                .bind(target)
                .bind(whole_utc($b.generated_at))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

impl Publications<'_> {
    pub fn kind(&self) -> PublicationKind {
        self.kind
    }

    fn select(&self) -> String {
        format!("SELECT {PUBLICATION_COLUMNS} FROM {}", self.kind.table())
    }

    fn delivery_columns(&self) -> String {
        format!(
            "id, {} AS publication_id, target, attempts, status, last_error, next_attempt_at, \
             delivered_at",
            self.kind.delivery_fk()
        )
    }

    fn row(&self, row: PublicationRow) -> Result<StoredPublication, StoreError> {
        row.into_publication(self.kind.table())
    }

    fn delivery(&self, row: DeliveryRow) -> Result<Delivery, StoreError> {
        row.into_delivery(self.kind.deliveries())
    }

    /// `INSERT INTO <table> … ON CONFLICT DO NOTHING RETURNING id`: revision 1 when `next` is
    /// false, else the slot's next revision. The aggregate always yields one row; two
    /// concurrent regenerations may compute the same number, and the loser retries.
    fn insert_sql(&self, next: bool) -> String {
        let t = self.kind.table();
        let columns = "slot, revision, scheduled_for, generated_at, late, trigger_kind, content, \
                       messages, markdown";
        let values = if next {
            format!(
                "SELECT $1, COALESCE(MAX(revision), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM {t} \
                 WHERE slot = $1"
            )
        } else {
            "VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8)".to_string()
        };
        format!(
            "INSERT INTO {t} ({columns}) {values} ON CONFLICT (slot, revision) DO NOTHING \
             RETURNING id"
        )
    }

    fn insert_delivery_sql(&self) -> String {
        let fk = self.kind.delivery_fk();
        format!(
            "INSERT INTO {} ({fk}, target, attempts, status, next_attempt_at) \
             VALUES ($1, $2, 0, 'pending', $3) ON CONFLICT ({fk}, target) DO NOTHING",
            self.kind.deliveries()
        )
    }

    /// Publishes the slot's revision 1 with a pending delivery per target, unless the slot
    /// already has one: then nothing is written and the existing one is returned. Safe to
    /// call from any number of processes at once; exactly one creates it.
    pub async fn publish(self, b: &NewPublication) -> Result<Published, StoreError> {
        let messages = serde_json::to_string(&b.messages).expect("strings serialise");
        let (insert, deliveries) = (self.insert_sql(false), self.insert_delivery_sql());
        let created = on_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            let id: Option<i64> = bind_new!(&insert, b, &messages)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(id) = id {
                insert_deliveries!(tx, &deliveries, id, b);
            }
            tx.commit().await?;
            id.is_some()
        });
        let publication = self.get(b.slot, Some(1)).await?.ok_or_else(|| {
            StoreError::Sql(sqlx::Error::Protocol(format!(
                "the {} of {} vanished right after it was published",
                self.kind.noun(),
                b.slot
            )))
        })?;
        Ok(Published {
            publication,
            created,
        })
    }

    /// Adds the next revision of the slot (revision 1 if it has none), with its deliveries.
    /// Earlier revisions stay as they are.
    pub async fn add_revision(self, b: &NewPublication) -> Result<StoredPublication, StoreError> {
        let messages = serde_json::to_string(&b.messages).expect("strings serialise");
        let (insert, deliveries) = (self.insert_sql(true), self.insert_delivery_sql());
        // Two regenerations racing for the same number: the loser inserts nothing and tries
        // the next one. Bounded so a broken database cannot loop forever.
        for _ in 0..8 {
            let id = on_pool!(self.store, p => {
                let mut tx = p.begin_write().await?;
                let id: Option<i64> = bind_new!(&insert, b, &messages)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(id) = id {
                    insert_deliveries!(tx, &deliveries, id, b);
                }
                tx.commit().await?;
                id
            });
            if let Some(id) = id {
                return self.by_id(id).await?.ok_or_else(|| {
                    StoreError::Sql(sqlx::Error::Protocol(format!(
                        "the {} revision {id} vanished right after it was added",
                        self.kind.noun()
                    )))
                });
            }
        }
        Err(StoreError::Sql(sqlx::Error::Protocol(format!(
            "could not add a revision of the {} of {}: every attempt lost a race",
            self.kind.noun(),
            b.slot
        ))))
    }

    /// The slot's publication at `revision`, or its latest revision when `revision` is `None`.
    pub async fn get(
        self,
        slot: Date,
        revision: Option<i64>,
    ) -> Result<Option<StoredPublication>, StoreError> {
        let row: Option<PublicationRow> = match revision {
            Some(r) => {
                let sql = format!("{} WHERE slot = $1 AND revision = $2", self.select());
                on_pool!(self.store, p => sqlx::query_as(&sql).bind(slot).bind(r).fetch_optional(p).await?)
            }
            None => {
                let sql = format!(
                    "{} WHERE slot = $1 ORDER BY revision DESC LIMIT 1",
                    self.select()
                );
                on_pool!(self.store, p => sqlx::query_as(&sql).bind(slot).fetch_optional(p).await?)
            }
        };
        row.map(|r| self.row(r)).transpose()
    }

    /// When the scheduler first ran on this database: records `now` unless a first start is
    /// recorded already, and returns the recorded one. The catch-up at start goes back no
    /// further than this, so a fresh install publishes nothing before its first slot. Any
    /// number of processes may call it at once; they all read the same first start.
    pub async fn schedule_origin(self, now: OffsetDateTime) -> Result<OffsetDateTime, StoreError> {
        let sql = format!(
            "INSERT INTO {} (id, started_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            self.kind.origin()
        );
        on_pool!(self.store, p => {
            sqlx::query(&sql)
                .bind(whole_utc(now))
                .execute(p)
                .await
                .map(|_| ())?
        });
        self.schedule_first_start().await?.ok_or_else(|| {
            StoreError::Sql(sqlx::Error::Protocol(format!(
                "the {} scheduler's first start vanished right after it was recorded",
                self.kind.noun()
            )))
        })
    }

    /// The scheduler's first start on this database, if one has run; reads only.
    pub async fn schedule_first_start(self) -> Result<Option<OffsetDateTime>, StoreError> {
        let sql = format!("SELECT started_at FROM {} WHERE id = 1", self.kind.origin());
        let started = on_pool!(self.store, p => {
            sqlx::query_scalar::<_, OffsetDateTime>(&sql)
                .fetch_optional(p)
                .await?
        });
        Ok(started)
    }

    pub async fn by_id(self, id: i64) -> Result<Option<StoredPublication>, StoreError> {
        let sql = format!("{} WHERE id = $1", self.select());
        let row: Option<PublicationRow> =
            on_pool!(self.store, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(|r| self.row(r)).transpose()
    }

    /// Every revision of the slot, first first.
    pub async fn revisions(self, slot: Date) -> Result<Vec<PublicationRevision>, StoreError> {
        let sql = format!(
            "SELECT revision, generated_at, late, trigger_kind FROM {} WHERE slot = $1 \
             ORDER BY revision",
            self.kind.table()
        );
        let rows: Vec<(i64, OffsetDateTime, bool, String)> = on_pool!(self.store, p => sqlx::query_as(&sql)
            .bind(slot)
            .fetch_all(p)
            .await?);
        rows.into_iter()
            .map(|(revision, generated_at, late, trigger)| {
                Ok(PublicationRevision {
                    revision,
                    generated_at,
                    late,
                    trigger: PublicationTrigger::parse(&trigger).ok_or_else(|| {
                        StoreError::CorruptRow {
                            table: self.kind.table(),
                            id: revision,
                            reason: format!("trigger_kind {trigger:?}"),
                        }
                    })?,
                })
            })
            .collect()
    }

    /// The days that have publications, newest first: at most `limit` of them before `before`
    /// (all days when `None`).
    pub async fn days(
        self,
        before: Option<Date>,
        limit: i64,
    ) -> Result<Vec<PublicationDay>, StoreError> {
        // Revision 1 is the day's publication; later revisions only add to its count.
        let t = self.kind.table();
        let sql = format!(
            "SELECT b.slot, (SELECT COUNT(*) FROM {t} r WHERE r.slot = b.slot), \
             b.generated_at, b.late FROM {t} b WHERE b.revision = 1 AND b.slot < $1 \
             ORDER BY b.slot DESC LIMIT $2"
        );
        let rows: Vec<(Date, i64, OffsetDateTime, bool)> = on_pool!(self.store, p => sqlx::query_as(&sql)
            // Not `Date::MAX`: with time's large dates it is +999999-12-31, which SQLite's
            // text order puts before every real day.
            .bind(before.unwrap_or(LAST_DAY))
            .bind(limit)
            .fetch_all(p)
            .await?);
        Ok(rows
            .into_iter()
            .map(|(slot, revisions, generated_at, late)| PublicationDay {
                slot,
                revisions,
                generated_at,
                late,
            })
            .collect())
    }

    /// The first revision of the latest slot before `slot`: where the next one's window
    /// starts.
    pub async fn before(self, slot: Date) -> Result<Option<StoredPublication>, StoreError> {
        let sql = format!(
            "{} WHERE slot < $1 AND revision = 1 ORDER BY slot DESC LIMIT 1",
            self.select()
        );
        let row: Option<PublicationRow> =
            on_pool!(self.store, p => sqlx::query_as(&sql).bind(slot).fetch_optional(p).await?);
        row.map(|r| self.row(r)).transpose()
    }

    /// The first revision of every slot from `from` on, earliest first: what was published on
    /// schedule (e.g. which assignment message first carried an issue).
    pub async fn firsts_since(self, from: Date) -> Result<Vec<StoredPublication>, StoreError> {
        let sql = format!(
            "{} WHERE slot >= $1 AND revision = 1 ORDER BY slot",
            self.select()
        );
        let rows: Vec<PublicationRow> =
            on_pool!(self.store, p => sqlx::query_as(&sql).bind(from).fetch_all(p).await?);
        rows.into_iter().map(|r| self.row(r)).collect()
    }

    /// The deliveries of one revision, by target name.
    pub async fn deliveries(self, publication_id: i64) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = $1 ORDER BY target",
            self.delivery_columns(),
            self.kind.deliveries(),
            self.kind.delivery_fk()
        );
        let rows: Vec<DeliveryRow> = on_pool!(self.store, p => sqlx::query_as(&sql)
            .bind(publication_id)
            .fetch_all(p)
            .await?);
        rows.into_iter().map(|r| self.delivery(r)).collect()
    }

    /// Claims the delivery that is most overdue at `now` (pending, or sending with its lease
    /// run out), counts the attempt and leases it until `lease_until`. `None` when nothing
    /// is due. Of two processes claiming at once, one gets it.
    pub async fn claim_due_delivery(
        self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Delivery>, StoreError> {
        let t = self.kind.deliveries();
        let sql = format!(
            "UPDATE {t} SET status = 'sending', attempts = attempts + 1, next_attempt_at = $2 \
             WHERE id = (SELECT id FROM {t} WHERE status IN ('pending', 'sending') \
                         AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT 1) \
             AND status IN ('pending', 'sending') AND next_attempt_at <= $1 \
             RETURNING {}",
            self.delivery_columns()
        );
        let row: Option<DeliveryRow> = on_pool!(self.store, p => sqlx::query_as(&sql)
            .bind(whole_utc(now))
            .bind(whole_utc(lease_until))
            .fetch_optional(p)
            .await?);
        row.map(|r| self.delivery(r)).transpose()
    }

    /// Records how the attempt claimed as `claimed` ended. Returns false (and writes nothing)
    /// if the claim was lost meanwhile: its lease ran out and another process took over.
    pub async fn finish_delivery_attempt(
        self,
        claimed: &Delivery,
        result: &AttemptResult,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let t = self.kind.deliveries();
        let guard = "WHERE id = $1 AND status = 'sending' AND attempts = $2";
        let done = match result {
            AttemptResult::Delivered => {
                let sql = format!(
                    "UPDATE {t} SET status = 'delivered', delivered_at = $3, \
                     next_attempt_at = NULL {guard}"
                );
                on_pool!(self.store, p => sqlx::query(&sql)
                    .bind(claimed.id)
                    .bind(claimed.attempts)
                    .bind(whole_utc(now))
                    .execute(p)
                    .await?
                    .rows_affected())
            }
            AttemptResult::Retry { error, at } => {
                let sql = format!(
                    "UPDATE {t} SET status = 'pending', last_error = $3, next_attempt_at = $4 \
                     {guard}"
                );
                on_pool!(self.store, p => sqlx::query(&sql)
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
                    "UPDATE {t} SET status = 'failed', last_error = $3, next_attempt_at = NULL \
                     {guard}"
                );
                on_pool!(self.store, p => sqlx::query(&sql)
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
    pub async fn next_delivery_due(self) -> Result<Option<OffsetDateTime>, StoreError> {
        let sql = format!(
            "SELECT next_attempt_at FROM {} WHERE status IN ('pending', 'sending') \
             ORDER BY next_attempt_at LIMIT 1",
            self.kind.deliveries()
        );
        let t: Option<OffsetDateTime> = on_pool!(self.store, p => sqlx::query_scalar(&sql)
            .fetch_optional(p)
            .await?)
        .flatten();
        Ok(t)
    }
}
