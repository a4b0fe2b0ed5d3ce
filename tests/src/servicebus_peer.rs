//! A stand-in for Azure Service Bus, which the tests cannot reach: an in-process AMQP 1.0
//! peer built on `fe2o3-amqp`'s acceptor, answering the two requests the Service Bus check
//! makes the way the service documents them.
//!
//! - `put-token` on `$cbs`: a shared access signature of the entity's audience, signed
//!   with the known key of the known policy and not expired, is `202 Accepted`; anything
//!   else is `401`.
//! - `com.microsoft:peek-message` on `<entity>/$management`: `404` for another entity,
//!   `401` before a token for the entity was put on this connection, `204` when the entity
//!   holds no message, `200` with the peeked messages (at most the requested count)
//!   otherwise. Nothing is consumed.
//!
//! It sits behind a fault proxy, so that it can be frozen, killed and restarted like the
//! private servers.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use fe2o3_amqp::acceptor::{
    ConnectionAcceptor, LinkAcceptor, LinkEndpoint, ListenerSessionHandle, SaslAnonymousMechanism,
    SessionAcceptor,
};
use fe2o3_amqp::types::messaging::{AmqpValue, ApplicationProperties, Message, Properties};
use fe2o3_amqp::types::primitives::{Binary, OrderedMap, SimpleValue, Value};
use fe2o3_amqp::{Receiver, Sender};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::delegate_dependency;
use crate::dependency::Dependency;
use crate::fault_proxy::FaultProxy;

/// The policy whose key signs the tokens the peer accepts.
pub const KEY_NAME: &str = "health-listen";

/// The stand-in, serving one entity.
pub struct ServiceBusPeer {
    proxy: FaultProxy,
    direct: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

struct State {
    entity: String,
    key: String,
    messages: AtomicUsize,
}

type Responders = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message<AmqpValue<Value>>>>>>;

impl ServiceBusPeer {
    /// Serves `entity`, accepting tokens signed with `key` by [`KEY_NAME`]; the entity
    /// starts empty.
    pub async fn start(entity: &str, key: &str) -> ServiceBusPeer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the peer");
        let direct = listener.local_addr().expect("peer address");
        let state = Arc::new(State {
            entity: entity.to_owned(),
            key: key.to_owned(),
            messages: AtomicUsize::new(0),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&state)));
        let proxy = FaultProxy::start(direct).await;
        ServiceBusPeer {
            proxy,
            direct,
            state,
            task,
        }
    }

    /// How many messages the entity holds (peeking never changes it).
    pub fn set_messages(&self, count: usize) {
        self.state.messages.store(count, Ordering::SeqCst);
    }

    /// The connection string of the entity through the proxy, with `key`: the emulator's
    /// form, plain AMQP on the given port.
    pub fn connection_string(&self, key: &str) -> String {
        connection_string(self.addr(), &self.state.entity, key)
    }

    /// The same, to the peer itself (never frozen nor killed).
    pub fn direct_connection_string(&self, key: &str) -> String {
        connection_string(self.direct, &self.state.entity, key)
    }
}

/// A connection string of `entity` at `addr` signed by [`KEY_NAME`] with `key`.
pub fn connection_string(addr: SocketAddr, entity: &str, key: &str) -> String {
    format!(
        "Endpoint=sb://{addr};SharedAccessKeyName={KEY_NAME};SharedAccessKey={key};\
         EntityPath={entity};UseDevelopmentEmulator=true"
    )
}

impl Drop for ServiceBusPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

delegate_dependency!(ServiceBusPeer, proxy);

async fn serve(listener: TcpListener, state: Arc<State>) {
    let acceptor = ConnectionAcceptor::builder()
        .container_id("servicebus-stand-in")
        .sasl_acceptor(SaslAnonymousMechanism::new())
        .build();
    let acceptor = Arc::new(acceptor);
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let (acceptor, state) = (Arc::clone(&acceptor), Arc::clone(&state));
        connections.spawn(async move {
            let Ok(mut connection) = acceptor.accept(stream).await else {
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
            // The client's receiver: responses for the node named by its source.
            LinkEndpoint::Sender(sender) => {
                let node = sender
                    .source()
                    .as_ref()
                    .and_then(|source| source.address.clone())
                    .unwrap_or_default();
                let (tx, rx) = mpsc::unbounded_channel();
                responders.lock().unwrap().insert(node, tx);
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

async fn respond(
    mut sender: Sender,
    mut responses: mpsc::UnboundedReceiver<Message<AmqpValue<Value>>>,
) {
    while let Some(response) = responses.recv().await {
        if sender.send(response).await.is_err() {
            return;
        }
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
        let (status, description, body) = answer(&node, &request, &state, &authorised);
        let properties = Properties {
            correlation_id: request
                .properties
                .as_ref()
                .and_then(|p| p.message_id.clone()),
            to: request.properties.as_ref().and_then(|p| p.reply_to.clone()),
            ..Properties::default()
        };
        let response = Message::builder()
            .properties(properties)
            .application_properties(
                ApplicationProperties::builder()
                    .insert("status-code", SimpleValue::Int(status))
                    .insert("status-description", description)
                    .build(),
            )
            .value(body)
            .build();
        // The response link is attached right after the request link.
        for _ in 0..100 {
            let responder = responders.lock().unwrap().get(&node).cloned();
            if let Some(responder) = responder {
                let _ = responder.send(response);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The status, description and body the service answers `request` on `node` with.
fn answer(
    node: &str,
    request: &Message<Value>,
    state: &State,
    authorised: &Mutex<HashSet<String>>,
) -> (i32, String, Value) {
    let property = |name: &str| -> Option<String> {
        match request.application_properties.as_ref()?.get(name)? {
            SimpleValue::String(text) => Some(text.clone()),
            _ => None,
        }
    };
    let operation = property("operation").unwrap_or_default();
    match (node, operation.as_str()) {
        ("$cbs", "put-token") => {
            let audience = property("name").unwrap_or_default();
            let token = match &request.body {
                Value::String(token) => token.clone(),
                _ => String::new(),
            };
            if valid_token(&token, &audience, &state.key) {
                authorised.lock().unwrap().insert(audience);
                (202, "Accepted".into(), Value::Null)
            } else {
                (
                    401,
                    "InvalidSignature: The token has an invalid signature.".into(),
                    Value::Null,
                )
            }
        }
        (node, "com.microsoft:peek-message") => {
            let Some(entity) = node.strip_suffix("/$management") else {
                return (404, "no such node".into(), Value::Null);
            };
            if entity != state.entity {
                return (
                    404,
                    format!("MessagingEntityNotFound: {entity}"),
                    Value::Null,
                );
            }
            let suffix = format!("/{entity}");
            if !authorised
                .lock()
                .unwrap()
                .iter()
                .any(|a| a.ends_with(&suffix))
            {
                return (
                    401,
                    "Unauthorized: put a token for the entity first".into(),
                    Value::Null,
                );
            }
            match state.messages.load(Ordering::SeqCst) {
                0 => (204, "No Content".into(), Value::Null),
                held => (200, "OK".into(), peeked(held.min(requested_count(request)))),
            }
        }
        _ => (
            501,
            format!("operation `{operation}` is not served"),
            Value::Null,
        ),
    }
}

fn requested_count(request: &Message<Value>) -> usize {
    match &request.body {
        Value::Map(map) => match map.get(&Value::from("message-count")) {
            Some(Value::Int(count)) => usize::try_from(*count).unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    }
}

fn peeked(count: usize) -> Value {
    let messages = (0..count)
        .map(|i| {
            let mut entry = OrderedMap::new();
            entry.insert(
                Value::from("message"),
                Value::Binary(Binary::from(format!("message {i}").into_bytes())),
            );
            Value::Map(entry)
        })
        .collect();
    let mut body = OrderedMap::new();
    body.insert(Value::from("messages"), Value::List(messages));
    Value::Map(body)
}

/// Checks a `SharedAccessSignature sr=..&sig=..&se=..&skn=..` token for `audience`.
fn valid_token(token: &str, audience: &str, key: &str) -> bool {
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
