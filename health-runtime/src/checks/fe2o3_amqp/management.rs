//! A request-response link to a node of the service (`$cbs`, `<entity>/$management`), opened
//! the way Microsoft's clients open it: a sender to the node and a receiver from it, the
//! receiver's target an unguessable reply-to address of this link's own
//! (Microsoft.Azure.Amqp `RequestResponseAmqpLink`; azure-sdk-for-net
//! `sdk/servicebus/Azure.Messaging.ServiceBus/src/Amqp/AmqpConnectionScope.cs`
//! `CreateManagementLinkAsync`), so that no other client can attach to the answers.
//!
//! The receiver announces a `max-message-size`: an answer larger than it (a peeked message of
//! a Premium namespace may be 100 MB) is refused frame by frame by the link, so a run never
//! reads more than that bound. A sender that honours the bound instead detaches the link
//! with `amqp:link:message-size-exceeded` (AMQP 1.0 §2.7.3); both read the same.

use std::fmt;

use fe2o3_amqp::link::{LinkStateError, RecvError};
use fe2o3_amqp::session::SessionHandle;
use fe2o3_amqp::types::definitions::{ErrorCondition, LinkError};
use fe2o3_amqp::types::messaging::{AmqpValue, Message, MessageId, Outcome, Properties};
use fe2o3_amqp::types::primitives::{SimpleValue, Value};
use fe2o3_amqp::{Receiver, Sender};

use super::super::failure::error_chain;
use super::transport::unguessable_name;

/// One node's request-response link.
pub(super) struct ManagementLink {
    sender: Sender,
    receiver: Receiver,
    reply_to: String,
    next_id: u64,
    max_answer_bytes: u64,
}

/// What the node answered: the status and the description and error condition that come
/// with it, under the names the service uses on `$management` (`statusCode`,
/// `statusDescription`, `errorCondition`: azure-sdk-for-net `Amqp/ManagementConstants.cs`)
/// or the CBS spec's on `$cbs` (`status-code`, `status-description`).
pub(super) struct Answer {
    pub status: u16,
    pub description: Option<String>,
    pub condition: Option<String>,
    pub body: Value,
}

/// Why a call has no answer.
pub(super) enum CallError {
    /// The answer is larger than the receiver's `max-message-size` (the bound, in bytes).
    TooLarge(u64),
    /// Anything else, as a sentence.
    Failed(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::TooLarge(bound) => write!(f, "the answer is larger than {bound} bytes"),
            CallError::Failed(reason) => f.write_str(reason),
        }
    }
}

impl ManagementLink {
    /// Attaches both links to `node`; answers larger than `max_answer_bytes` are refused.
    pub async fn attach(
        session: &mut SessionHandle<()>,
        node: &str,
        max_answer_bytes: u64,
    ) -> Result<ManagementLink, String> {
        let reply_to = unguessable_name("health-runtime-reply");
        let sender = Sender::builder()
            .name(format!("{reply_to}-sender"))
            .target(node)
            .attach(session)
            .await
            .map_err(|error| error_chain(&error))?;
        let receiver = Receiver::builder()
            .name(format!("{reply_to}-receiver"))
            .source(node)
            .target(reply_to.as_str())
            .max_message_size(max_answer_bytes)
            .attach(session)
            .await;
        let receiver = match receiver {
            Ok(receiver) => receiver,
            Err(error) => {
                let _ = sender.close().await;
                return Err(error_chain(&error));
            }
        };
        Ok(ManagementLink {
            sender,
            receiver,
            reply_to,
            next_id: 0,
            max_answer_bytes,
        })
    }

    /// Sends `request` (its `message-id` and `reply-to` set here) and waits for the answer.
    pub async fn call(
        &mut self,
        mut request: Message<AmqpValue<Value>>,
    ) -> Result<Answer, CallError> {
        self.next_id += 1;
        let properties = request.properties.get_or_insert_with(Properties::default);
        properties.message_id = Some(MessageId::Ulong(self.next_id));
        properties.reply_to = Some(self.reply_to.clone());
        match self.sender.send(request).await {
            Ok(Outcome::Accepted(_)) => {}
            Ok(other) => {
                return Err(CallError::Failed(format!(
                    "the request was not accepted ({other:?})"
                )));
            }
            Err(error) => return Err(CallError::Failed(error_chain(&error))),
        }
        let delivery = match self.receiver.recv::<Value>().await {
            Ok(delivery) => delivery,
            Err(RecvError::MessageSizeExceeded(exceeded)) => {
                return Err(CallError::TooLarge(exceeded.max_size));
            }
            Err(RecvError::LinkStateError(
                LinkStateError::RemoteDetachedWithError(error)
                | LinkStateError::RemoteClosedWithError(error),
            )) if error.condition == ErrorCondition::LinkError(LinkError::MessageSizeExceeded) => {
                return Err(CallError::TooLarge(self.max_answer_bytes));
            }
            Err(error) => return Err(CallError::Failed(error_chain(&error))),
        };
        let _ = self.receiver.accept(&delivery).await;
        Ok(Answer::from_message(delivery.into_message()))
    }

    /// Detaches both links (best effort: the connection is closed next).
    pub async fn close(self) {
        let _ = self.sender.close().await;
        let _ = self.receiver.close().await;
    }
}

impl Answer {
    fn from_message(message: Message<Value>) -> Answer {
        let properties = message.application_properties.as_ref();
        let get = |names: &[&str]| -> Option<&SimpleValue> {
            let properties = properties?;
            names.iter().find_map(|name| properties.get(*name))
        };
        let status = get(&["statusCode", "status-code"])
            .and_then(as_status)
            .unwrap_or(0);
        let description = get(&["statusDescription", "status-description"]).and_then(as_text);
        // Microsoft's clients read the condition as a symbol; a string is read the same.
        let condition = get(&["errorCondition", "error-condition"]).and_then(as_text);
        Answer {
            status,
            description,
            condition,
            body: message.body,
        }
    }
}

fn as_status(value: &SimpleValue) -> Option<u16> {
    let number: i64 = match value {
        SimpleValue::Int(n) => i64::from(*n),
        SimpleValue::Uint(n) => i64::from(*n),
        SimpleValue::Long(n) => *n,
        SimpleValue::Ulong(n) => i64::try_from(*n).ok()?,
        SimpleValue::Short(n) => i64::from(*n),
        SimpleValue::Ushort(n) => i64::from(*n),
        _ => return None,
    };
    u16::try_from(number).ok()
}

fn as_text(value: &SimpleValue) -> Option<String> {
    match value {
        SimpleValue::String(text) => Some(text.clone()),
        SimpleValue::Symbol(symbol) => Some(symbol.0.clone()),
        _ => None,
    }
}
