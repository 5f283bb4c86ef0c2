package org.shakenfist.sfdb.client.internal;

import com.google.common.net.InetAddresses;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessSocketAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.shakenfist.sfdb.client.CallCounts;

/**
 * Counts every call attempt under the backend address that served it. One {@link ClientStreamTracer} is
 * created per attempt (retries included); {@code streamCreated} carries the transport's remote address and
 * {@code streamClosed} records the attempt. An attempt that failed before any stream existed (no instance
 * READY, all failed to connect) never sees {@code streamCreated} and is counted under
 * {@link CallCounts#NO_ENDPOINT}, so the sum over endpoints equals the attempts made. Each attempt's
 * duration goes to a Micrometer {@link Timer} with the same tags.
 */
public final class EndpointAccounting {
  /** Micrometer counter name; tags {@code endpoint}, {@code method}, {@code status}. */
  public static final String METER = "sfdb.client.calls";
  /**
   * Micrometer timer of each attempt, from its start to its end; same tags. It publishes percentiles or
   * histogram buckets only when the registry's configuration asks for them (a {@code MeterFilter}).
   */
  public static final String TIMER = "sfdb.client.attempt.duration";

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Factory> factories = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<SocketAddress, String> endpointNames = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> perEndpoint = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<MeterKey, Meters> meters = new ConcurrentHashMap<>();

  public EndpointAccounting(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The tracer factory for calls of one method (cached: no allocation per call). */
  public ClientStreamTracer.Factory factoryFor(MethodDescriptor<?, ?> method) {
    String name = method.getFullMethodName();
    Factory f = factories.get(name);
    return f != null ? f : factories.computeIfAbsent(name, Factory::new);
  }

  /** Snapshot of attempts per endpoint. */
  public CallCounts snapshot() {
    Map<String, Long> out = new HashMap<>();
    perEndpoint.forEach((k, v) -> out.put(k, v.sum()));
    return CallCounts.of(out);
  }

  /** {@code host:port} ({@code [v6]:port}) for TCP, the server name for in-process, else toString(). */
  public static String endpointName(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host = inet.getAddress() != null ? InetAddresses.toUriString(inet.getAddress()) : inet.getHostString();
      return host + ":" + inet.getPort();
    }
    if (address instanceof InProcessSocketAddress inProcess) {
      return inProcess.getName();
    }
    return String.valueOf(address);
  }

  void record(SocketAddress remote, String method, Status.Code code, long nanos) {
    String endpoint;
    if (remote == null) {
      endpoint = CallCounts.NO_ENDPOINT;
    } else {
      endpoint = endpointNames.get(remote);
      if (endpoint == null) {
        endpoint = endpointNames.computeIfAbsent(remote, EndpointAccounting::endpointName);
      }
    }
    LongAdder adder = perEndpoint.get(endpoint);
    if (adder == null) {
      adder = perEndpoint.computeIfAbsent(endpoint, k -> new LongAdder());
    }
    adder.increment();
    MeterKey key = new MeterKey(endpoint, method, code);
    Meters m = meters.get(key);
    if (m == null) {
      m = meters.computeIfAbsent(key, k -> new Meters(
          Counter.builder(METER)
              .description("sf-database call attempts per gateway endpoint")
              .tag("endpoint", k.endpoint())
              .tag("method", k.method())
              .tag("status", k.code().name())
              .register(registry),
          Timer.builder(TIMER)
              .description("sf-database call attempt duration per gateway endpoint")
              .tag("endpoint", k.endpoint())
              .tag("method", k.method())
              .tag("status", k.code().name())
              .register(registry)));
    }
    m.counter().increment();
    m.timer().record(nanos, TimeUnit.NANOSECONDS);
  }

  private record MeterKey(String endpoint, String method, Status.Code code) {}

  private record Meters(Counter counter, Timer timer) {}

  private final class Factory extends ClientStreamTracer.Factory {
    private final String method;

    Factory(String method) {
      this.method = method;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
      return new Tracer(method);
    }
  }

  private final class Tracer extends HealthChecks.RemoteAddressTracer {
    private final String method;
    private final long start = System.nanoTime(); // the attempt starts as its tracer is made

    Tracer(String method) {
      this.method = method;
    }

    @Override
    public void streamClosed(Status status) {
      record(remote(), method, status.getCode(), System.nanoTime() - start);
    }
  }
}
