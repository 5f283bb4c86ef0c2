package org.shakenfist.sfdb.client.internal.count;

import com.google.common.net.InetAddresses;
import io.grpc.CallOptions;
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
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.internal.channel.DefaultDeadline;
import org.shakenfist.sfdb.client.internal.health.HealthChecks;

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
  private final ConcurrentHashMap<String, MethodTracers> factories = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> perEndpoint = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<MeterKey, Meters> meters = new ConcurrentHashMap<>();

  public EndpointAccounting(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The tracer factory for calls of one method (cached: no allocation per call). */
  public ClientStreamTracer.Factory factoryFor(MethodDescriptor<?, ?> method) {
    String name = method.getFullMethodName();
    MethodTracers f = factories.get(name);
    return f != null ? f : factories.computeIfAbsent(name, MethodTracers::new);
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

  /** The endpoint's name and attempt adder, created once per address and shared by every method. */
  private Endpoint endpoint(SocketAddress remote) {
    String name = remote == null ? CallCounts.NO_ENDPOINT : endpointName(remote);
    LongAdder adder = perEndpoint.computeIfAbsent(name, k -> new LongAdder());
    return new Endpoint(name, adder);
  }

  private Meters meters(String endpoint, String method, Status.Code code) {
    return meters.computeIfAbsent(new MeterKey(endpoint, method, code), k -> new Meters(
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

  private record MeterKey(String endpoint, String method, Status.Code code) {}

  private record Meters(Counter counter, Timer timer) {}

  private record Endpoint(String name, LongAdder attempts) {}

  /**
   * One per method. The attempt path does one map lookup (by the transport's remote address, whose hash
   * is cheap) and one array read (by status code), and allocates nothing beyond its tracer; the names,
   * adders and meters behind them are made once.
   */
  private final class MethodTracers extends ClientStreamTracer.Factory {
    private static final int CODES = Status.Code.values().length;

    private final String method;
    private final ConcurrentHashMap<SocketAddress, MethodEndpoint> byAddress = new ConcurrentHashMap<>();
    private volatile MethodEndpoint noEndpoint;

    MethodTracers(String method) {
      this.method = method;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
      return new Tracer(this, info.getCallOptions());
    }

    void record(SocketAddress remote, Status.Code code, long nanos) {
      MethodEndpoint e;
      if (remote == null) {
        e = noEndpoint;
        if (e == null) {
          // racing first attempts may each make one; they share the adder and (via the map) the meters
          e = noEndpoint = new MethodEndpoint(endpoint(null));
        }
      } else {
        e = byAddress.get(remote);
        if (e == null) {
          e = byAddress.computeIfAbsent(remote, a -> new MethodEndpoint(endpoint(a)));
        }
      }
      e.endpoint.attempts().increment();
      int i = code.ordinal();
      Meters m = e.byCode.get(i);
      if (m == null) {
        m = meters(e.endpoint.name(), method, code); // deduplicated by the shared map
        e.byCode.set(i, m);
      }
      m.counter().increment();
      m.timer().record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** One endpoint as seen by one method: its meters per status code, filled on first use. */
  private static final class MethodEndpoint {
    final Endpoint endpoint;
    final AtomicReferenceArray<Meters> byCode = new AtomicReferenceArray<>(MethodTracers.CODES);

    MethodEndpoint(Endpoint endpoint) {
      this.endpoint = endpoint;
    }
  }

  private static final class Tracer extends HealthChecks.RemoteAddressTracer {
    private final MethodTracers factory;
    private final CallOptions options;
    private final long start = System.nanoTime(); // the attempt starts as its tracer is made

    Tracer(MethodTracers factory, CallOptions options) {
      this.factory = factory;
      this.options = options;
    }

    @Override
    public void streamClosed(Status status) {
      factory.record(remote(), DefaultDeadline.code(status, options), System.nanoTime() - start);
    }
  }
}
