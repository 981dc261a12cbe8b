//! Survey settings of a server process: signing secret, SMTP, message webhook, scheduler and
//! public rate limit. Filled by the CLI from flags, environment and the config file.

use std::time::Duration;

use super::token::Secret;

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a local relay or a test server).
    None,
    /// STARTTLS on the submission port (587), required.
    #[default]
    StartTls,
    /// Implicit TLS (465).
    Tls,
}

/// The SMTP server e-mail surveys go through.
#[derive(Clone)]
pub struct SmtpConfig {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// Sign-in, if the server needs it.
    pub username: Option<String>,
    /// Its password (never logged).
    pub password: Option<String>,
    /// The sender, e.g. `cxmap <survey@example.com>`.
    pub from: String,
    /// How long one SMTP exchange may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// The HTTP endpoint of an SMS or KakaoTalk 알림톡 provider.
#[derive(Clone)]
pub struct WebhookConfig {
    /// Where to POST.
    pub url: String,
    /// A JSON template; string values may contain `{{phone}}`, `{{text}}`, `{{url}}`,
    /// `{{channel}}`, `{{send_id}}`, `{{kind}}`, `{{customer_id}}`.
    pub template: String,
    /// Sent as the `Authorization` header value when set (never logged).
    pub authorization: Option<String>,
    /// How long one request may take.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// The template used when none is configured.
    pub const DEFAULT_TEMPLATE: &'static str = r#"{"to":"{{phone}}","channel":"{{channel}}","text":"{{text}}","url":"{{url}}","idempotency_key":"{{send_id}}"}"#;
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("authorization", &self.authorization.as_ref().map(|_| "***"))
            .finish()
    }
}

/// How the send scheduler runs.
#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    /// Whether this process drains the send queue.
    pub enabled: bool,
    /// Sleep between scans when nothing was due.
    pub poll: Duration,
    /// How long a claim holds a send before another scheduler may take it over.
    pub lease: Duration,
    /// Sends claimed per scan.
    pub batch: u32,
    /// Attempts before a send is marked failed.
    pub max_attempts: u32,
    /// The first retry delay; it doubles per attempt.
    pub retry_base: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            poll: Duration::from_secs(5),
            lease: Duration::from_secs(300),
            batch: 10,
            max_attempts: 5,
            retry_base: Duration::from_secs(60),
        }
    }
}

/// Everything surveys need from the process configuration.
#[derive(Clone, Debug)]
pub struct SurveyConfig {
    /// Signs personal and unsubscribe links.
    pub secret: Secret,
    /// E-mail delivery; none = e-mail sends fail with a clear reason.
    pub smtp: Option<SmtpConfig>,
    /// SMS/알림톡 delivery; none = such sends fail with a clear reason.
    pub webhook: Option<WebhookConfig>,
    /// The scheduler.
    pub scheduler: SchedulerConfig,
    /// Answers per second per client address on the public endpoints (burst twice that).
    pub public_rate_per_second: u32,
    /// The limiter itself, built on first use and shared by clones of this config.
    pub limiter: super::public::LimiterSlot,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        Self {
            secret: Secret::random(),
            smtp: None,
            webhook: None,
            scheduler: SchedulerConfig::default(),
            public_rate_per_second: 20,
            limiter: super::public::LimiterSlot::default(),
        }
    }
}
