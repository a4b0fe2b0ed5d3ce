//! A stand-in for Azure Service Bus, which the tests cannot reach: an in-process AMQP 1.0
//! peer built on `fe2o3-amqp`'s acceptor, answering the two requests the Service Bus check
//! makes the way the service answers Microsoft's own clients.
//!
//! - `put-token` on `$cbs`: a shared access signature of the entity's audience, signed
//!   with the known key of the known policy and not expired (type
//!   `servicebus.windows.net:sastoken`), or an Entra ID token the test accepts (type
//!   `jwt`), is `202 Accepted` — or `200 OK`, which Microsoft.Azure.Amqp's `AmqpCbsLink`
//!   accepts as well (`set_put_token_status`); anything else is `401`. The answer carries
//!   `status-code` and `status-description`, the names `AmqpCbsLink` reads.
//! - `com.microsoft:peek-message` on `<entity>/$management`: `404` for another entity,
//!   `401` before a token for the entity was put on this connection, "no message" when
//!   the entity is empty — `204`, or `404` with `errorCondition`
//!   `com.microsoft:message-not-found`, both of which the service sends and
//!   azure-sdk-for-net `Amqp/AmqpReceiver.cs` reads as empty (`set_empty_answer`) — and
//!   `200` with the peeked messages (at most the requested count) otherwise. Management
//!   answers carry `statusCode`, `statusDescription` and `errorCondition` (a symbol), the
//!   names of azure-sdk-for-net `Amqp/ManagementConstants.cs`. Nothing is consumed.
//!
//! Every request is recorded (`seen`): the token type, audience and `expiration` of each
//! `put-token`, the typed body of each peek, the reply-to address of each link, so that
//! the tests compare what the check sends with what the SDKs send.
//!
//! It sits behind a fault proxy, so that it can be frozen, killed and restarted like the
//! private servers; with [`ServiceBusPeer::start_tls`] it speaks AMQPS with a certificate
//! of the test's own CA.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use fe2o3_amqp::acceptor::{
    ConnectionAcceptor, LinkAcceptor, LinkEndpoint, ListenerSessionHandle, SaslAnonymousMechanism,
    SessionAcceptor,
};
use fe2o3_amqp::types::messaging::{AmqpValue, ApplicationProperties, Message, Properties};
use fe2o3_amqp::types::primitives::{Binary, OrderedMap, SimpleValue, Symbol, Value};
use fe2o3_amqp::{Receiver, Sender};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use crate::delegate_dependency;
use crate::dependency::Dependency;
use crate::fault_proxy::FaultProxy;

/// The policy whose key signs the tokens the peer accepts.
pub const KEY_NAME: &str = "health-listen";

/// How the peer says an entity has nothing to peek.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyAnswer {
    /// `204 No Content`.
    NoContent,
    /// `404` with `errorCondition` `com.microsoft:message-not-found`.
    MessageNotFound,
}

/// A `put-token` as the peer received it.
#[derive(Clone, Debug)]
pub struct PutToken {
    /// The `type` application property.
    pub token_type: String,
    /// The `name` application property: the audience.
    pub audience: String,
    /// The `expiration` application property, as received (a timestamp when sent as the
    /// SDKs send it).
    pub expiration: Option<SimpleValue>,
    /// The token (the body).
    pub token: String,
    /// The `reply-to` of the request.
    pub reply_to: String,
}

/// A peek as the peer received it.
#[derive(Clone, Debug)]
pub struct Peek {
    /// The body's `from-sequence-number`, typed as received.
    pub from_sequence_number: Option<Value>,
    /// The body's `message-count`, typed as received.
    pub message_count: Option<Value>,
    /// The `reply-to` of the request.
    pub reply_to: String,
}

/// Everything the peer received, in order.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Every `put-token`.
    pub put_tokens: Vec<PutToken>,
    /// Every peek.
    pub peeks: Vec<Peek>,
}

type TokenCheck = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The stand-in, serving one entity.
pub struct ServiceBusPeer {
    proxy: FaultProxy,
    direct: SocketAddr,
    tls: bool,
    state: Arc<State>,
    task: JoinHandle<()>,
}

struct State {
    entity: String,
    key: String,
    messages: AtomicUsize,
    message_bytes: AtomicUsize,
    put_token_status: AtomicI32,
    empty: Mutex<EmptyAnswer>,
    jwt: Mutex<Option<TokenCheck>>,
    seen: Mutex<Seen>,
}

type Responders = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message<AmqpValue<Value>>>>>>;

impl ServiceBusPeer {
    /// Serves `entity` over plain AMQP, accepting tokens signed with `key` by
    /// [`KEY_NAME`]; the entity starts empty.
    pub async fn start(entity: &str, key: &str) -> ServiceBusPeer {
        ServiceBusPeer::serve(entity, key, None).await
    }

    /// The same over TLS, with `config`'s certificate.
    pub async fn start_tls(entity: &str, key: &str, config: Arc<ServerConfig>) -> ServiceBusPeer {
        ServiceBusPeer::serve(entity, key, Some(TlsAcceptor::from(config))).await
    }

    async fn serve(entity: &str, key: &str, tls: Option<TlsAcceptor>) -> ServiceBusPeer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the peer");
        let direct = listener.local_addr().expect("peer address");
        let state = Arc::new(State {
            entity: entity.to_owned(),
            key: key.to_owned(),
            messages: AtomicUsize::new(0),
            message_bytes: AtomicUsize::new(16),
            put_token_status: AtomicI32::new(202),
            empty: Mutex::new(EmptyAnswer::NoContent),
            jwt: Mutex::new(None),
            seen: Mutex::default(),
        });
        let is_tls = tls.is_some();
        let task = tokio::spawn(serve(listener, Arc::clone(&state), tls));
        let proxy = FaultProxy::start(direct).await;
        ServiceBusPeer {
            proxy,
            direct,
            tls: is_tls,
            state,
            task,
        }
    }

    /// How many messages the entity holds (peeking never changes it).
    pub fn set_messages(&self, count: usize) {
        self.state.messages.store(count, Ordering::SeqCst);
    }

    /// How large each message's body is, in bytes.
    pub fn set_message_bytes(&self, bytes: usize) {
        self.state.message_bytes.store(bytes, Ordering::SeqCst);
    }

    /// The status a good `put-token` is answered with: 200 or 202.
    pub fn set_put_token_status(&self, status: i32) {
        self.state.put_token_status.store(status, Ordering::SeqCst);
    }

    /// How an empty entity is answered.
    pub fn set_empty_answer(&self, answer: EmptyAnswer) {
        *self.state.empty.lock().unwrap() = answer;
    }

    /// Accepts Entra ID tokens (type `jwt`) for which `check` holds.
    pub fn accept_jwt(&self, check: impl Fn(&str) -> bool + Send + Sync + 'static) {
        *self.state.jwt.lock().unwrap() = Some(Arc::new(check));
    }

    /// Everything received so far.
    pub fn seen(&self) -> Seen {
        self.state.seen.lock().unwrap().clone()
    }

    /// The connection string of the entity through the proxy, with `key`: the emulator's
    /// form (plain AMQP on the given port), or a TLS endpoint named `localhost` for a peer
    /// started with [`ServiceBusPeer::start_tls`].
    pub fn connection_string(&self, key: &str) -> String {
        if self.tls {
            tls_connection_string(self.addr().port(), &self.state.entity, key)
        } else {
            connection_string(self.addr(), &self.state.entity, key)
        }
    }

    /// The same, to the peer itself (never frozen nor killed).
    pub fn direct_connection_string(&self, key: &str) -> String {
        if self.tls {
            tls_connection_string(self.direct.port(), &self.state.entity, key)
        } else {
            connection_string(self.direct, &self.state.entity, key)
        }
    }

    /// A connection string without a key, for an identity: the emulator's form to the
    /// peer itself.
    pub fn identity_connection_string(&self) -> String {
        format!(
            "Endpoint=sb://{};EntityPath={};UseDevelopmentEmulator=true",
            self.direct, self.state.entity
        )
    }
}

/// A connection string of `entity` at `addr` signed by [`KEY_NAME`] with `key`.
pub fn connection_string(addr: SocketAddr, entity: &str, key: &str) -> String {
    format!(
        "Endpoint=sb://{addr};SharedAccessKeyName={KEY_NAME};SharedAccessKey={key};\
         EntityPath={entity};UseDevelopmentEmulator=true"
    )
}

fn tls_connection_string(port: u16, entity: &str, key: &str) -> String {
    format!(
        "Endpoint=sb://localhost:{port}/;SharedAccessKeyName={KEY_NAME};SharedAccessKey={key};\
         EntityPath={entity}"
    )
}

impl Drop for ServiceBusPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

delegate_dependency!(ServiceBusPeer, proxy);

async fn serve(listener: TcpListener, state: Arc<State>, tls: Option<TlsAcceptor>) {
    let acceptor = ConnectionAcceptor::builder()
        .container_id("servicebus-stand-in")
        .sasl_acceptor(SaslAnonymousMechanism::new())
        .build();
    let acceptor = Arc::new(acceptor);
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let (acceptor, state, tls) = (Arc::clone(&acceptor), Arc::clone(&state), tls.clone());
        connections.spawn(async move {
            let connection = match tls {
                Some(tls) => match tls.accept(stream).await {
                    Ok(stream) => acceptor.accept(stream).await,
                    Err(_) => return,
                },
                None => acceptor.accept(stream).await,
            };
            let Ok(mut connection) = connection else {
                return;
            };
            // Tokens put on one connection authorise that connection only.
            let authorised = Arc::new(Mutex::new(HashSet::new()));
            let mut sessions = tokio::task::JoinSet::new();
            while let Ok(session) = SessionAcceptor::new().accept(&mut connection).await {
                sessions.spawn(serve_session(
                    session,
                    Arc::clone(&state),
                    Arc::clone(&authorised),
                ));
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn serve_session(
    mut session: ListenerSessionHandle,
    state: Arc<State>,
    authorised: Arc<Mutex<HashSet<String>>>,
) {
    let responders: Responders = Arc::default();
    let mut links = tokio::task::JoinSet::new();
    while let Ok(link) = LinkAcceptor::new().accept(&mut session).await {
        match link {
            // The client's receiver: answers go to its target, the reply-to address.
            LinkEndpoint::Sender(sender) => {
                let reply_to = sender
                    .target()
                    .as_ref()
                    .and_then(|target| target.address.clone())
                    .unwrap_or_default();
                let (tx, rx) = mpsc::unbounded_channel();
                responders.lock().unwrap().insert(reply_to, tx);
                links.spawn(respond(sender, rx));
            }
            // The client's sender: requests to the node named by its target.
            LinkEndpoint::Receiver(receiver) => {
                let node = receiver
                    .target()
                    .as_ref()
                    .and_then(|target| target.address.clone())
                    .unwrap_or_default();
                links.spawn(handle_requests(
                    receiver,
                    node,
                    Arc::clone(&state),
                    Arc::clone(&authorised),
                    Arc::clone(&responders),
                ));
            }
        }
    }
}

/// Sends the answers; one larger than the client's `max-message-size` is not sent, the
/// link detached with `amqp:link:message-size-exceeded` instead (AMQP 1.0 §2.7.3).
async fn respond(
    mut sender: Sender,
    mut responses: mpsc::UnboundedReceiver<Message<AmqpValue<Value>>>,
) {
    while let Some(response) = responses.recv().await {
        if let Err(error) = sender.send(response).await {
            if matches!(error, fe2o3_amqp::link::SendError::MessageSizeExceeded(_)) {
                let exceeded = fe2o3_amqp::types::definitions::Error::new(
                    fe2o3_amqp::types::definitions::LinkError::MessageSizeExceeded,
                    Some("the answer is larger than the link's max-message-size".to_owned()),
                    None,
                );
                let _ = sender.close_with_error(exceeded).await;
            }
            return;
        }
    }
}

/// An answer: status, description, error condition, body.
struct Answer {
    status: i32,
    description: String,
    condition: Option<&'static str>,
    body: Value,
}

fn answer(status: i32, description: impl Into<String>) -> Answer {
    Answer {
        status,
        description: description.into(),
        condition: None,
        body: Value::Null,
    }
}

async fn handle_requests(
    mut receiver: Receiver,
    node: String,
    state: Arc<State>,
    authorised: Arc<Mutex<HashSet<String>>>,
    responders: Responders,
) {
    loop {
        let Ok(delivery) = receiver.recv::<Value>().await else {
            return;
        };
        if receiver.accept(&delivery).await.is_err() {
            return;
        }
        let request = delivery.into_message();
        let reply_to = request
            .properties
            .as_ref()
            .and_then(|p| p.reply_to.clone())
            .unwrap_or_default();
        let answer = reply(&node, &request, &reply_to, &state, &authorised);
        let properties = Properties {
            correlation_id: request
                .properties
                .as_ref()
                .and_then(|p| p.message_id.clone()),
            to: Some(reply_to.clone()),
            ..Properties::default()
        };
        // `$cbs` answers with the CBS names, `$management` with the service's own.
        let (status_key, description_key) = if node == "$cbs" {
            ("status-code", "status-description")
        } else {
            ("statusCode", "statusDescription")
        };
        let mut properties_builder = ApplicationProperties::builder()
            .insert(status_key, SimpleValue::Int(answer.status))
            .insert(description_key, answer.description);
        if let Some(condition) = answer.condition {
            properties_builder = properties_builder.insert(
                "errorCondition",
                SimpleValue::Symbol(Symbol::from(condition)),
            );
        }
        let response = Message::builder()
            .properties(properties)
            .application_properties(properties_builder.build())
            .value(answer.body)
            .build();
        // The response link is attached right after the request link.
        for _ in 0..100 {
            let responder = responders.lock().unwrap().get(&reply_to).cloned();
            if let Some(responder) = responder {
                let _ = responder.send(response);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// What the service answers `request` on `node` with.
fn reply(
    node: &str,
    request: &Message<Value>,
    reply_to: &str,
    state: &State,
    authorised: &Mutex<HashSet<String>>,
) -> Answer {
    let property = |name: &str| -> Option<SimpleValue> {
        request.application_properties.as_ref()?.get(name).cloned()
    };
    let text = |name: &str| match property(name) {
        Some(SimpleValue::String(text)) => text,
        Some(SimpleValue::Symbol(symbol)) => symbol.0,
        _ => String::new(),
    };
    let operation = text("operation");
    match (node, operation.as_str()) {
        ("$cbs", "put-token") => {
            let put = PutToken {
                token_type: text("type"),
                audience: text("name"),
                expiration: property("expiration"),
                token: match &request.body {
                    Value::String(token) => token.clone(),
                    _ => String::new(),
                },
                reply_to: reply_to.to_owned(),
            };
            state.seen.lock().unwrap().put_tokens.push(put.clone());
            let valid = match put.token_type.as_str() {
                "servicebus.windows.net:sastoken" => {
                    valid_signature(&put.token, &put.audience, &state.key)
                }
                "jwt" => state
                    .jwt
                    .lock()
                    .unwrap()
                    .as_ref()
                    .is_some_and(|check| check(&put.token)),
                _ => false,
            };
            if valid {
                authorised.lock().unwrap().insert(put.audience);
                let status = state.put_token_status.load(Ordering::SeqCst);
                answer(status, if status == 200 { "OK" } else { "Accepted" })
            } else if put.token_type == "jwt" {
                answer(
                    401,
                    "ExpiredToken: The token is expired or not issued by a trusted authority.",
                )
            } else {
                answer(401, "InvalidSignature: The token has an invalid signature.")
            }
        }
        (node, "com.microsoft:peek-message") => {
            let body = match &request.body {
                Value::Map(map) => Some(map),
                _ => None,
            };
            let field = |name: &str| body.and_then(|map| map.get(&Value::from(name)).cloned());
            let peek = Peek {
                from_sequence_number: field("from-sequence-number"),
                message_count: field("message-count"),
                reply_to: reply_to.to_owned(),
            };
            state.seen.lock().unwrap().peeks.push(peek.clone());
            let Some(entity) = node.strip_suffix("/$management") else {
                return answer(404, "no such node");
            };
            if entity != state.entity {
                return answer(404, format!("MessagingEntityNotFound: {entity}"));
            }
            let suffix = format!("/{entity}");
            if !authorised
                .lock()
                .unwrap()
                .iter()
                .any(|audience| audience.ends_with(&suffix))
            {
                return answer(401, "Unauthorized: put a token for the entity first");
            }
            let requested = match peek.message_count {
                Some(Value::Int(count)) => usize::try_from(count).unwrap_or(0),
                _ => 0,
            };
            match state.messages.load(Ordering::SeqCst) {
                0 => match *state.empty.lock().unwrap() {
                    EmptyAnswer::NoContent => answer(204, "No Content"),
                    EmptyAnswer::MessageNotFound => Answer {
                        status: 404,
                        description: "There are no messages to peek.".into(),
                        condition: Some("com.microsoft:message-not-found"),
                        body: Value::Null,
                    },
                },
                held => Answer {
                    status: 200,
                    description: "OK".into(),
                    condition: None,
                    body: peeked(
                        held.min(requested),
                        state.message_bytes.load(Ordering::SeqCst),
                    ),
                },
            }
        }
        _ => answer(501, format!("operation `{operation}` is not served")),
    }
}

fn peeked(count: usize, bytes: usize) -> Value {
    let messages = (0..count)
        .map(|_| {
            let mut entry = OrderedMap::new();
            entry.insert(
                Value::from("message"),
                Value::Binary(Binary::from(vec![b'm'; bytes])),
            );
            Value::Map(entry)
        })
        .collect();
    let mut body = OrderedMap::new();
    body.insert(Value::from("messages"), Value::List(messages));
    Value::Map(body)
}

/// Checks a `SharedAccessSignature sr=..&sig=..&se=..&skn=..` token for `audience`.
fn valid_signature(token: &str, audience: &str, key: &str) -> bool {
    let Some(fields) = token.strip_prefix("SharedAccessSignature ") else {
        return false;
    };
    let fields: HashMap<String, String> = form_urlencoded::parse(fields.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let (Some(resource), Some(signature), Some(expiry), Some(key_name)) = (
        fields.get("sr"),
        fields.get("sig"),
        fields.get("se"),
        fields.get("skn"),
    ) else {
        return false;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let Ok(expiry_seconds) = expiry.parse::<u64>() else {
        return false;
    };
    let encoded: String = form_urlencoded::byte_serialize(resource.as_bytes()).collect();
    let signed = format!("{encoded}\n{expiry}");
    let expected = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes()),
        signed.as_bytes(),
    );
    let expected = base64::engine::general_purpose::STANDARD.encode(expected.as_ref());
    key_name == KEY_NAME && resource == audience && expiry_seconds > now && *signature == expected
}
