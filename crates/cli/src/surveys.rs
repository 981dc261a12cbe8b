//! Command-line and environment settings of survey delivery (`serve` and `demo`).

use std::time::Duration;

use clap::{Args, ValueEnum};
use cxmap_server::surveys::SurveyConfig;
use cxmap_server::surveys::config::{SchedulerConfig, SmtpConfig, SmtpTls, WebhookConfig};
use cxmap_server::surveys::token::Secret;

use crate::CliError;

#[derive(Clone, Copy, ValueEnum)]
pub enum TlsArg {
    None,
    Starttls,
    Tls,
}

/// Survey delivery settings.
#[derive(Args, Clone)]
pub struct SurveyArgs {
    /// Key that signs personal survey and unsubscribe links (≥ 16 characters). Without it a
    /// random key is used and links stop working when the process restarts.
    #[arg(long, env = "CXMAP_SURVEY_SECRET", hide_env_values = true)]
    survey_secret: Option<String>,
    /// SMTP server for e-mail surveys.
    #[arg(long, env = "CXMAP_SMTP_HOST")]
    smtp_host: Option<String>,
    /// SMTP port.
    #[arg(long, env = "CXMAP_SMTP_PORT", default_value_t = 587)]
    smtp_port: u16,
    /// SMTP transport security.
    #[arg(long, env = "CXMAP_SMTP_TLS", value_enum, default_value = "starttls")]
    smtp_tls: TlsArg,
    /// SMTP user name.
    #[arg(long, env = "CXMAP_SMTP_USERNAME")]
    smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "CXMAP_SMTP_PASSWORD", hide_env_values = true)]
    smtp_password: Option<String>,
    /// Sender of survey e-mails, e-g. `cxmap <survey@example.com>`.
    #[arg(
        long,
        env = "CXMAP_SMTP_FROM",
        default_value = "cxmap <survey@cxmap.local>"
    )]
    smtp_from: String,
    /// HTTP endpoint of the SMS / KakaoTalk 알림톡 provider.
    #[arg(long, env = "CXMAP_SMS_WEBHOOK_URL")]
    sms_webhook_url: Option<String>,
    /// JSON template of the webhook body ({{phone}}, {{text}}, {{url}}, {{channel}}, {{send_id}}, {{kind}}, {{customer_id}}).
    #[arg(long, env = "CXMAP_SMS_WEBHOOK_TEMPLATE")]
    sms_webhook_template: Option<String>,
    /// `Authorization` header value for the webhook.
    #[arg(long, env = "CXMAP_SMS_WEBHOOK_AUTHORIZATION", hide_env_values = true)]
    sms_webhook_authorization: Option<String>,
    /// Do not run the send scheduler in this process.
    #[arg(long, env = "CXMAP_NO_SCHEDULER")]
    no_scheduler: bool,
    /// Scheduler scan interval when idle, in milliseconds.
    #[arg(long, env = "CXMAP_SCHEDULER_POLL_MS", default_value_t = 5000)]
    scheduler_poll_ms: u64,
    /// How long a claimed send is held before another scheduler may retry it, in seconds.
    #[arg(long, env = "CXMAP_SEND_LEASE_SECS", default_value_t = 300)]
    send_lease_secs: u64,
    /// Attempts before a send is marked failed.
    #[arg(long, env = "CXMAP_SEND_MAX_ATTEMPTS", default_value_t = 5)]
    send_max_attempts: u32,
    /// First retry delay in seconds (doubles per attempt).
    #[arg(long, env = "CXMAP_SEND_RETRY_BASE_SECS", default_value_t = 60)]
    send_retry_base_secs: u64,
    /// Public survey answers per second per client address.
    #[arg(long, env = "CXMAP_SURVEY_PUBLIC_RATE", default_value_t = 20)]
    survey_public_rate: u32,
}

impl SurveyArgs {
    /// The server's survey configuration.
    pub fn config(&self) -> Result<SurveyConfig, CliError> {
        let secret = match &self.survey_secret {
            Some(value) => Secret::from_config(value).map_err(CliError::Usage)?,
            None => {
                tracing::warn!(
                    "no --survey-secret / CXMAP_SURVEY_SECRET: personal survey links will stop working after a restart"
                );
                Secret::random()
            }
        };
        let smtp = self.smtp_host.as_ref().map(|host| SmtpConfig {
            host: host.clone(),
            port: self.smtp_port,
            tls: match self.smtp_tls {
                TlsArg::None => SmtpTls::None,
                TlsArg::Starttls => SmtpTls::StartTls,
                TlsArg::Tls => SmtpTls::Tls,
            },
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from: self.smtp_from.clone(),
            timeout: Duration::from_secs(15),
        });
        let webhook = match &self.sms_webhook_url {
            Some(url) => {
                let template = self
                    .sms_webhook_template
                    .clone()
                    .unwrap_or_else(|| WebhookConfig::DEFAULT_TEMPLATE.to_owned());
                serde_json::from_str::<serde_json::Value>(&template).map_err(|e| {
                    CliError::Usage(format!("--sms-webhook-template is not JSON: {e}"))
                })?;
                Some(WebhookConfig {
                    url: url.clone(),
                    template,
                    authorization: self.sms_webhook_authorization.clone(),
                    timeout: Duration::from_secs(15),
                })
            }
            None => None,
        };
        Ok(SurveyConfig {
            secret,
            smtp,
            webhook,
            scheduler: SchedulerConfig {
                enabled: !self.no_scheduler,
                poll: Duration::from_millis(self.scheduler_poll_ms.max(10)),
                lease: Duration::from_secs(self.send_lease_secs.max(1)),
                batch: 10,
                max_attempts: self.send_max_attempts.max(1),
                retry_base: Duration::from_secs(self.send_retry_base_secs),
            },
            public_rate_per_second: self.survey_public_rate.max(1),
            ..SurveyConfig::default()
        })
    }
}
