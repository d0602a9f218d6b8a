//! Where mail goes: `.eml` files (the embedded default) or an SMTP server (lettre).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use entity::notification;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailTransport, Settings, SmtpTls};

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
    pub async fn send(&self, from: &Mailbox, n: &notification::Model) -> Result<(), String> {
        let message = build(from, n)?;
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
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("writing the mail file: {e}"))
            }
            Mailer::Smtp(transport) => transport.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}")),
        }
    }
}

pub fn sender(settings: &Settings) -> anyhow::Result<Mailbox> {
    settings
        .mail
        .from
        .parse::<Mailbox>()
        .with_context(|| format!("mail.from {:?} is not a mailbox", settings.mail.from))
}

fn build(from: &Mailbox, n: &notification::Model) -> Result<Message, String> {
    let to = Mailbox::new(
        n.recipient_name.clone(),
        n.recipient_email.parse().map_err(|e| format!("recipient address: {e}"))?,
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(n.subject.clone())
        .message_id(Some(format!("<{}@consumer-protection>", n.id)))
        .multipart(MultiPart::alternative_plain_html(n.body_text.clone(), n.body_html.clone()))
        .map_err(|e| format!("building the message: {e}"))
}
