//! praden's long-running jobs, each following the store on its own: the index follower
//! (`follow`), the detector (`detect`), the daily publications — the 09:30 brief
//! (`brief_schedule`), the 10:30 assignment message (`assignment`) and the agencies' daily
//! reminders (`reminders`) — with their shared
//! schedule (`schedule`) and delivery to webhooks, e-mail (`mail`) and LINE (`delivery`), and
//! the approved-issues feed's webhook pusher (`feed_webhooks`) and the clarifications found in
//! the coverage (`clarifications`). Those that must run once among several processes on one
//! database run under a lease (`lease`). The binary builds their settings from its
//! configuration, starts them and stops them; what they do is here.

pub mod assignment;
pub mod brief_schedule;
pub mod clarifications;
pub mod delivery;
pub mod detect;
pub mod feed_webhooks;
pub mod follow;
pub mod lease;
pub mod mail;
pub mod reminders;
pub mod schedule;
pub mod settings;
pub mod webhook;
