//! E-mail delivery over SMTP (lettre). The Message-ID is derived from the send id, so a send
//! retried after a crash carries the same id and receivers can recognise the duplicate.

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::{SmtpConfig, SmtpTls};

/// Why an e-mail was not handed over; `permanent` ones are not retried.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct MailError {
    /// What went wrong (no secrets).
    pub message: String,
    /// True when retrying cannot help (bad address, rejected recipient).
    pub permanent: bool,
}

/// One survey e-mail.
pub struct SurveyMail<'a> {
    /// The idempotency key (the send id).
    pub send_id: &'a str,
    /// Recipient address.
    pub to: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// The one-click unsubscribe URL (RFC 8058).
    pub unsubscribe_url: &'a str,
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

fn permanent(message: impl Into<String>) -> MailError {
    MailError {
        message: message.into(),
        permanent: true,
    }
}

/// Sends `mail` through the configured SMTP server.
pub async fn send(config: &SmtpConfig, mail: SurveyMail<'_>) -> Result<(), MailError> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| permanent(format!("bad sender address: {e}")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| permanent(format!("bad recipient address: {e}")))?;
    let domain = from.email.domain().to_owned();
    let message = Message::builder()
        .message_id(Some(format!("<survey-send-{}@{domain}>", mail.send_id)))
        .from(from)
        .to(to)
        .subject(mail.subject)
        .header(ListUnsubscribe(format!("<{}>", mail.unsubscribe_url)))
        .header(ListUnsubscribePost)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html),
                ),
        )
        .map_err(|e| permanent(format!("cannot build the message: {e}")))?;
    let builder = match config.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
            .map_err(|e| permanent(format!("SMTP TLS setup: {e}")))?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
            .map_err(|e| permanent(format!("SMTP TLS setup: {e}")))?,
    };
    let mut builder = builder.port(config.port).timeout(Some(config.timeout));
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    let transport = builder.build();
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| MailError {
            permanent: e.is_permanent(),
            message: format!("SMTP {}:{}: {e}", config.host, config.port),
        })
}
