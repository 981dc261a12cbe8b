//! SMS and KakaoTalk 알림톡 delivery through a provider's HTTP API: one JSON POST per send,
//! built from a template, with the send id as `Idempotency-Key`.

use serde_json::Value;

use super::config::WebhookConfig;

/// Why a webhook call failed; `permanent` ones are not retried.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct WebhookError {
    /// What went wrong.
    pub message: String,
    /// True for a 4xx answer other than 408 and 429.
    pub permanent: bool,
}

/// Fills the template: every `{{name}}` inside a JSON string value is replaced by the value of
/// `name`, so values are escaped by the JSON encoder, never spliced into JSON text.
pub fn render(template: &str, values: &[(&str, &str)]) -> Result<Value, String> {
    let mut doc: Value = serde_json::from_str(template)
        .map_err(|e| format!("the webhook template is not JSON: {e}"))?;
    fill(&mut doc, values);
    Ok(doc)
}

fn fill(value: &mut Value, values: &[(&str, &str)]) {
    match value {
        Value::String(s) => {
            for (name, v) in values {
                *s = s.replace(&format!("{{{{{name}}}}}"), v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill(v, values)),
        Value::Object(map) => map.values_mut().for_each(|v| fill(v, values)),
        _ => {}
    }
}

/// POSTs the filled template.
pub async fn send(
    client: &reqwest::Client,
    config: &WebhookConfig,
    send_id: &str,
    values: &[(&str, &str)],
) -> Result<(), WebhookError> {
    let body = render(&config.template, values).map_err(|message| WebhookError {
        message,
        permanent: true,
    })?;
    let mut request = client
        .post(&config.url)
        .timeout(config.timeout)
        .header("Idempotency-Key", send_id)
        .json(&body);
    if let Some(auth) = &config.authorization {
        request = request.header(reqwest::header::AUTHORIZATION, auth);
    }
    let response = request.send().await.map_err(|e| WebhookError {
        message: format!("webhook: {}", e.without_url()),
        permanent: false,
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    Err(WebhookError {
        message: format!("webhook answered {status}"),
        permanent: status.is_client_error()
            && status != reqwest::StatusCode::REQUEST_TIMEOUT
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn values_are_escaped_not_spliced() {
        let doc = render(
            r#"{"to":"{{phone}}","msg":["{{text}}"],"n":1}"#,
            &[("phone", "+8210"), ("text", "따옴표 \" 와 {{phone}}")],
        )
        .unwrap();
        assert_eq!(doc["to"], "+8210");
        assert_eq!(doc["msg"][0], "따옴표 \" 와 {{phone}}");
        assert_eq!(doc["n"], 1);
        assert!(render("not json", &[]).is_err());
    }
}
