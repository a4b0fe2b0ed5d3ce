//! Generates the `grpc_service` example's own gRPC service, `embed.v1.Embedder`, from its
//! description in Rust (tonic-build's manual builder): no `.proto` file, no protoc. The
//! messages are plain `prost` structs in `grpc_service/embedder.rs`.

fn main() {
    let embed = tonic_build::manual::Method::builder()
        .name("embed")
        .route_name("Embed")
        .input_type("crate::embedder::EmbedRequest")
        .output_type("crate::embedder::EmbedResponse")
        .codec_path("tonic_prost::ProstCodec")
        .build();
    let embedder = tonic_build::manual::Service::builder()
        .name("Embedder")
        .package("embed.v1")
        .method(embed)
        .build();
    tonic_build::manual::Builder::new()
        .build_client(false)
        .compile(&[embedder]);
    println!("cargo::rerun-if-changed=grpc_service/build.rs");
}
