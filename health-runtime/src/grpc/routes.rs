//! The tower service tonic serves: the three methods of `grpc.health.v1.Health` routed by
//! path and decoded with the protobuf codec tonic-health uses; any other path answers
//! `UNIMPLEMENTED`, as generated services do.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::server::{Grpc, NamedService, ServerStreamingService, UnaryService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

use super::pb::{HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse};
use super::service::HealthService;
use super::watch::WatchStream;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl NamedService for HealthService {
    const NAME: &'static str = "grpc.health.v1.Health";
}

impl<B> tower_service::Service<http::Request<B>> for HealthService
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let service = self.clone();
        match request.uri().path() {
            "/grpc.health.v1.Health/Check" => Box::pin(async move {
                Ok(Grpc::new(ProstCodec::default())
                    .unary(CheckMethod(service), request)
                    .await)
            }),
            "/grpc.health.v1.Health/Watch" => Box::pin(async move {
                Ok(Grpc::new(ProstCodec::default())
                    .server_streaming(WatchMethod(service), request)
                    .await)
            }),
            "/grpc.health.v1.Health/List" => Box::pin(async move {
                Ok(Grpc::new(ProstCodec::default())
                    .unary(ListMethod(service), request)
                    .await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("").into_http()) }),
        }
    }
}

struct CheckMethod(HealthService);

impl UnaryService<HealthCheckRequest> for CheckMethod {
    type Response = HealthCheckResponse;
    type Future = BoxFuture<Result<Response<HealthCheckResponse>, Status>>;

    fn call(&mut self, request: Request<HealthCheckRequest>) -> Self::Future {
        let service = self.0.clone();
        Box::pin(async move {
            let answer = service.check(&request.get_ref().service).await?;
            Ok(Response::new(answer))
        })
    }
}

struct WatchMethod(HealthService);

impl ServerStreamingService<HealthCheckRequest> for WatchMethod {
    type Response = HealthCheckResponse;
    type ResponseStream = WatchStream;
    type Future = std::future::Ready<Result<Response<WatchStream>, Status>>;

    fn call(&mut self, request: Request<HealthCheckRequest>) -> Self::Future {
        let stream = self.0.watch(&request.get_ref().service);
        std::future::ready(Ok(Response::new(stream)))
    }
}

struct ListMethod(HealthService);

impl UnaryService<HealthListRequest> for ListMethod {
    type Response = HealthListResponse;
    type Future = BoxFuture<Result<Response<HealthListResponse>, Status>>;

    fn call(&mut self, _: Request<HealthListRequest>) -> Self::Future {
        let service = self.0.clone();
        Box::pin(async move { Ok(Response::new(service.list().await)) })
    }
}
