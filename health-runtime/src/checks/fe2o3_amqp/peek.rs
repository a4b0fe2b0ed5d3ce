//! The Service Bus run: put a token on `$cbs`, peek one message through `$management`,
//! point by point as Microsoft's clients do it (each point cites the client it follows).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fe2o3_amqp::Session;
use fe2o3_amqp::connection::ConnectionHandle;
use fe2o3_amqp::sasl_profile::SaslProfile;
use fe2o3_amqp::session::SessionHandle;
use fe2o3_amqp::types::messaging::{AmqpValue, ApplicationProperties, Message};
use fe2o3_amqp::types::primitives::{OrderedMap, SimpleValue, Timestamp, Value};

use super::super::failure::failed;
use super::connection_string::{Credential, ServiceBus};
use super::management::{Answer, CallError, ManagementLink};
use super::sas;
use super::transport::open;
use crate::check::CheckOutcome;
use crate::redact::Secrets;

/// The token type of a shared access signature on `$cbs`.
const SAS_TOKEN_TYPE: &str = "servicebus.windows.net:sastoken";
/// The token type of an Entra ID token on `$cbs` (Microsoft.Azure.Amqp `CbsConstants`
/// `JsonWebToken`; azure-sdk-for-python `_pyamqp/cbs.py` `TokenType.JWT`).
#[cfg(feature = "azure-identity")]
const JWT_TOKEN_TYPE: &str = "jwt";
/// The management operation that reads messages without locking them.
const PEEK_OPERATION: &str = "com.microsoft:peek-message";
/// The condition of a `404` that means "nothing to peek" (azure-sdk-for-net
/// `Amqp/AmqpClientConstants.cs` `MessageNotFoundError`).
const MESSAGE_NOT_FOUND: &str = "com.microsoft:message-not-found";
/// What a `put-token` or a `$cbs` answer may weigh: a status and a description.
const MAX_CBS_ANSWER_BYTES: u64 = 64 * 1024;

/// Opens a connection and a session to `bus`, authorises on `$cbs` (its shared access
/// signature, or an Entra ID token with the `azure-identity` feature), and peeks one
/// message of its entity through `$management`.
///
/// Healthy when the entity answers: `200` with the peeked message (`peeked: 1`), or "no
/// message" (`peeked: 0`) as Microsoft's clients read it — `204`, `202`, or `404` with the
/// condition `com.microsoft:message-not-found`. Nothing is locked or consumed, and no more
/// than the entity's `max_peek_bytes` (1 MiB by default) is read.
pub async fn peek(bus: &ServiceBus) -> CheckOutcome {
    peek_registering(bus, None).await
}

/// [`peek`], each token used first added to `secrets`.
pub(super) async fn peek_registering(bus: &ServiceBus, secrets: Option<&Secrets>) -> CheckOutcome {
    let mut connection = match open(
        &bus.host,
        bus.port,
        bus.tls.as_ref(),
        SaslProfile::Anonymous,
    )
    .await
    {
        Ok(connection) => connection,
        Err(outcome) => return outcome,
    };
    let outcome = peek_on(&mut connection, bus, secrets).await;
    let _ = connection.close().await;
    outcome
}

async fn peek_on(
    connection: &mut ConnectionHandle<()>,
    bus: &ServiceBus,
    secrets: Option<&Secrets>,
) -> CheckOutcome {
    let mut session = match Session::begin(connection).await {
        Ok(session) => session,
        Err(error) => return failed("servicebus: begin a session", &error),
    };
    let outcome = match authorise(&mut session, bus, secrets).await {
        Ok(()) => peek_entity(&mut session, bus).await,
        Err(outcome) => outcome,
    };
    let _ = session.end().await;
    outcome
}

/// A token for `$cbs`: its value, its type and when it expires.
struct CbsToken {
    value: String,
    token_type: &'static str,
    expires_at: SystemTime,
}

async fn token(bus: &ServiceBus, secrets: Option<&Secrets>) -> Result<CbsToken, CheckOutcome> {
    let token = match &bus.credential {
        Credential::Key { name, key } => {
            let expiry = sas::expiry_from_now();
            CbsToken {
                value: sas::token(&bus.audience(), name, key, expiry),
                token_type: SAS_TOKEN_TYPE,
                expires_at: UNIX_EPOCH + Duration::from_secs(expiry),
            }
        }
        Credential::Signature(signature) => CbsToken {
            value: signature.clone(),
            token_type: SAS_TOKEN_TYPE,
            expires_at: sas::signature_expiry(signature)
                .unwrap_or_else(|| SystemTime::now() + sas::TOKEN_LIFETIME),
        },
        #[cfg(feature = "azure-identity")]
        Credential::Identity(tokens) => {
            let token = tokens.token().await.map_err(|error| {
                CheckOutcome::unhealthy(format!("servicebus: no token for {bus}: {error}"))
            })?;
            if let Some(secrets) = secrets {
                tokens.register(secrets, &token);
            }
            CbsToken {
                value: token.secret().to_owned(),
                token_type: JWT_TOKEN_TYPE,
                expires_at: token.expires_at(),
            }
        }
    };
    if let Some(secrets) = secrets {
        secrets.add(&token.value);
    }
    Ok(token)
}

/// `put-token` of the entity's token for its audience on `$cbs`, as Microsoft.Azure.Amqp's
/// `AmqpCbsLink` sends it: the token as the body; `operation`, `type`, `name` (the
/// audience) and `expiration` (an AMQP timestamp, never absent) as application
/// properties. `200` and `202` are both accepted, as `AmqpCbsLink` and
/// azure-sdk-for-python `_pyamqp/cbs.py` accept them.
async fn authorise(
    session: &mut SessionHandle<()>,
    bus: &ServiceBus,
    secrets: Option<&Secrets>,
) -> Result<(), CheckOutcome> {
    let token = token(bus, secrets).await?;
    let context = format!("servicebus: put-token for {bus}");
    let mut cbs = ManagementLink::attach(session, "$cbs", MAX_CBS_ANSWER_BYTES)
        .await
        .map_err(|error| CheckOutcome::unhealthy(format!("servicebus: attach to $cbs: {error}")))?;
    let expiration = token
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
    let request = Message::builder()
        .application_properties(
            ApplicationProperties::builder()
                .insert("operation", "put-token")
                .insert("type", token.token_type)
                .insert("name", bus.audience())
                .insert(
                    "expiration",
                    SimpleValue::Timestamp(Timestamp::from_milliseconds(expiration)),
                )
                .build(),
        )
        .value(Value::String(token.value))
        .build();
    let answer = cbs.call(request).await;
    cbs.close().await;
    match answer {
        Ok(Answer {
            status: 200 | 202, ..
        }) => Ok(()),
        Ok(answer) => Err(status_failure(&context, &answer)),
        Err(error) => Err(CheckOutcome::unhealthy(format!("{context}: {error}"))),
    }
}

async fn peek_entity(session: &mut SessionHandle<()>, bus: &ServiceBus) -> CheckOutcome {
    let node = format!("{}/$management", bus.entity);
    let mut management = match ManagementLink::attach(session, &node, bus.max_peek_bytes).await {
        Ok(link) => link,
        Err(error) => {
            return CheckOutcome::unhealthy(format!(
                "servicebus: attach to $management of {bus}: {error}"
            ));
        }
    };
    let answer = management.call(peek_request()).await;
    management.close().await;
    let context = format!("servicebus: peek on {bus}");
    match answer {
        Ok(answer) => judge_peek(&context, &answer),
        // Only a peeked message can be that large: the entity answered with one.
        Err(CallError::TooLarge(bound)) => CheckOutcome::healthy()
            .with_detail("peeked", 1)
            .with_detail("larger_than_bytes", bound),
        Err(error) => CheckOutcome::unhealthy(format!("{context}: {error}")),
    }
}

/// `com.microsoft:peek-message` for one message from the start of the entity, as
/// azure-sdk-for-net `Amqp/AmqpReceiver.cs` `PeekMessagesInternalAsync` sends it on a new
/// receiver: `from-sequence-number` a long (`LastPeekedSequenceNumber + 1`, so 1; and
/// azure-sdk-for-python `_servicebus_receiver.py` `types.AMQPLong(1)`), `message-count` an
/// int, and `com.microsoft:server-timeout` in milliseconds as a uint.
fn peek_request() -> Message<AmqpValue<Value>> {
    let mut body = OrderedMap::new();
    body.insert(Value::from("from-sequence-number"), Value::Long(1));
    body.insert(Value::from("message-count"), Value::Int(1));
    Message::builder()
        .application_properties(
            ApplicationProperties::builder()
                .insert("operation", PEEK_OPERATION)
                .insert("com.microsoft:server-timeout", 2000u32)
                .build(),
        )
        .value(Value::Map(body))
        .build()
}

/// A peek's answer: `200` lists the peeked messages; "nothing to peek" is `204` or `404`
/// with `com.microsoft:message-not-found` for azure-sdk-for-net (`Amqp/AmqpReceiver.cs`),
/// `202` or `204` for azure-sdk-for-python (`_common/mgmt_handlers.py` `peek_op`).
fn judge_peek(context: &str, answer: &Answer) -> CheckOutcome {
    match answer.status {
        200 => CheckOutcome::healthy().with_detail("peeked", peeked(&answer.body)),
        202 | 204 => CheckOutcome::healthy().with_detail("peeked", 0),
        404 if answer.condition.as_deref() == Some(MESSAGE_NOT_FOUND) => {
            CheckOutcome::healthy().with_detail("peeked", 0)
        }
        _ => status_failure(context, answer),
    }
}

fn peeked(body: &Value) -> usize {
    match body {
        Value::Map(map) => match map.get(&Value::from("messages")) {
            Some(Value::List(messages)) => messages.len(),
            Some(Value::Array(messages)) => messages.0.len(),
            _ => 0,
        },
        _ => 0,
    }
}

/// A status the service refused with, shown as it was sent (the description names the
/// entity or the claim that was missing; a token is never part of it).
fn status_failure(context: &str, answer: &Answer) -> CheckOutcome {
    let mut message = format!("{context}: status {}", answer.status);
    match (&answer.condition, &answer.description) {
        (Some(condition), Some(description)) => {
            message.push_str(&format!(" {condition} ({description})"));
        }
        (Some(condition), None) => message.push_str(&format!(" {condition}")),
        (None, Some(description)) => message.push_str(&format!(" ({description})")),
        (None, None) => {}
    }
    CheckOutcome::unhealthy(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckStatus;

    fn answer(status: u16, condition: Option<&str>) -> Answer {
        Answer {
            status,
            description: Some("described".into()),
            condition: condition.map(Into::into),
            body: Value::Null,
        }
    }

    #[test]
    fn empty_entities_answer_in_three_ways() {
        for empty in [
            answer(204, None),
            answer(202, None),
            answer(404, Some(MESSAGE_NOT_FOUND)),
        ] {
            let outcome = judge_peek("peek", &empty);
            assert_eq!(outcome.status(), CheckStatus::Healthy, "{}", empty.status);
        }
        let missing = judge_peek("peek", &answer(404, Some("amqp:not-found")));
        assert_eq!(
            missing.message(),
            Some("peek: status 404 amqp:not-found (described)")
        );
    }

    #[test]
    fn the_request_is_typed_as_the_sdks_send_it() {
        let request = peek_request();
        let Value::Map(body) = &request.body.0 else {
            panic!("a map body")
        };
        assert_eq!(
            body.get(&Value::from("from-sequence-number")),
            Some(&Value::Long(1))
        );
        assert_eq!(
            body.get(&Value::from("message-count")),
            Some(&Value::Int(1))
        );
    }
}
