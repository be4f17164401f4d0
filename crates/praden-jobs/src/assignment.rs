//! The 10:30 assignment message (IA-Chat): the issues approved since the previous one, in the
//! official shape, published once per day like the brief (`schedule`) and delivered to the
//! IA-Chat webhooks and, each with only its agency's issues and links to answer them in
//! praden, to every agency contact by e-mail and LINE (`delivery`).
//!
//! What each contact receives is composed when the message is published and stored with it,
//! so a retry hours later sends exactly what was published, and the record shows it.

use crate::schedule::{BoxFuture, Clock, Compose, LATE_AFTER};
use crate::settings::AssignmentConfig;
use anyhow::Context;
use praden_brief::{
    agency_message, assignment_message, AgencyMessage, AssignmentContent, AssignmentLine,
};
use praden_core::thai_time::bangkok_midnight;
use praden_store::{NewPublication, PublicationKind, PublicationTrigger, Store, StoredPublication};
use std::collections::BTreeMap;
use std::sync::Arc;
use time::{Date, Duration, OffsetDateTime};
use tokio_util::sync::CancellationToken;

/// A contact's e-mail target: `mail:ADDRESS`.
pub const MAIL_TARGET: &str = "mail:";
/// A contact's LINE target: `line:USER_ID`.
pub const LINE_TARGET: &str = "line:";
/// When a message asked for on a day its schedule skips is due.
const TEN_THIRTY: Duration = Duration::minutes(10 * 60 + 30);
/// LINE refuses a text message longer than this (characters, counted in UTF-16).
const LINE_TEXT_LIMIT: usize = 5000;

/// The link to issue `id` on the agency's pages.
pub fn issue_link(public_url: &str, id: i64) -> String {
    format!("{}/agency/issues/{id}", public_url.trim_end_matches('/'))
}

/// How far back earlier messages are read to know whom an issue was sent to.
const SENT_BACK: Duration = Duration::days(120);

/// Issues edited in `[from, until)` that an earlier message sent to another agency than
/// their own now: reassigned (after "not ours", or a monitor's correction), they go to
/// their new agency in this message.
async fn reassigned(
    store: &Store,
    slot: Date,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> anyhow::Result<Vec<praden_core::review::Issue>> {
    let edited = store.issues_edited_between(from, until).await?;
    if edited.is_empty() {
        return Ok(edited);
    }
    let mut sent_to: BTreeMap<i64, String> = BTreeMap::new();
    for p in store.assignments().firsts_since(slot - SENT_BACK).await? {
        if p.slot >= slot {
            continue;
        }
        let Ok(content) = serde_json::from_str::<AssignmentContent>(&p.content) else {
            tracing::warn!(id = p.id, "an assignment message's content is unreadable");
            continue;
        };
        for line in content.issues {
            sent_to.insert(line.issue_id, line.agency);
        }
    }
    Ok(edited
        .into_iter()
        .filter(|i| {
            sent_to
                .get(&i.id)
                .is_some_and(|agency| *agency != i.agency.name_th)
        })
        .collect())
}

/// Who to reach, and how: every directory contact of an agency `wanted` by the caller, by the
/// targets configured (e-mail when SMTP is, LINE when its push is), each with the contact's
/// name and agencies (one person may be the contact of two agencies).
pub(crate) async fn contact_targets(
    store: &Store,
    config: &AssignmentConfig,
    wanted: impl Fn(&str) -> bool,
) -> anyhow::Result<BTreeMap<String, (String, Vec<String>)>> {
    let mut reach: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for contact in store.agency_contacts(None).await? {
        if !wanted(&contact.agency) {
            continue;
        }
        let mut targets = Vec::new();
        if let (Some(_), Some(email)) = (&config.mail, &contact.email) {
            targets.push(format!("{MAIL_TARGET}{}", email.trim().to_lowercase()));
        }
        if let (Some(_), Some(id)) = (&config.line, &contact.line_id) {
            targets.push(format!("{LINE_TARGET}{}", id.trim()));
        }
        for target in targets {
            let entry = reach
                .entry(target)
                .or_insert_with(|| (contact.name.clone(), Vec::new()));
            if !entry.1.contains(&contact.agency) {
                entry.1.push(contact.agency.clone());
            }
        }
    }
    Ok(reach)
}

/// Composes the assignment message for the scheduler.
pub struct AssignmentComposer {
    pub config: AssignmentConfig,
}

impl AssignmentComposer {
    /// The assignment message of `slot` as of `now`: the issues approved since the previous
    /// slot's message (or a day before `due` for the first), still approved.
    pub async fn content(
        &self,
        store: &Store,
        slot: Date,
        due: OffsetDateTime,
        now: OffsetDateTime,
    ) -> anyhow::Result<AssignmentContent> {
        let covers_from = store
            .assignments()
            .before(slot)
            .await?
            .map(|p| p.generated_at)
            .filter(|t| *t < now)
            .unwrap_or(due - Duration::days(1));
        let mut issues = store.issues_approved_between(covers_from, now).await?;
        issues.extend(reassigned(store, slot, covers_from, now).await?);
        let (text, lines) = assignment_message(slot, &issues, &self.config.message);
        let recipients = if lines.is_empty() {
            BTreeMap::new()
        } else {
            self.recipients(store, slot, &lines).await?
        };
        Ok(AssignmentContent {
            date: slot,
            text,
            issues: lines,
            covers_from,
            recipients,
        })
    }

    /// Every contact with an agency among `lines`, by the targets that reach them (e-mail when
    /// SMTP is configured, LINE when its push is), each with its own message.
    async fn recipients(
        &self,
        store: &Store,
        slot: Date,
        lines: &[AssignmentLine],
    ) -> anyhow::Result<BTreeMap<String, AgencyMessage>> {
        let reach = contact_targets(store, &self.config, |agency| {
            lines.iter().any(|l| l.goes_to(agency))
        })
        .await?;
        let link = |id: i64| issue_link(&self.config.public_url, id);
        Ok(reach
            .into_iter()
            .map(|(target, (name, agencies))| {
                let names: Vec<&str> = agencies.iter().map(String::as_str).collect();
                let (subject, text) =
                    agency_message(slot, &names, lines, &self.config.message, &link);
                let message = AgencyMessage {
                    agencies,
                    contact: Some(name).filter(|n| !n.trim().is_empty()),
                    subject,
                    text,
                };
                (target, message)
            })
            .collect())
    }

    /// The publication of `content`: to the configured webhooks and every recipient. A day
    /// without issues is recorded (its page says so, and the next day's window starts after
    /// it) but sent nowhere: "0 issues" every quiet day would only be noise in the group.
    pub fn publication(
        &self,
        content: &AssignmentContent,
        scheduled_for: OffsetDateTime,
        now: OffsetDateTime,
        late: bool,
        trigger: PublicationTrigger,
    ) -> NewPublication {
        let mut targets: Vec<String> = Vec::new();
        if !content.issues.is_empty() {
            targets.extend(self.config.webhooks.iter().map(|w| w.name.clone()));
            targets.extend(content.recipients.keys().cloned());
        }
        NewPublication {
            slot: content.date,
            scheduled_for,
            generated_at: now,
            late,
            trigger,
            content: serde_json::to_string(content).expect("assignment messages serialise"),
            messages: line_chunks(&content.text),
            markdown: content.text.clone(),
            targets,
        }
    }
}

impl Compose for AssignmentComposer {
    fn kind(&self) -> PublicationKind {
        PublicationKind::Assignment
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
            let content = self.content(store, slot, due, now).await?;
            tracing::info!(
                %slot,
                issues = content.issues.len(),
                contacts = content.recipients.len(),
                "composed the assignment message"
            );
            Ok(self.publication(&content, due, now, late, trigger))
        })
    }
}

/// The message in LINE texts of at most [`LINE_TEXT_LIMIT`], cut between lines.
fn line_chunks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let len = |s: &str| s.encode_utf16().count();
        if !current.is_empty() && len(&current) + 1 + len(line) > LINE_TEXT_LIMIT {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        // A single line over the limit (a very long title) is cut where it must be.
        let mut line = line;
        while len(line) > LINE_TEXT_LIMIT {
            let cut = line
                .char_indices()
                .scan(0, |n, (i, c)| {
                    *n += c.len_utf16();
                    Some((i, *n))
                })
                .take_while(|(_, n)| *n <= LINE_TEXT_LIMIT)
                .last()
                .map_or(0, |(i, _)| i);
            let (head, tail) = line.split_at(cut.max(1));
            out.push(head.to_string());
            line = tail;
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `praden assignment --date`: the assignment message of `slot` composed now, stored as the
/// slot's first if it has none (late if its time has passed) or else as a new revision;
/// `dry_run` stores nothing. A slot whose time has not come cannot be published early.
pub async fn on_demand(
    store: &Store,
    config: &AssignmentConfig,
    clock: &dyn Clock,
    slot: Date,
    dry_run: bool,
) -> anyhow::Result<(AssignmentContent, Option<StoredPublication>)> {
    let due = config.schedule.slot_time(slot, TEN_THIRTY);
    let now = clock.now();
    crate::schedule::check_not_early("assignment message", slot, due, now, dry_run)?;
    let composer = AssignmentComposer {
        config: config.clone(),
    };
    let content = composer.content(store, slot, due, now).await?;
    if dry_run {
        return Ok((content, None));
    }
    let existing = store.assignments().get(slot, Some(1)).await?;
    let late = existing.is_none() && now - due > LATE_AFTER;
    let record = composer.publication(&content, due, now, late, PublicationTrigger::Manual);
    let stored = crate::schedule::store_by_hand(store.assignments(), &record).await?;
    Ok((content, Some(stored)))
}

/// `praden assignment-message --date`: the official message for the issues approved on
/// `day` (Bangkok) that are not withdrawn; JSON with the issues when `json`.
pub async fn message_of_day(
    store: &Store,
    settings: &praden_brief::AssignmentSettings,
    day: Date,
    json: bool,
) -> anyhow::Result<String> {
    let from = bangkok_midnight(day);
    let issues = store
        .issues_approved_between(from, from + Duration::days(1))
        .await?;
    let (text, lines) = assignment_message(day, &issues, settings);
    if json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "date": day.to_string(),
            "count": lines.len(),
            "issues": lines,
            "text": text,
        }))?);
    }
    Ok(text)
}

/// Starts the assignment scheduler and its delivery worker inside `praden serve` (none when
/// `assignment.enabled = false`); they stop when `shutdown` is cancelled.
pub fn spawn(
    store: &Store,
    config: &AssignmentConfig,
    user_agent: &str,
    clock: Arc<dyn Clock>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    if !config.enabled {
        return Ok(Vec::new());
    }
    let deliverer =
        crate::delivery::Deliverer::for_agencies(PublicationKind::Assignment, config, user_agent)
            .context("cannot set up the assignment message's delivery")?;
    tracing::info!(
        schedule = config.schedule.expression(),
        webhooks = config.webhooks.len(),
        mail = config.mail.is_some(),
        line = config.line.is_some(),
        "assignment scheduler started (Asia/Bangkok)"
    );
    let composer = Arc::new(AssignmentComposer {
        config: config.clone(),
    });
    Ok(crate::schedule::start(
        store,
        &config.schedule,
        composer,
        deliverer,
        clock,
        shutdown,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_between_lines_for_line() {
        let line = "ก".repeat(3000);
        let text = format!("{line}\n{line}\nจบการส่งประเด็น");
        let chunks = line_chunks(&text);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0], line);
        assert_eq!(chunks[1], format!("{line}\nจบการส่งประเด็น"));
        assert_eq!(line_chunks("สั้น\nข้อความ"), vec!["สั้น\nข้อความ".to_string()]);
        let huge = "ข".repeat(12_000);
        let cut = line_chunks(&huge);
        assert_eq!(cut.len(), 3);
        assert!(cut
            .iter()
            .all(|c| c.encode_utf16().count() <= LINE_TEXT_LIMIT));
        assert_eq!(cut.concat(), huge);
    }
}
