package org.shakenfist.sfdb.testkit;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.shakenfist.sfdb.client.DatabaseChannel;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/** Caller threads issuing idempotent GetClusterConfig calls until stopped; counts every outcome. */
final class LoadDriver implements AutoCloseable {
  final AtomicLong issued = new AtomicLong();
  final AtomicLong succeeded = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  /**
   * Failed calls whose response headers had arrived: such a call is committed, so grpc's retry policy never
   * retries it (a crash that cuts a response after its headers fails it whatever the client does).
   */
  final AtomicLong failedAfterHeaders = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();

  LoadDriver(DatabaseChannel channel, int threadCount) {
    var stub = DatabaseServiceGrpc.newBlockingStub(channel).withInterceptors(new io.grpc.ClientInterceptor() {
      @Override
      public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
          io.grpc.CallOptions options, io.grpc.Channel next) {
        return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, io.grpc.Metadata headers) {
            super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              private volatile boolean headersIn;

              @Override
              public void onHeaders(io.grpc.Metadata h) {
                headersIn = true;
                super.onHeaders(h);
              }

              @Override
              public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
                if (!status.isOk() && headersIn) {
                  failedAfterHeaders.incrementAndGet();
                }
                super.onClose(status, trailers);
              }
            }, headers);
          }
        };
      }
    });
    for (int t = 0; t < threadCount; t++) {
      Thread thread = new Thread(() -> {
        while (!stop.get()) {
          issued.incrementAndGet();
          try {
            stub.getClusterConfig(ClusterConfigRequest.getDefaultInstance());
            succeeded.incrementAndGet();
          } catch (StatusRuntimeException e) {
            failed.incrementAndGet();
            failures.add(e.getStatus().toString());
          }
        }
      }, "load-" + t);
      threads.add(thread);
      thread.start();
    }
  }

  /** Stops the callers and waits for their last call. */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) {
      t.join(60_000);
    }
  }

  String summary() {
    return "issued=" + issued + " succeeded=" + succeeded + " failed=" + failed + " (after headers: "
        + failedAfterHeaders + ")"
        + (failures.isEmpty() ? "" : " first failures=" + failures.stream().limit(3).toList());
  }
}
