package org.shakenfist.sfdb.testkit;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.shakenfist.sfdb.client.CallerMetadata;

/**
 * One instance's faults (delay, injected failures, health faults) and the two server interceptors that apply
 * them: {@link #databaseCalls()} counts, records and faults every DatabaseService call; {@link #healthCalls()}
 * counts Watch calls and faults Check calls.
 */
final class InstanceFaults {
  private final String instance;
  private final InstanceMetrics metrics;
  private final CallRecorder recorder;
  private final AtomicInteger failRemaining = new AtomicInteger();
  private final AtomicLong healthWatchCalls = new AtomicLong();
  private final AtomicLong healthCheckCalls = new AtomicLong();
  private volatile Status failStatus = Status.UNAVAILABLE;
  private volatile long delayNanos;
  private volatile long healthDelayNanos;
  private volatile boolean healthSilent;

  InstanceFaults(String instance, InstanceMetrics metrics, CallRecorder recorder) {
    this.instance = instance;
    this.metrics = metrics;
    this.recorder = recorder;
  }

  void delay(Duration d) {
    delayNanos = d.toNanos();
  }

  void failNext(int k, Status status) {
    failStatus = Objects.requireNonNull(status);
    failRemaining.set(k);
  }

  void healthDelay(Duration d) {
    healthDelayNanos = d.toNanos();
  }

  void healthSilent(boolean silent) {
    healthSilent = silent;
  }

  void clear() {
    delayNanos = 0;
    healthDelayNanos = 0;
    healthSilent = false;
    failRemaining.set(0);
  }

  long healthWatchCalls() {
    return healthWatchCalls.get();
  }

  long healthCheckCalls() {
    return healthCheckCalls.get();
  }

  ServerInterceptor databaseCalls() {
    return new DatabaseCalls();
  }

  ServerInterceptor healthCalls() {
    return new HealthCalls();
  }

  private static void sleepQuietly(long nanos) {
    if (nanos > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private final class HealthCalls implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String method = call.getMethodDescriptor().getFullMethodName();
      if (HealthGrpc.getWatchMethod().getFullMethodName().equals(method)) {
        healthWatchCalls.incrementAndGet();
      } else if (HealthGrpc.getCheckMethod().getFullMethodName().equals(method)) {
        healthCheckCalls.incrementAndGet();
        if (healthSilent) {
          return new ServerCall.Listener<>() {}; // taken, never answered: the caller's deadline ends it
        }
        sleepQuietly(healthDelayNanos);
      }
      return next.startCall(call, headers);
    }
  }

  private final class DatabaseCalls implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      // as the real gateway: operation is the RPC's own name, callers outside its allow-list are "unknown"
      metrics.count(call.getMethodDescriptor().getBareMethodName(),
          CallerMetadata.countedAs(headers.get(CallerMetadata.CALLER_DAEMON)));
      sleepQuietly(delayNanos);
      String method = call.getMethodDescriptor().getFullMethodName();
      ServerCall.Listener<Q> listener;
      if (failRemaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        Status s = failStatus;
        call.close(s.withDescription((s.getDescription() == null ? "injected fault" : s.getDescription())
            + " at " + instance), new Metadata());
        listener = new ServerCall.Listener<>() {};
      } else {
        listener = next.startCall(call, headers);
      }
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
        @Override
        public void onMessage(Q message) {
          recorder.record(method, headers, message);
          long size = message instanceof MessageLite m ? m.getSerializedSize()
              : message instanceof byte[] b ? b.length : 0;
          if (size > FakeDatabaseInstance.MAX_REQUEST_BYTES) { // grpcio's default limit (Netty's is the same)
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("Received message larger than max (" + size
                + " vs. " + FakeDatabaseInstance.MAX_REQUEST_BYTES + ")"), new Metadata());
            return;
          }
          super.onMessage(message);
        }
      };
    }
  }
}
