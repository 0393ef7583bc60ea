"""An independent gRPC peer (Python grpcio) for interoperability tests.

Stubs are generated from proto/lp_rpc.proto at run time with grpc_tools, so
this checks the proto file and lpconform's wire behaviour, not shared code.

  grpcio_peer.py client URL   call GetOrchestrator and Ping on lpconform serve
  grpcio_peer.py server       serve an off-chain orchestrator over h2c; prints
                              its port, stops when stdin closes
"""

import atexit
import importlib
import os
import shutil
import sys
import tempfile

from grpc_tools import protoc
import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_stubs():
    out_dir = tempfile.mkdtemp(prefix="lpconform-grpcio-")
    atexit.register(shutil.rmtree, out_dir, ignore_errors=True)
    proto_dir = os.path.join(ROOT, "proto")
    status = protoc.main(
        ["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", "lp_rpc.proto"]
    )
    if status != 0:
        raise SystemExit(f"grpc_tools could not compile {proto_dir}/lp_rpc.proto")
    sys.path.insert(0, out_dir)
    return importlib.import_module("lp_rpc_pb2"), importlib.import_module("lp_rpc_pb2_grpc")


def channel_for(url):
    if url.startswith("http://"):
        return grpc.insecure_channel(url[len("http://"):])
    host_port = url[len("https://"):]
    # The reference orchestrator's certificate is self-signed for localhost:
    # trust exactly that certificate, as an operator pinning it would.
    pem = ssl_certificate(host_port)
    credentials = grpc.ssl_channel_credentials(root_certificates=pem)
    return grpc.secure_channel(host_port, credentials, options=[("grpc.ssl_target_name_override", "localhost")])


def ssl_certificate(host_port):
    import ssl

    host, port = host_port.rsplit(":", 1)
    return ssl.get_server_certificate((host, int(port))).encode()


def client(url):
    pb, rpc = load_stubs()
    stub = rpc.OrchestratorStub(channel_for(url))
    info = stub.GetOrchestrator(pb.OrchestratorRequest(address=b"\x01" * 20, sig=b"\x02" * 65), timeout=10)
    assert info.transcoder, "transcoder is empty"
    assert len(info.address) == 20, f"address is {len(info.address)} bytes"
    assert not info.HasField("price_info"), "off chain go-livepeer advertises no price"
    assert len(info.capabilities.bitstring) > 0, "no capabilities"
    stub.Ping(pb.PingPong(value=b"interop"), timeout=10)
    try:
        stub.EndTranscodingSession(
            pb.EndTranscodingSessionRequest(auth_token=pb.AuthToken(token=b"forged", session_id="x", expiration=1)),
            timeout=10,
        )
        raise AssertionError("a forged auth token was accepted")
    except grpc.RpcError as error:
        assert "Invalid auth token" in error.details(), error.details()
    stub.EndTranscodingSession(pb.EndTranscodingSessionRequest(auth_token=info.auth_token), timeout=10)
    print(f"grpcio client: ok transcoder={info.transcoder}")


def server():
    from concurrent import futures
    import secrets
    import time

    pb, rpc = load_stubs()

    def token_for(session_id):
        # Not an HMAC, but fresh per answer like go-livepeer's (AUTH-006) and checkable.
        return b"grpcio-token-" + session_id.encode()

    def auth_token():
        session_id = secrets.token_hex(8)
        return pb.AuthToken(token=token_for(session_id), session_id=session_id, expiration=int(time.time()) + 1800)

    class Orchestrator(rpc.OrchestratorServicer):
        def GetOrchestrator(self, request, context):
            return pb.OrchestratorInfo(
                transcoder=f"http://127.0.0.1:{port}",
                address=bytes.fromhex("2c7536e3605d9c16a7a3d7b1898e529396a65c23"),
                price_info=pb.PriceInfo(pricePerUnit=1000, pixelsPerUnit=1),
                capabilities=pb.Capabilities(bitstring=[0b11], version="0.8.0", capacities={0: 1, 1: 1}),
                auth_token=auth_token(),
            )

        def Ping(self, request, context):
            return pb.PingPong()

        def EndTranscodingSession(self, request, context):
            if request.auth_token.token != token_for(request.auth_token.session_id):
                context.abort(grpc.StatusCode.UNKNOWN, "Invalid auth token")
            return pb.EndTranscodingSessionResponse()

    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    rpc.add_OrchestratorServicer_to_server(Orchestrator(), grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    print(port, flush=True)
    sys.stdin.read()
    grpc_server.stop(0)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "client":
        client(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "server":
        server()
    else:
        raise SystemExit(__doc__)
