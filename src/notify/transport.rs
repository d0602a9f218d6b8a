//! Where mail goes: `.eml` files (the embedded default) or an SMTP server (lettre).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use entity::notification;
use lettre::message::{Attachment, Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailSettings, MailTransport, Settings, SmtpTls};

pub enum Mailer {
    File { dir: PathBuf },
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mail = &settings.mail;
        Ok(match mail.transport {
            MailTransport::File => Mailer::File { dir: settings.mail_dir() },
            MailTransport::Smtp => {
                let host = mail.smtp_host.clone().unwrap_or_default();
                let mut builder = match mail.smtp_tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host).context("mail.smtp_host")?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&host).context("mail.smtp_host")?,
                };
                builder = builder.port(mail.smtp_port).timeout(Some(Duration::from_secs(30)));
                if let (Some(user), Some(password)) = (&mail.smtp_username, &mail.smtp_password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
                }
                Mailer::Smtp(Box::new(builder.build()))
            }
        })
    }

    /// Sends one message. The error is kept on the outbox row, so it says what went wrong.
    pub async fn send(
        &self,
        from: &Mailbox,
        n: &notification::Model,
        attachment: Option<&MailAttachment>,
    ) -> Result<(), SendError> {
        let message = build(from, n, attachment).map_err(SendError::Unbuildable)?;
        match self {
            Mailer::File { dir } => {
                let bytes = message.formatted();
                let dir = dir.clone();
                let id = n.id;
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    // Named after the outbox row: a retried delivery rewrites the same file.
                    let temp = dir.join(format!(".{id}.eml.tmp"));
                    std::fs::write(&temp, bytes)?;
                    std::fs::rename(temp, dir.join(format!("{id}.eml")))
                })
                .await
                .map_err(|e| SendError::Transient(e.to_string()))?
                .map_err(|e| SendError::Transient(format!("writing the mail file: {e}")))
            }
            Mailer::Smtp(transport) => {
                transport.send(message).await.map(|_| ()).map_err(|e| SendError::Transient(format!("SMTP: {e}")))
            }
        }
    }
}

/// A file sent with a message (an issued document's PDF).
#[derive(Debug, Clone)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The message cannot be made from what the outbox row holds (an address that does not
    /// parse, a name with a line break): trying again changes nothing until the data is
    /// corrected, so the row is marked failed at once.
    Unbuildable(String),
    /// The server or the disk refused it this time: retried with back-off.
    Transient(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Unbuildable(why) => write!(f, "cannot be built: {why}"),
            SendError::Transient(why) => f.write_str(why),
        }
    }
}

pub fn sender(settings: &MailSettings) -> anyhow::Result<Mailbox> {
    settings.from.parse::<Mailbox>().with_context(|| format!("mail.from {:?} is not a mailbox", settings.from))
}

/// Builds the message fallibly: lettre panics when a mailbox name or a header holds a line
/// break, so those are refused here first (a record from before the input rules, or a
/// template edited to put a name in the subject, may still hold one).
fn build(from: &Mailbox, n: &notification::Model, attachment: Option<&MailAttachment>) -> Result<Message, String> {
    let controls = |s: &str| s.chars().any(crate::domain::input::is_forbidden_in_line);
    if n.recipient_name.as_deref().is_some_and(controls) {
        return Err("the recipient's name holds a line break or control character; correct it, then retry".into());
    }
    if controls(&n.subject) {
        return Err("the subject holds a line break or control character".into());
    }
    if controls(&n.recipient_email) {
        return Err("the recipient's address holds a control character; correct it, then retry".into());
    }
    let to = Mailbox::new(
        n.recipient_name.clone(),
        n.recipient_email.parse().map_err(|e| format!("recipient address: {e}; correct it, then retry"))?,
    );
    let body = MultiPart::alternative_plain_html(n.body_text.clone(), n.body_html.clone());
    let body = match attachment {
        Some(a) => {
            let content_type = ContentType::parse(a.content_type).map_err(|e| format!("attachment type: {e}"))?;
            MultiPart::mixed()
                .multipart(body)
                .singlepart(Attachment::new(a.filename.clone()).body(a.bytes.clone(), content_type))
        }
        None => body,
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(n.subject.clone())
        .message_id(Some(format!("<{}@consumer-protection>", n.id)))
        .multipart(body)
        .map_err(|e| format!("building the message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(name: &str, email: &str, subject: &str) -> notification::Model {
        let now = chrono::Utc::now();
        notification::Model {
            id: uuid::Uuid::now_v7(),
            case_id: None,
            inspection_id: None,
            document_id: None,
            kind: "case_filed".into(),
            recipient_email: email.into(),
            recipient_name: Some(name.into()),
            recipient_role: "consumer".into(),
            recipient_user_id: None,
            locale: "en".into(),
            subject: subject.into(),
            body_text: "text".into(),
            body_html: "<p>text</p>".into(),
            status: "sending".into(),
            attempts: 1,
            next_attempt_at: now,
            claimed_until: None,
            last_error: None,
            sent_at: None,
            created_at: now,
        }
    }

    #[test]
    fn what_lettre_would_panic_on_is_refused_instead() {
        let from: Mailbox = "Office <office@example.org>".parse().unwrap();
        assert!(build(&from, &message("Eve Chen", "eve@example.tw", "Received"), None).is_ok());
        for (name, email, subject) in [
            ("Eve\nNewline", "eve@example.tw", "Received"),
            ("Mallory\r\nBcc: x@evil.example", "m@example.tw", "Received"),
            ("Eve", "eve@example.tw", "Re\r\nBcc: x@evil.example"),
            ("Eve", "not an address", "Received"),
        ] {
            assert!(build(&from, &message(name, email, subject), None).is_err(), "{name:?} {email:?} {subject:?}");
        }
    }
}
