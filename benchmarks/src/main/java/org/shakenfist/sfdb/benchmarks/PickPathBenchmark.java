package org.shakenfist.sfdb.benchmarks;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;
import org.shakenfist.sfdb.client.internal.count.EndpointAccounting;
import org.shakenfist.sfdb.client.internal.count.SfdbClientInterceptor;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;

/**
 * The SDK's own per-call work, isolated from the transport and contended by 1, 2 and 8 threads:
 * {@code accounting} is one attempt's tracer (create, streamCreated with the remote address, streamClosed
 * recording the Micrometer counter, the attempt timer and the snapshot adder); {@code interceptor} is the
 * interceptor's work on a call (tracer factory into CallOptions, caller metadata on start) down to a no-op call.
 *
 * <p>Two controls, one thread, show the floor under the attempt timer: {@code clockPair} is the two
 * {@code System.nanoTime()} reads any attempt timer needs (start, end); {@code timerRecord} is Micrometer's
 * {@code Timer.record} alone (count, total, and its time-window max, which reads the wall clock itself).
 *
 * <p>Two timers, one thread: {@code deadlineTimerGrpc} is one call's deadline task on grpc's default timer
 * (schedule 30 s out, cancel), {@code deadlineTimerCoarse} the same on the SDK's coarse timer.
 *
 * <p>Uses {@code client.internal} classes (not API) on purpose: it measures those pieces alone, which the
 * public API only offers wrapped in a whole channel.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickPathBenchmark {
  private static final MethodDescriptor<ClusterConfigRequest, ClusterConfigReply> METHOD =
      DatabaseServiceGrpc.getGetClusterConfigMethod();

  private final EndpointAccounting accounting = new EndpointAccounting(new SimpleMeterRegistry());
  private final Timer timer = Timer.builder("bench.timer").register(new SimpleMeterRegistry());
  private final long nanos = 123_456;
  private final ClientStreamTracer.Factory factory = accounting.factoryFor(METHOD);
  private final ClientStreamTracer.StreamInfo info =
      ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(CallOptions.DEFAULT).build();
  private final Attributes attrs = Attributes.newBuilder()
      .set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, new InetSocketAddress("10.0.0.20", 13005)).build();
  private final Metadata headers = new Metadata();
  private final SfdbClientInterceptor interceptor =
      new SfdbClientInterceptor("bench", "node", accounting, "10.0.0.20:13005,10.0.0.21:13005", null);
  private final Channel noop = new Channel() {
    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      return new ClientCall<>() {
        @Override
        public void start(Listener<R> listener, Metadata h) {}

        @Override
        public void request(int n) {}

        @Override
        public void cancel(String message, Throwable cause) {}

        @Override
        public void halfClose() {}

        @Override
        public void sendMessage(Q message) {}
      };
    }

    @Override
    public String authority() {
      return "bench";
    }
  };

  private void attempt() {
    ClientStreamTracer t = factory.newClientStreamTracer(info, headers);
    t.streamCreated(attrs, headers);
    t.streamClosed(Status.OK);
  }

  private void call(Blackhole bh) {
    ClientCall<ClusterConfigRequest, ClusterConfigReply> c = interceptor.interceptCall(METHOD, CallOptions.DEFAULT, noop);
    c.start(new ClientCall.Listener<ClusterConfigReply>() {}, new Metadata());
    bh.consume(c);
  }

  @Benchmark
  @Threads(1)
  public void accounting1() {
    attempt();
  }

  @Benchmark
  @Threads(2)
  public void accounting2() {
    attempt();
  }

  @Benchmark
  @Threads(8)
  public void accounting8() {
    attempt();
  }

  @Benchmark
  @Threads(1)
  public long clockPair() {
    long start = System.nanoTime();
    return System.nanoTime() - start;
  }

  @Benchmark
  @Threads(1)
  public void timerRecord() {
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Benchmark
  @Threads(1)
  public void interceptor1(Blackhole bh) {
    call(bh);
  }

  @Benchmark
  @Threads(2)
  public void interceptor2(Blackhole bh) {
    call(bh);
  }

  @Benchmark
  @Threads(8)
  public void interceptor8(Blackhole bh) {
    call(bh);
  }

  /** grpc's default timer (a ScheduledThreadPoolExecutor that removes cancelled tasks), as grpc creates it. */
  private final java.util.concurrent.ScheduledThreadPoolExecutor grpcTimer = grpcLikeTimer();
  private final java.util.concurrent.ScheduledExecutorService coarseTimer =
      org.shakenfist.sfdb.client.internal.channel.CoarseTimer.lease();
  private static final Runnable NOTHING = () -> { };

  private static java.util.concurrent.ScheduledThreadPoolExecutor grpcLikeTimer() {
    var t = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
      Thread th = new Thread(r, "grpc-like-timer");
      th.setDaemon(true);
      return th;
    });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  /** One call's deadline task on grpc's default timer: scheduled 30 s out, cancelled when the call ends. */
  @Benchmark
  @Threads(1)
  public boolean deadlineTimerGrpc() {
    return grpcTimer.schedule(NOTHING, 30, TimeUnit.SECONDS).cancel(false);
  }

  /** The same on the SDK's coarse timer (the timer of its in-process channels). */
  @Benchmark
  @Threads(1)
  public boolean deadlineTimerCoarse() {
    return coarseTimer.schedule(NOTHING, 30, TimeUnit.SECONDS).cancel(false);
  }

  private final io.netty.util.HashedWheelTimer rawWheel = new io.netty.util.HashedWheelTimer(10, TimeUnit.MILLISECONDS, 512);

  /** Control: the same on a bare Netty wheel (what the coarse timer builds on). */
  @Benchmark
  @Threads(1)
  public boolean deadlineTimerNettyWheel() {
    return rawWheel.newTimeout(t -> { }, 30, TimeUnit.SECONDS).cancel();
  }

  @org.openjdk.jmh.annotations.TearDown
  public void stopTimers() {
    grpcTimer.shutdownNow();
    rawWheel.stop();
    coarseTimer.shutdown();
  }
}
