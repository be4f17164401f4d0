//! Engagement of social posts over time: one row per (document, observation time). Scoring
//! public interest asks how much a post grew in a window, which totals alone cannot say.

use crate::{on_pool, Store, StoreError};
use praden_core::social::Engagement;
use std::collections::HashMap;
use time::OffsetDateTime;

/// One observation of a post's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngagementObservation {
    pub document_id: i64,
    /// Whole seconds, UTC: two deliveries of the same observation are one row.
    pub observed_at: OffsetDateTime,
    pub counts: Engagement,
}

/// How one post's engagement changed over a window `(since, until]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngagementGrowth {
    pub document_id: i64,
    /// The observation growth is measured from: the last one at or before `since`, or, for a
    /// post first observed inside the window, its first observation there.
    pub from_at: OffsetDateTime,
    pub from: Engagement,
    /// The last observation inside the window.
    pub to_at: OffsetDateTime,
    pub to: Engagement,
}

impl EngagementGrowth {
    /// Growth in interactions (likes + shares + comments); negative when counts fell
    /// (deleted comments, a platform correcting itself).
    pub fn interactions(&self) -> i64 {
        self.to.interactions() - self.from.interactions()
    }

    /// Growth in views, when both ends report views.
    pub fn views(&self) -> Option<i64> {
        Some(self.to.views? - self.from.views?)
    }

    /// Interactions gained per hour between the two observations; `None` when both are the
    /// same observation (one sighting says nothing about speed).
    pub fn interactions_per_hour(&self) -> Option<f64> {
        let hours = (self.to_at - self.from_at).as_seconds_f64() / 3600.0;
        (hours > 0.0).then(|| self.interactions() as f64 / hours)
    }
}

#[derive(sqlx::FromRow)]
struct ObservationRow {
    document_id: i64,
    observed_at: OffsetDateTime,
    likes: Option<i64>,
    shares: Option<i64>,
    comments: Option<i64>,
    views: Option<i64>,
}

impl From<ObservationRow> for EngagementObservation {
    fn from(r: ObservationRow) -> Self {
        Self {
            document_id: r.document_id,
            observed_at: r.observed_at,
            counts: Engagement {
                likes: r.likes,
                shares: r.shares,
                comments: r.comments,
                views: r.views,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
struct GrowthRow {
    document_id: i64,
    from_at: OffsetDateTime,
    from_likes: Option<i64>,
    from_shares: Option<i64>,
    from_comments: Option<i64>,
    from_views: Option<i64>,
    to_at: OffsetDateTime,
    to_likes: Option<i64>,
    to_shares: Option<i64>,
    to_comments: Option<i64>,
    to_views: Option<i64>,
}

impl From<GrowthRow> for EngagementGrowth {
    fn from(r: GrowthRow) -> Self {
        Self {
            document_id: r.document_id,
            from_at: r.from_at,
            from: Engagement {
                likes: r.from_likes,
                shares: r.from_shares,
                comments: r.from_comments,
                views: r.from_views,
            },
            to_at: r.to_at,
            to: Engagement {
                likes: r.to_likes,
                shares: r.to_shares,
                comments: r.to_comments,
                views: r.to_views,
            },
        }
    }
}

/// Sub-seconds dropped and UTC: the form observation times are stored in, so the same moment
/// delivered twice is the same key, and SQLite's text times compare in time order.
fn observation_time(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// For each post observed in `(since, until]`: its last observation there (`l`) and the
/// observation growth is measured from (`b`). Ordered by interactions gained, then id.
const GROWTH: &str = "SELECT w.document_id, \
    b.observed_at AS from_at, b.likes AS from_likes, b.shares AS from_shares, \
    b.comments AS from_comments, b.views AS from_views, \
    l.observed_at AS to_at, l.likes AS to_likes, l.shares AS to_shares, \
    l.comments AS to_comments, l.views AS to_views \
    FROM (SELECT document_id, MIN(observed_at) AS first_at, MAX(observed_at) AS last_at \
          FROM engagement WHERE observed_at > $1 AND observed_at <= $2 GROUP BY document_id) w \
    JOIN engagement l ON l.document_id = w.document_id AND l.observed_at = w.last_at \
    JOIN engagement b ON b.document_id = w.document_id AND b.observed_at = COALESCE( \
        (SELECT MAX(x.observed_at) FROM engagement x \
         WHERE x.document_id = w.document_id AND x.observed_at <= $1), w.first_at)";

const INTERACTIONS_GAINED: &str =
    "(COALESCE(l.likes, 0) + COALESCE(l.shares, 0) + COALESCE(l.comments, 0)) \
    - (COALESCE(b.likes, 0) + COALESCE(b.shares, 0) + COALESCE(b.comments, 0))";

impl Store {
    /// Records observations; one already stored for the same document and time is left as it
    /// is. Observations with no count at all are not stored. Returns how many rows were new.
    pub async fn insert_engagement(
        &self,
        observations: &[EngagementObservation],
    ) -> Result<u64, StoreError> {
        let mut added = 0;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for o in observations.iter().filter(|o| !o.counts.is_empty()) {
                added += sqlx::query(
                    "INSERT INTO engagement (document_id, observed_at, likes, shares, comments, views) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (document_id, observed_at) DO NOTHING",
                )
                .bind(o.document_id)
                .bind(observation_time(o.observed_at))
                .bind(o.counts.likes)
                .bind(o.counts.shares)
                .bind(o.counts.comments)
                .bind(o.counts.views)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
        });
        Ok(added)
    }

    /// A post's observations, oldest first.
    pub async fn engagement_series(
        &self,
        document_id: i64,
    ) -> Result<Vec<EngagementObservation>, StoreError> {
        let rows: Vec<ObservationRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT document_id, observed_at, likes, shares, comments, views FROM engagement \
                 WHERE document_id = $1 ORDER BY observed_at",
            )
            .bind(document_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// How one post grew in `(since, until]`; `None` if it was not observed in the window.
    pub async fn engagement_growth(
        &self,
        document_id: i64,
        since: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Option<EngagementGrowth>, StoreError> {
        let sql = format!("{GROWTH} WHERE w.document_id = $3");
        let row: Option<GrowthRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(observation_time(since))
                .bind(observation_time(until))
                .bind(document_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Into::into))
    }

    /// The posts that gained the most interactions in `(since, until]`, most first (ties by
    /// document id): the public-interest signal of social media.
    pub async fn fastest_growing(
        &self,
        since: OffsetDateTime,
        until: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<EngagementGrowth>, StoreError> {
        let sql = format!("{GROWTH} ORDER BY {INTERACTIONS_GAINED} DESC, w.document_id LIMIT $3");
        let rows: Vec<GrowthRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(observation_time(since))
                .bind(observation_time(until))
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The ids of the stored documents with these item keys (keys not stored are absent):
    /// engagement observed for a post already stored belongs to that document.
    pub async fn document_ids_by_item_key(
        &self,
        item_keys: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut found = HashMap::new();
        on_pool!(self, pool => {
            for key in item_keys {
                let id: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM documents WHERE item_key = $1")
                        .bind(key)
                        .fetch_optional(pool)
                        .await?;
                if let Some(id) = id {
                    found.insert(key.clone(), id);
                }
            }
        });
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn observation_times_are_whole_utc_seconds() {
        assert_eq!(
            observation_time(datetime!(2024-03-05 10:15:30.75 +7)),
            datetime!(2024-03-05 03:15:30 UTC)
        );
    }

    #[test]
    fn growth_arithmetic() {
        let e = |likes, views| Engagement {
            likes: Some(likes),
            shares: None,
            comments: Some(1),
            views,
        };
        let g = EngagementGrowth {
            document_id: 1,
            from_at: datetime!(2024-03-05 00:00 UTC),
            from: e(10, None),
            to_at: datetime!(2024-03-05 02:00 UTC),
            to: e(50, Some(900)),
        };
        assert_eq!(g.interactions(), 40);
        assert_eq!(g.views(), None);
        assert_eq!(g.interactions_per_hour(), Some(20.0));
        let same = EngagementGrowth {
            to_at: g.from_at,
            ..g
        };
        assert_eq!(same.interactions_per_hour(), None);
    }
}
