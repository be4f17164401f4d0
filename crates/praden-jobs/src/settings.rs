//! The typed settings the jobs run on. The binary's layered configuration builds them (and
//! reports a bad value with its key and origin); here they are plain data.

use std::time::Duration;

/// The 09:30 brief (`[brief]`).
#[derive(Debug, Clone)]
pub struct BriefConfig {
    /// Run the brief scheduler and delivery inside `praden serve`.
    pub enabled: bool,
    pub schedule: crate::schedule::CronSchedule,
    /// Pending candidates listed, best first.
    pub top_candidates: usize,
    pub webhooks: Vec<WebhookConfig>,
    /// Attempts per delivery before giving up.
    pub delivery_attempts: u32,
    /// The wait after the first failed attempt; it doubles after each further one.
    pub delivery_backoff: time::Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// The LINE Messaging API push endpoint.
    Line,
    /// Any receiver of a JSON POST.
    Json,
}

/// One `[[brief.webhooks]]` entry.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub name: String,
    pub url: String,
    pub kind: WebhookKind,
    /// LINE: the user, group or room id to push to.
    pub to: Option<String>,
    /// Sent as `Authorization: Bearer`; read from the environment variable the entry names.
    pub token: Option<Secret>,
}

/// A credential: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The 10:30 assignment message (`[assignment]`) and how it reaches the agencies.
#[derive(Debug, Clone)]
pub struct AssignmentConfig {
    /// Run the assignment scheduler and delivery inside `praden serve`.
    pub enabled: bool,
    pub schedule: crate::schedule::CronSchedule,
    /// Who sends the message, and in whose name.
    pub message: praden_brief::AssignmentSettings,
    /// The IA-Chat group and other receivers of the whole message.
    pub webhooks: Vec<WebhookConfig>,
    /// Each agency contact with an e-mail address gets the agency's issues by e-mail.
    pub mail: Option<MailConfig>,
    /// Each agency contact with a LINE id gets the agency's issues by LINE.
    pub line: Option<LinePush>,
    /// Where praden's pages are reached from outside (`public_url`), for the links to issues.
    pub public_url: String,
    pub delivery_attempts: u32,
    pub delivery_backoff: time::Duration,
}

/// The agencies' daily reminders (`[reminders]`), sent the assignment message's ways.
#[derive(Debug, Clone)]
pub struct RemindersConfig {
    pub enabled: bool,
    pub schedule: crate::schedule::CronSchedule,
    /// Issues due within this many days (0: due today) are reminded of; overdue ones always,
    /// every round until they are reported.
    pub days_before: u32,
}

/// SMTP (`[mail]`); credentials come from the environment only.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// The From address, e.g. `ศูนย์ประเด็น <issues@prd.go.th>`.
    pub from: String,
    /// User name and password (PRADEN_SMTP_USERNAME, PRADEN_SMTP_PASSWORD).
    pub credentials: Option<(String, Secret)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP; only for a relay on the same host or network.
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// LINE pushes to individual contacts: the Messaging API's push endpoint and the channel's
/// access token.
#[derive(Debug, Clone)]
pub struct LinePush {
    pub url: String,
    pub token: Secret,
}

/// Push delivery of the approved-issues feed (`[feed]`).
#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub webhooks: Vec<FeedWebhook>,
    /// Attempts at one event before it becomes a dead letter.
    pub attempts: u32,
    /// The wait after the first failure; it doubles after each further one (at most 10 min).
    pub backoff: Duration,
}

/// One `[[feed.webhooks]]` subscriber.
#[derive(Debug, Clone)]
pub struct FeedWebhook {
    pub name: String,
    pub url: String,
    /// The HMAC-SHA256 key that signs each delivery; read from the variable `secret_env`.
    pub secret: Secret,
}

#[derive(Debug, Clone)]
pub struct DetectConfig {
    /// Run the detector inside `praden serve` (off for a search-only server).
    pub enabled: bool,
    /// Stories are built from documents published in this many hours before now.
    pub window_hours: u32,
    /// A rejected story comes back when it reaches this many times its size at rejection.
    pub regrowth_factor: f64,
}

/// Finding the agencies' clarifications in the coverage (`[clarifications]`).
#[derive(Debug, Clone)]
pub struct ClarificationsConfig {
    /// Run the clarifications job inside `praden serve`.
    pub enabled: bool,
    /// Issues approved within this many days before now are looked for in new documents.
    pub window_days: u32,
}
