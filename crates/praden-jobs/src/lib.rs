//! praden's long-running jobs, each following the store on its own: the index follower
//! (`follow`), the detector (`detect`), the brief's schedule and its webhook delivery
//! (`brief_schedule`, `brief_delivery`) and the approved-issues feed's webhook pusher
//! (`feed_webhooks`). The binary builds their settings from its configuration, starts them
//! and stops them; what they do is here.

pub mod brief_delivery;
pub mod brief_schedule;
pub mod detect;
pub mod feed_webhooks;
pub mod follow;
pub mod settings;
pub mod webhook;
