//! The Service Bus run: put a token on `$cbs`, peek one message through `$management`.

use fe2o3_amqp::Session;
use fe2o3_amqp::connection::ConnectionHandle;
use fe2o3_amqp::sasl_profile::SaslProfile;
use fe2o3_amqp::session::SessionHandle;
use fe2o3_amqp::types::messaging::{ApplicationProperties, Message};
use fe2o3_amqp::types::primitives::{OrderedMap, Timestamp, Value};
use fe2o3_amqp_cbs::client::CbsClient;
use fe2o3_amqp_cbs::token::CbsToken;
use fe2o3_amqp_management::client::MgmtClient;
use fe2o3_amqp_management::error::{Error as MgmtError, StatusError};
use fe2o3_amqp_management::request::Request;
use fe2o3_amqp_management::response::Response;

use super::super::failure::failed;
use super::connection_string::{Credential, ServiceBus};
use super::sas;
use super::transport::open;
use crate::check::CheckOutcome;

/// The token type Service Bus accepts for a shared access signature.
const SAS_TOKEN_TYPE: &str = "servicebus.windows.net:sastoken";
/// The management operation that reads messages without locking them.
const PEEK_OPERATION: &str = "com.microsoft:peek-message";

/// Opens a connection and a session to `bus`, authorises with its shared access
/// signature on `$cbs`, and peeks one message of its entity through `$management`.
///
/// Healthy when the entity answers: `200` with the peeked message or `204` when it is
/// empty (`peeked` in the details is 1 or 0). Nothing is locked or consumed.
pub async fn peek(bus: &ServiceBus) -> CheckOutcome {
    let mut connection = match open(&bus.host, bus.port, bus.tls, SaslProfile::Anonymous).await {
        Ok(connection) => connection,
        Err(outcome) => return outcome,
    };
    let outcome = peek_on(&mut connection, bus).await;
    let _ = connection.close().await;
    outcome
}

async fn peek_on(connection: &mut ConnectionHandle<()>, bus: &ServiceBus) -> CheckOutcome {
    let mut session = match Session::begin(connection).await {
        Ok(session) => session,
        Err(error) => return failed("servicebus: begin a session", &error),
    };
    let outcome = match authorise(&mut session, bus).await {
        Ok(()) => peek_entity(&mut session, bus).await,
        Err(outcome) => outcome,
    };
    let _ = session.end().await;
    outcome
}

/// `put-token` of a signature for the entity's audience on the `$cbs` node.
async fn authorise(session: &mut SessionHandle<()>, bus: &ServiceBus) -> Result<(), CheckOutcome> {
    let audience = bus.audience();
    let (token, expiry) = match &bus.credential {
        Credential::Key { name, key } => {
            let expiry = sas::expiry_from_now();
            (sas::token(&audience, name, key, expiry), Some(expiry))
        }
        Credential::Signature(signature) => (signature.clone(), None),
    };
    let mut cbs = CbsClient::attach(session)
        .await
        .map_err(|error| failed("servicebus: attach to $cbs", &error))?;
    let expires_at = expiry.map(|seconds| Timestamp::from_milliseconds(seconds as i64 * 1000));
    let put = cbs
        .put_token(
            audience.as_str(),
            CbsToken::new(token, SAS_TOKEN_TYPE, expires_at),
        )
        .await;
    let _ = cbs.close().await;
    put.map_err(|error| management_failure(&format!("servicebus: put-token for {bus}"), error))
}

async fn peek_entity(session: &mut SessionHandle<()>, bus: &ServiceBus) -> CheckOutcome {
    let mut management = match MgmtClient::builder()
        .management_node_address(format!("{}/$management", bus.entity))
        .client_node_addr(format!("health-runtime-{}", std::process::id()))
        .attach(session)
        .await
    {
        Ok(client) => client,
        Err(error) => return failed("servicebus: attach to $management", &error),
    };
    let answer = management.call(PeekRequest).await;
    let _ = management.close().await;
    match answer {
        Ok(PeekResponse { peeked }) => CheckOutcome::healthy().with_detail("peeked", peeked),
        // No message to peek: the entity is there and answered.
        Err(MgmtError::Status(StatusError { code, .. })) if code.0.get() == 204 => {
            CheckOutcome::healthy().with_detail("peeked", 0)
        }
        Err(error) => management_failure(&format!("servicebus: peek on {bus}"), error),
    }
}

/// A management call's failure; a status is shown as the service sent it.
fn management_failure(context: &str, error: MgmtError) -> CheckOutcome {
    match error {
        MgmtError::Status(StatusError { code, description }) => CheckOutcome::unhealthy(format!(
            "{context}: status {}{}",
            code.0.get(),
            description
                .map(|text| format!(" ({text})"))
                .unwrap_or_default()
        )),
        other => failed(context, &other),
    }
}

/// `com.microsoft:peek-message` for one message, from the start of the entity.
struct PeekRequest;

impl Request for PeekRequest {
    const OPERATION: &'static str = PEEK_OPERATION;
    type Response = PeekResponse;
    type Body = Value;

    fn encode_application_properties(&mut self) -> Option<ApplicationProperties> {
        Some(
            ApplicationProperties::builder()
                .insert("com.microsoft:server-timeout", 2000u32)
                .build(),
        )
    }

    fn encode_body(self) -> Value {
        let mut body = OrderedMap::new();
        body.insert(Value::from("from-sequence-number"), Value::Long(0));
        body.insert(Value::from("message-count"), Value::Int(1));
        Value::Map(body)
    }
}

/// A `200` answer: the peeked messages are the body's `messages` list.
struct PeekResponse {
    peeked: usize,
}

impl Response for PeekResponse {
    const STATUS_CODE: u16 = 200;
    type Body = Value;
    type Error = MgmtError;

    fn decode_message(message: Message<Value>) -> Result<Self, MgmtError> {
        let peeked = match &message.body {
            Value::Map(map) => match map.get(&Value::from("messages")) {
                Some(Value::List(messages)) => messages.len(),
                Some(Value::Array(messages)) => messages.0.len(),
                _ => 0,
            },
            _ => 0,
        };
        Ok(PeekResponse { peeked })
    }
}
