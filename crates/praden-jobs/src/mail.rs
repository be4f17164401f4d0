//! E-mail to the agencies' contacts over SMTP (lettre): plain UTF-8 text, one message per
//! recipient, with the transport's errors sorted into worth-retrying and not.

use crate::delivery::SendError;
use crate::settings::{MailConfig, SmtpTls};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use praden_brief::AgencyMessage;
use std::time::Duration;

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("mail.from {0:?} is not an e-mail address such as \"ศูนย์ประเด็น <issues@example.go.th>\": {1}")]
    From(String, String),
    #[error("cannot set up SMTP to {host}: {reason}")]
    Transport { host: String, reason: String },
}

/// Whether `address` (`name <user@host>` or `user@host`) is one an e-mail can be sent from.
pub fn valid_address(address: &str) -> bool {
    address.parse::<Mailbox>().is_ok()
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Self, MailSetupError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| {
                MailSetupError::From(config.from.clone(), e.to_string())
            })?;
        let setup = |e: lettre::transport::smtp::Error| MailSetupError::Transport {
            host: config.host.clone(),
            reason: e.to_string(),
        };
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(setup)?
            }
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(setup)?
            }
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(30)));
        if let Some((user, password)) = &config.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `message` to `address`, naming the contact when known.
    pub async fn send(&self, address: &str, message: &AgencyMessage) -> Result<(), SendError> {
        let to: Mailbox = match message.contact.as_deref() {
            Some(name) => format!("\"{}\" <{address}>", name.replace('"', "'")).parse(),
            None => address.parse(),
        }
        .map_err(|e: lettre::address::AddressError| {
            SendError::Permanent(format!("{address:?} is not an e-mail address: {e}"))
        })?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.text.clone())
            .map_err(|e| SendError::Permanent(format!("cannot build the e-mail: {e}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            // A 5xx answer (unknown mailbox, refused sender) will be refused again.
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!(
                "the mail server refused it: {e}"
            ))),
            Err(e) => Err(SendError::Transient(format!("SMTP: {e}"))),
        }
    }
}
