"""A grpc.health.v1 client built on Python's grpcio and grpcio-health-checking, driven
line by line for the gRPC tests: a client written by neither this project nor tonic.

Usage: health_client.py HOST:PORT

Each line on stdin is a JSON array, one command:
  ["check", SERVICE]   Check; answers {"op":"check","service":...,"status":...}
                       or {"op":"check","service":...,"code":"NOT_FOUND",...}
  ["list"]             List; answers {"op":"list","statuses":{name: status}}
  ["watch", SERVICE]   starts a Watch in the background; each message prints
                       {"op":"watch","service":...,"status":...}, and its end
                       {"op":"watch","service":...,"end":"OK" or a status code}
  ["embed", TEXT]      the service's own embed.v1.Embedder/Embed; answers
                       {"op":"embed","vector":[...]} or {"op":"embed","code":...}
Every call waits for the server to accept connections (wait_for_ready), 10 s at most.
Prints {"op":"ready"} once it reads commands.
"""

import json
import sys
import threading

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc

TIMEOUT_S = 10
_print_lock = threading.Lock()


def say(**fields):
    with _print_lock:
        print(json.dumps(fields), flush=True)


def status_name(response):
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def embed_messages():
    """embed.v1's messages, described at run time: no generated code, no protoc."""
    file = descriptor_pb2.FileDescriptorProto(name="embed.proto", package="embed.v1", syntax="proto3")
    request = file.message_type.add(name="EmbedRequest")
    request.field.add(name="text", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    response = file.message_type.add(name="EmbedResponse")
    response.field.add(name="vector", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
                       label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return (message_factory.GetMessageClass(pool.FindMessageTypeByName("embed.v1.EmbedRequest")),
            message_factory.GetMessageClass(pool.FindMessageTypeByName("embed.v1.EmbedResponse")))


def watch(stub, service):
    try:
        for response in stub.Watch(health_pb2.HealthCheckRequest(service=service), wait_for_ready=True):
            say(op="watch", service=service, status=status_name(response))
        say(op="watch", service=service, end="OK")
    except grpc.RpcError as error:
        say(op="watch", service=service, end=error.code().name, details=error.details())


def main():
    channel = grpc.insecure_channel(sys.argv[1])
    stub = health_pb2_grpc.HealthStub(channel)
    embed_request, embed_response = embed_messages()
    embed = channel.unary_unary("/embed.v1.Embedder/Embed",
                                request_serializer=embed_request.SerializeToString,
                                response_deserializer=embed_response.FromString)
    say(op="ready")
    for line in sys.stdin:
        command = json.loads(line)
        op = command[0]
        try:
            if op == "check":
                request = health_pb2.HealthCheckRequest(service=command[1])
                response = stub.Check(request, timeout=TIMEOUT_S, wait_for_ready=True)
                say(op="check", service=command[1], status=status_name(response))
            elif op == "list":
                response = stub.List(health_pb2.HealthListRequest(), timeout=TIMEOUT_S, wait_for_ready=True)
                say(op="list", statuses={name: status_name(s) for name, s in response.statuses.items()})
            elif op == "watch":
                threading.Thread(target=watch, args=(stub, command[1]), daemon=True).start()
            elif op == "embed":
                response = embed(embed_request(text=command[1]), timeout=TIMEOUT_S, wait_for_ready=True)
                say(op="embed", vector=list(response.vector))
            else:
                say(op=op, code="UNKNOWN_COMMAND")
        except grpc.RpcError as error:
            say(op=op, service=command[1] if len(command) > 1 else None,
                code=error.code().name, details=error.details())


if __name__ == "__main__":
    main()
