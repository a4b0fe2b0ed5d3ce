//! The service's own RPC, `embed.v1.Embedder/Embed`: a text in, a vector out, computed by
//! the (simulated) embedding model. While the model loads, it answers `UNAVAILABLE`, the
//! same moment the health service answers `NOT_SERVING`.

use std::sync::Arc;

use health_runtime::Health;
use tonic::{Request, Response, Status};

use examples::quickstart::EmbeddingModel;

include!(concat!(env!("OUT_DIR"), "/embed.v1.Embedder.rs"));

pub use embedder_server::EmbedderServer;

/// `embed.v1.EmbedRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EmbedRequest {
    /// The text to embed.
    #[prost(string, tag = "1")]
    pub text: String,
}

/// `embed.v1.EmbedResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EmbedResponse {
    /// The text's embedding, of unit length.
    #[prost(float, repeated, tag = "1")]
    pub vector: Vec<f32>,
}

/// The longest text `Embed` accepts, in bytes.
const MAX_TEXT: usize = 8 * 1024;

/// The RPC over the model the health handle holds once it is loaded.
pub struct Embedder {
    health: Health,
}

impl Embedder {
    pub fn new(health: Health) -> Self {
        Embedder { health }
    }

    fn model(&self) -> Result<Arc<EmbeddingModel>, Status> {
        self.health
            .resources()
            .get::<EmbeddingModel>()
            .ok_or_else(|| Status::unavailable("the embedding model is still loading"))
    }
}

/// A deterministic 8-dimensional embedding of `text`, of unit length: what the model would
/// compute.
fn embed(_model: &EmbeddingModel, text: &str) -> Vec<f32> {
    let mut vector = [0f32; 8];
    for (i, byte) in text.bytes().enumerate() {
        vector[(usize::from(byte) + i) % 8] += 1.0;
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    vector.iter().map(|x| x / norm).collect()
}

#[tonic::async_trait]
impl embedder_server::Embedder for Embedder {
    async fn embed(
        &self,
        request: Request<EmbedRequest>,
    ) -> Result<Response<EmbedResponse>, Status> {
        let model = self.model()?;
        let text = &request.get_ref().text;
        if text.is_empty() || text.len() > MAX_TEXT {
            return Err(Status::invalid_argument(format!(
                "`text` must hold 1 to {MAX_TEXT} bytes, not {}",
                text.len()
            )));
        }
        Ok(Response::new(EmbedResponse {
            vector: embed(&model, text),
        }))
    }
}
