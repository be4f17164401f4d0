//! The agencies' daily reminders: at `reminders.schedule` (Bangkok), each agency contact is
//! sent its agency's issues that are not yet reported and are overdue or due within
//! `reminders.days_before` days, by e-mail and LINE like the assignment message. A round is a
//! publication like the brief (`schedule`): one per day even with several processes, stored
//! with what each contact received, its deliveries retried (`delivery`).

use crate::assignment::{contact_targets, issue_link};
use crate::schedule::{BoxFuture, Clock, Compose};
use crate::settings::{AssignmentConfig, RemindersConfig};
use anyhow::Context;
use praden_brief::{reminder_message, AgencyMessage, ReminderItem};
use praden_core::thai_time::to_bangkok;
use praden_store::{NewPublication, PublicationKind, PublicationTrigger, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use time::{Date, Duration, OffsetDateTime};
use tokio_util::sync::CancellationToken;

/// A reminder round as stored (the publication's `content`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReminderContent {
    pub date: Date,
    /// The issues reminded of: not reported, overdue or due soon.
    pub issues: Vec<ReminderItem>,
    /// What each contact target receives.
    pub recipients: BTreeMap<String, AgencyMessage>,
}

pub struct ReminderComposer {
    pub reminders: RemindersConfig,
    /// The channels and links, the assignment message's.
    pub channels: AssignmentConfig,
}

impl ReminderComposer {
    /// The round of `today`: the open issues due by `today + days_before` and not reported.
    pub async fn content(&self, store: &Store, today: Date) -> anyhow::Result<ReminderContent> {
        let until = today + Duration::days(i64::from(self.reminders.days_before));
        let due = store.open_issues_due_by(until).await?;
        let ids: Vec<i64> = due.iter().map(|i| i.id).collect();
        let reported = store.reported_issues(&ids).await?;
        let items: Vec<ReminderItem> = due
            .iter()
            .filter(|i| !reported.contains(&i.id))
            .map(ReminderItem::from_issue)
            .collect();
        let reach = if items.is_empty() {
            BTreeMap::new()
        } else {
            contact_targets(store, &self.channels, |agency| {
                items.iter().any(|i| i.goes_to(agency))
            })
            .await?
        };
        let link = |id: i64| issue_link(&self.channels.public_url, id);
        let recipients = reach
            .into_iter()
            .filter_map(|(target, (name, agencies))| {
                let names: Vec<&str> = agencies.iter().map(String::as_str).collect();
                let (subject, text) = reminder_message(today, &names, &items, &link)?;
                Some((
                    target,
                    AgencyMessage {
                        agencies,
                        contact: Some(name).filter(|n| !n.trim().is_empty()),
                        subject,
                        text,
                    },
                ))
            })
            .collect();
        Ok(ReminderContent {
            date: today,
            issues: items,
            recipients,
        })
    }
}

impl Compose for ReminderComposer {
    fn kind(&self) -> PublicationKind {
        PublicationKind::Reminder
    }

    fn compose<'a>(
        &'a self,
        store: &'a Store,
        slot: Date,
        due: OffsetDateTime,
        now: OffsetDateTime,
        late: bool,
        trigger: PublicationTrigger,
    ) -> BoxFuture<'a, anyhow::Result<NewPublication>> {
        Box::pin(async move {
            // A late round (after downtime) reminds as of the day it is sent.
            let today = to_bangkok(now).date().max(slot);
            let content = self.content(store, today).await?;
            tracing::info!(
                %slot,
                issues = content.issues.len(),
                contacts = content.recipients.len(),
                "composed the reminder round"
            );
            let summary = format!(
                "แจ้งเตือน {} ประเด็น ถึงผู้ประสานงาน {} ราย",
                content.issues.len(),
                content.recipients.len()
            );
            Ok(NewPublication {
                slot,
                scheduled_for: due,
                generated_at: now,
                late,
                trigger,
                targets: content.recipients.keys().cloned().collect(),
                content: serde_json::to_string(&content).expect("reminders serialise"),
                messages: Vec::new(),
                markdown: summary,
            })
        })
    }
}

/// Whether reminders are sent at all: on, and some contact reachable (SMTP or LINE).
pub fn runs(reminders: &RemindersConfig, channels: &AssignmentConfig) -> bool {
    reminders.enabled && (channels.mail.is_some() || channels.line.is_some())
}

/// Starts the reminder scheduler and its delivery worker inside `praden serve` (none when
/// `reminders.enabled = false`, or when no contact can be reached: no SMTP and no LINE).
pub fn spawn(
    store: &Store,
    reminders: &RemindersConfig,
    channels: &AssignmentConfig,
    user_agent: &str,
    clock: Arc<dyn Clock>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    if !runs(reminders, channels) {
        return Ok(Vec::new());
    }
    let deliverer =
        crate::delivery::Deliverer::for_agencies(PublicationKind::Reminder, channels, user_agent)
            .context("cannot set up the reminders' delivery")?;
    tracing::info!(
        schedule = reminders.schedule.expression(),
        days_before = reminders.days_before,
        "reminder scheduler started (Asia/Bangkok)"
    );
    let composer = Arc::new(ReminderComposer {
        reminders: reminders.clone(),
        channels: channels.clone(),
    });
    Ok(crate::schedule::start(
        store,
        &reminders.schedule,
        composer,
        deliverer,
        clock,
        shutdown,
    ))
}
