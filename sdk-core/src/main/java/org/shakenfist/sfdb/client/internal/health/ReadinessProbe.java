package org.shakenfist.sfdb.client.internal.health;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.internal.count.EndpointAccounting;

/**
 * Implementation of {@code DatabaseChannel.awaitReady}: Health/Check probes through the channel; on timeout,
 * one direct probe per instance (on channels from {@code direct}) for the message.
 */
public final class ReadinessProbe {
  private static final Duration PROBE_DEADLINE = Duration.ofSeconds(2);

  private ReadinessProbe() {}

  /**
   * @param channel the tier's channel (round_robin over the healthy instances)
   * @param hosts the configured instances
   * @param direct builds a plain channel to one instance (no health checks, no retries, no counting)
   */
  public static Set<String> await(Channel channel, List<GatewayHost> hosts, Function<GatewayHost, ManagedChannel> direct,
      int minServing, Duration timeout) throws TimeoutException {
    if (minServing < 1) {
      throw new IllegalArgumentException("minServing must be at least 1, got " + minServing);
    }
    int window = 2 * Math.max(minServing, hosts.size());
    AtomicReference<Set<String>> last = new AtomicReference<>(Set.of());
    long deadline = System.nanoTime() + timeout.toNanos();
    RetryPolicy<Set<String>> untilEnough = RetryPolicy.<Set<String>>builder()
        .handleResultIf(serving -> serving.size() < minServing)
        .withBackoff(Duration.ofMillis(20), Duration.ofMillis(500))
        .withMaxRetries(-1)
        .withMaxDuration(timeout)
        .build();
    Set<String> result;
    try {
      result = Failsafe.with(untilEnough).get(() -> {
        Set<String> serving = probeRound(channel, window, deadline);
        if (serving == null) {
          return last.get(); // cut short by the deadline: keep the last complete round
        }
        last.set(serving);
        return serving;
      });
    } catch (FailsafeException e) {
      result = last.get();
    }
    if (result.size() >= minServing) {
      return result;
    }
    throw new TimeoutException("sfdb: " + result.size() + " of the " + minServing
        + " required gateway instances were READY and SERVING after " + timeout + "; " + diagnose(hosts, direct));
  }

  /**
   * {@code window} Health/Check calls through the channel; the endpoints that answered SERVING, or null when
   * the deadline cut the round short.
   */
  private static Set<String> probeRound(Channel channel, int window, long deadlineNanos) {
    Set<String> serving = new LinkedHashSet<>();
    for (int i = 0; i < window; i++) {
      long left = Math.min(PROBE_DEADLINE.toNanos(), deadlineNanos - System.nanoTime());
      if (left <= 0) {
        return null;
      }
      HealthChecks.RemoteAddressTracer tracer = new HealthChecks.RemoteAddressTracer();
      CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(left, TimeUnit.NANOSECONDS)
          .withStreamTracerFactory(new ClientStreamTracer.Factory() {
            @Override
            public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
              return tracer;
            }
          });
      try {
        HealthCheckResponse r = ClientCalls.blockingUnaryCall(channel, HealthGrpc.getCheckMethod(), options,
            HealthChecks.ALL_SERVICES);
        if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING && tracer.remote() != null) {
          serving.add(EndpointAccounting.endpointName(tracer.remote()));
        }
      } catch (StatusRuntimeException e) {
        // UNIMPLEMENTED: no health service; grpc's health checking treats such a server as healthy too.
        if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED && tracer.remote() != null) {
          serving.add(EndpointAccounting.endpointName(tracer.remote()));
        }
      }
    }
    return serving;
  }

  /** One line per configured instance, from a direct one-off probe (failure path only). */
  static String diagnose(List<GatewayHost> hosts, Function<GatewayHost, ManagedChannel> direct) {
    List<String> states = new ArrayList<>();
    for (GatewayHost host : hosts) {
      ManagedChannel probe = direct.apply(host);
      String state;
      try {
        HealthCheckResponse r = HealthGrpc.newBlockingStub(probe)
            .withDeadlineAfter(PROBE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .check(HealthChecks.ALL_SERVICES);
        state = r.getStatus().name();
      } catch (StatusRuntimeException e) {
        Status s = e.getStatus();
        state = s.getCode() == Status.Code.UNIMPLEMENTED ? "no health service (UNIMPLEMENTED)"
            : "unreachable (" + HealthChecks.describe(s) + ")";
      } finally {
        probe.shutdownNow();
      }
      states.add(host + " " + state);
    }
    return "instances: " + String.join("; ", states);
  }
}
