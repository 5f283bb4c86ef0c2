#!/usr/bin/python3
"""A stand-in for Shakenfist's sf-database gateway, built only from Debian packages.

It behaves like the real server where the SDK can tell the difference:
- a grpcio server with a ThreadPoolExecutor of 64 workers and the real server options (min ping interval
  without data 5 s, keepalive permitted without calls, ping strikes 0);
- a *synchronous* health servicer for service "" written like grpcio's grpc_health.v1.HealthServicer: the
  first Watch reply is sent while holding its lock and the close callbacks take the same lock (the shape
  that deadlocks the real server under concurrent Watch open/close). It counts Watch and Check calls;
- per-RPC counters database_<op>_total (no labels; <op> is the RPC's snake_case name but for the RPCs
  upstream names by hand, passed in with --hand-written from the testkit's table) and
  database_requests_total{operation="<PascalCaseRpc>",caller_daemon} (health RPCs excluded; caller daemons
  outside the allow-list counted as "unknown"), served by prometheus_client on the metrics port;
- every other DatabaseService method is answered UNIMPLEMENTED naming it, and counted like the others;
- SIGTERM drain: "" -> NOT_SERVING, then server.stop(grace), then exit 0.

Stubs are generated at start-up by the caller (grpc_tools.protoc) into --gen-dir from the project's own
database.proto and grpc's health.proto. Control lines on stdin: "serving", "not_serving". Prints one line
"READY port=<p> metrics_port=<m>" on stdout when it serves.
"""

import argparse
import http.server
import importlib
import os
import re
import signal
import sys
import threading
from concurrent import futures

import grpc
import prometheus_client

ALLOWED_CALLERS = frozenset([
    'api', 'checksums', 'cleaner', 'cluster', 'ctl', 'database', 'main', 'net', 'nodelock', 'privexec',
    'queues', 'resources', 'sentinel-first', 'sentinel-last', 'sidechannel', 'transfers', 'unknown'])


HAND_WRITTEN = {}  # RPC -> counter <op>, from --hand-written


def snake_case(name):
    """The <op> of database_<op>_total: upstream's hand-written name, else the mechanical snake_case."""
    return HAND_WRITTEN.get(name) or re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()


class _Watcher:
    """grpcio's blocking watcher, for servers without experimental_non_blocking support."""

    def __init__(self):
        self._condition = threading.Condition()
        self._responses = []
        self._open = True

    def __iter__(self):
        return self

    def __next__(self):
        with self._condition:
            while not self._responses and self._open:
                self._condition.wait()
            if self._responses:
                return self._responses.pop(0)
            raise StopIteration()

    def add(self, response):
        with self._condition:
            self._responses.append(response)
            self._condition.notify()

    def close(self):
        with self._condition:
            self._open = False
            self._condition.notify()


def make_health_servicer(health_pb2, health_pb2_grpc, registry):
    watch_calls = prometheus_client.Counter(
        'standin_health_watch', 'grpc.health.v1.Health/Watch calls received', registry=registry)
    check_calls = prometheus_client.Counter(
        'standin_health_check', 'grpc.health.v1.Health/Check calls received', registry=registry)

    class HealthServicer(health_pb2_grpc.HealthServicer):
        """Written like grpcio's synchronous HealthServicer."""

        def __init__(self):
            self._lock = threading.RLock()
            self._server_status = {'': health_pb2.HealthCheckResponse.SERVING}
            self._send_response_callbacks = {}
            self.Watch.__func__.experimental_non_blocking = True
            self.Watch.__func__.experimental_thread_pool = None

        def _on_close_callback(self, send_response_callback, service):
            def callback():
                with self._lock:
                    self._send_response_callbacks[service].remove(send_response_callback)
                send_response_callback(None)
            return callback

        def Check(self, request, context):
            check_calls.inc()
            with self._lock:
                status = self._server_status.get(request.service)
                if status is None:
                    context.set_code(grpc.StatusCode.NOT_FOUND)
                    return health_pb2.HealthCheckResponse()
                return health_pb2.HealthCheckResponse(status=status)

        def Watch(self, request, context, send_response_callback=None):
            watch_calls.inc()
            blocking_watcher = None
            if send_response_callback is None:
                blocking_watcher = _Watcher()
                send_response_callback = blocking_watcher.add
            service = request.service
            with self._lock:
                status = self._server_status.get(service)
                if status is None:
                    status = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
                # As grpcio: the first reply goes out while the lock is held.
                send_response_callback(health_pb2.HealthCheckResponse(status=status))
                self._send_response_callbacks.setdefault(service, set()).add(send_response_callback)
                context.add_callback(self._on_close_callback(send_response_callback, service))
            return blocking_watcher

        def set(self, service, status):
            with self._lock:
                self._server_status[service] = status
                for callback in list(self._send_response_callbacks.get(service, ())):
                    callback(health_pb2.HealthCheckResponse(status=status))

    return HealthServicer()


def make_database_handler(database_pb2, registry):
    """Handlers for every DatabaseService method: the generated descriptor's, then any other (UNIMPLEMENTED)."""
    service = database_pb2.DESCRIPTOR.services_by_name['DatabaseService']
    full_service = service.full_name
    requests_total = prometheus_client.Counter(
        'database_requests', 'DatabaseService calls by operation and caller',
        ['operation', 'caller_daemon'], registry=registry)
    per_op = {}
    for method in service.methods:
        per_op[method.name] = prometheus_client.Counter(
            'database_' + snake_case(method.name), 'DatabaseService.' + method.name + ' calls',
            registry=registry)

    state = {}
    state_lock = threading.Lock()
    cluster_config = {'network_node_ip': '"10.0.0.1"', 'database_tier': '"stand-in"'}

    def answer(method, request):
        reply_class = getattr(database_pb2, method.output_type.name)
        reply = reply_class()
        if method.name == 'GetClusterConfig':
            for key, value in sorted(cluster_config.items()):
                reply.entries.add(key_name=key, value_json=value)
        elif method.name == 'GetObjectState':
            with state_lock:
                found = state.get((request.object_type, request.object_uuid))
            if found is not None:
                reply.found = True
                reply.state_value, reply.update_time, reply.message = found
        elif method.name == 'SetObjectState':
            with state_lock:
                state[(request.object_type, request.object_uuid)] = (
                    request.state_value, request.update_time, request.message)
            reply.success = True
        elif method.name == 'GetAllNamespaceNames':
            reply.names.append('system')
        return reply

    per_op_lock = threading.Lock()

    def count(rpc, context):
        caller = dict(context.invocation_metadata()).get('caller-daemon', 'unknown')
        if caller not in ALLOWED_CALLERS:
            caller = 'unknown'
        with per_op_lock:
            if rpc not in per_op:
                per_op[rpc] = prometheus_client.Counter(
                    'database_' + snake_case(rpc), 'DatabaseService.' + rpc + ' calls', registry=registry)
        per_op[rpc].inc()
        requests_total.labels(operation=rpc, caller_daemon=caller).inc()

    def handler_for(method):
        request_class = getattr(database_pb2, method.input_type.name)
        reply_class = getattr(database_pb2, method.output_type.name)

        def behaviour(request, context):
            count(method.name, context)
            return answer(method, request)

        return grpc.unary_unary_rpc_method_handler(
            behaviour, request_deserializer=request_class.FromString,
            response_serializer=reply_class.SerializeToString)

    handlers = {m.name: handler_for(m) for m in service.methods}
    prefix = '/' + full_service + '/'

    class Unimplemented(grpc.GenericRpcHandler):
        """Any other method of the service: counted, then UNIMPLEMENTED naming it (not grpcio's bare
        'Method not found!')."""

        def service(self, handler_call_details):
            method = handler_call_details.method
            if not method.startswith(prefix):
                return None
            rpc = method[len(prefix):]

            def behaviour(request, context):
                count(rpc, context)
                context.abort(grpc.StatusCode.UNIMPLEMENTED,
                              '%s%s is not implemented by the sf-database stand-in' % (prefix[1:], rpc))

            return grpc.unary_unary_rpc_method_handler(behaviour)

    return grpc.method_handlers_generic_handler(full_service, handlers), Unimplemented()


def serve_metrics(bind, port, registry):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = prometheus_client.generate_latest(registry)
            self.send_response(200)
            self.send_header('Content-Type', prometheus_client.CONTENT_TYPE_LATEST)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((bind, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--gen-dir', required=True, help='directory holding the generated *_pb2 modules')
    parser.add_argument('--bind', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=13005)
    parser.add_argument('--metrics-port', type=int, default=13006)
    parser.add_argument('--grace', type=float, default=10.0, help='seconds of graceful stop on SIGTERM')
    parser.add_argument('--min-ping-interval-ms', type=int, default=5000)
    parser.add_argument('--max-ping-strikes', type=int, default=0)
    parser.add_argument('--hand-written', default='',
                        help='RPC=op,... : counter names upstream writes by hand')
    args = parser.parse_args()
    for item in filter(None, args.hand_written.split(',')):
        rpc, op = item.split('=', 1)
        HAND_WRITTEN[rpc] = op

    sys.path.insert(0, args.gen_dir)
    database_pb2 = importlib.import_module('shakenfist.protos.database_pb2')
    # grpc's health.proto is generated under another file path: "grpc/..." would clash with grpcio itself.
    health_pb2 = importlib.import_module('standin_health.health_pb2')
    health_pb2_grpc = importlib.import_module('standin_health.health_pb2_grpc')

    registry = prometheus_client.CollectorRegistry()
    health = make_health_servicer(health_pb2, health_pb2_grpc, registry)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=64),
        options=[
            ('grpc.http2.min_ping_interval_without_data_ms', args.min_ping_interval_ms),
            ('grpc.keepalive_permit_without_calls', 1),
            ('grpc.http2.max_ping_strikes', args.max_ping_strikes),
        ])
    server.add_generic_rpc_handlers(make_database_handler(database_pb2, registry))
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port('%s:%d' % (args.bind, args.port))
    if port == 0:
        print('FAILED could not bind %s:%d' % (args.bind, args.port), flush=True)
        return 2
    server.start()
    metrics_port = serve_metrics(args.bind, args.metrics_port, registry)

    stopped = threading.Event()

    def drain(signum, frame):
        health.set('', health_pb2.HealthCheckResponse.NOT_SERVING)
        # in-flight calls get the grace; past that (plus a margin) the process ends anyway
        server.stop(args.grace).wait(args.grace + 5)
        stopped.set()

    def on_sigterm(signum, frame):
        # a watchdog: whatever stop() or the interpreter does, the process is gone grace + 5 s after SIGTERM (a
        # drained stand-in, under load, sometimes did not exit within grace + 10 s; cause not established)
        watchdog = threading.Timer(args.grace + 5, lambda: os._exit(0))
        watchdog.daemon = True
        watchdog.start()
        threading.Thread(target=drain, args=(signum, frame), daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)

    def control():
        for line in sys.stdin:
            command = line.strip()
            if command == 'serving':
                health.set('', health_pb2.HealthCheckResponse.SERVING)
            elif command == 'not_serving':
                health.set('', health_pb2.HealthCheckResponse.NOT_SERVING)
            print('OK ' + command, flush=True)

    threading.Thread(target=control, daemon=True).start()
    print('READY port=%d metrics_port=%d' % (port, metrics_port), flush=True)
    # wake now and then: Python runs signal handlers on the main thread, between its own steps
    while not stopped.wait(0.5):
        pass
    return 0


if __name__ == '__main__':
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # End like a stopped daemon, without waiting at interpreter exit for grpc's and the worker pool's threads
    # (a drained stand-in once failed to exit within grace + 10 s on a loaded machine; cause not established).
    os._exit(code)
