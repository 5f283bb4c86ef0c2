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
  private final AtomicBoolean stop = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();

  LoadDriver(DatabaseChannel channel, int threadCount) {
    var stub = DatabaseServiceGrpc.newBlockingStub(channel);
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
    return "issued=" + issued + " succeeded=" + succeeded + " failed=" + failed
        + (failures.isEmpty() ? "" : " first failures=" + failures.stream().limit(3).toList());
  }
}
