package org.shakenfist.sfdb.client.internal.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.GatewayHost;

/**
 * {@link ReadinessProbe} against a scripted channel: each Health/Check through it lands on the next instance of a
 * fixed rotation and gets that instance's answer at once, so the probe's counting is tested without a balancer.
 */
class ReadinessProbeTest {
  private final List<Server> servers = new ArrayList<>();

  @AfterEach
  void stopServers() {
    servers.forEach(Server::shutdownNow);
  }

  /** One instance of the rotation: its address and what it answers (a serving status, or a failed call). */
  private record Answer(int port, ServingStatus status, Status failure) {
    static Answer serving(int port, ServingStatus status) {
      return new Answer(port, status, null);
    }

    static Answer failing(int port, Status failure) {
      return new Answer(port, null, failure);
    }
  }

  /** A channel whose calls go to {@code rotation} in turn; each call's stream tracer sees that address. */
  private static Channel rotation(Answer... rotation) {
    return new Channel() {
      private int next;

      @Override
      @SuppressWarnings("unchecked")
      public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        Answer a = rotation[next++ % rotation.length];
        return new ClientCall<>() {
          private Listener<R> listener;

          @Override
          public void start(Listener<R> l, Metadata headers) {
            listener = l;
            for (ClientStreamTracer.Factory f : options.getStreamTracerFactories()) {
              f.newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(options).build(),
                  headers).streamCreated(Attributes.newBuilder()
                      .set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, new InetSocketAddress("127.0.0.1", a.port())).build(),
                  headers);
            }
          }

          @Override
          public void request(int n) {}

          @Override
          public void cancel(String message, Throwable cause) {}

          @Override
          public void sendMessage(Q message) {}

          @Override
          public void halfClose() {
            if (a.failure() != null) {
              listener.onClose(a.failure(), new Metadata());
              return;
            }
            listener.onHeaders(new Metadata());
            listener.onMessage((R) HealthCheckResponse.newBuilder().setStatus(a.status()).build());
            listener.onClose(Status.OK, new Metadata());
          }

          @Override
          public String toString() {
            return "scripted call to " + a;
          }
        };
      }

      @Override
      public String authority() {
        return "scripted";
      }
    };
  }

  private static final Function<GatewayHost, ManagedChannel> NO_DIRECT = h -> {
    throw new AssertionError("the direct probes are for the failure message only, not asked for " + h);
  };

  @Test
  void returnsEveryInstanceThatAnsweredServing() throws Exception {
    Set<String> serving = ReadinessProbe.await(rotation(Answer.serving(1, ServingStatus.SERVING),
        Answer.serving(2, ServingStatus.SERVING)), List.of(GatewayHost.of("127.0.0.1", 1),
            GatewayHost.of("127.0.0.1", 2)), NO_DIRECT, 2, Duration.ofSeconds(30));
    assertEquals(Set.of("127.0.0.1:1", "127.0.0.1:2"), serving);
  }

  @Test
  void anInstanceWithoutAHealthServiceCountsAsServingAnotherFailureDoesNot() throws Exception {
    Channel channel = rotation(Answer.failing(1, Status.UNIMPLEMENTED), Answer.failing(2, Status.UNAVAILABLE),
        Answer.serving(3, ServingStatus.NOT_SERVING));
    assertEquals(Set.of("127.0.0.1:1"), ReadinessProbe.await(channel, List.of(), NO_DIRECT, 1,
        Duration.ofSeconds(30)));
  }

  @Test
  void tooFewServingTimesOutNamingEachInstanceFromADirectProbe() throws Exception {
    // the direct probes of the message go to in-process servers: one NOT_SERVING, one without health service
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.NOT_SERVING);
    String name = InProcessServerBuilder.generateName();
    servers.add(InProcessServerBuilder.forName(name + "-b").directExecutor().addService(health.getHealthService())
        .build().start());
    servers.add(InProcessServerBuilder.forName(name + "-c").directExecutor().build().start());
    List<GatewayHost> hosts = List.of(GatewayHost.of(name + "-b", 1), GatewayHost.of(name + "-c", 2),
        GatewayHost.of(name + "-missing", 3));
    List<ManagedChannel> opened = new ArrayList<>();
    Function<GatewayHost, ManagedChannel> direct = h -> {
      ManagedChannel c = InProcessChannelBuilder.forName(h.host()).directExecutor().build();
      opened.add(c);
      return c;
    };
    Channel channel = rotation(Answer.serving(1, ServingStatus.SERVING), Answer.serving(2, ServingStatus.NOT_SERVING));

    TimeoutException e = assertThrows(TimeoutException.class,
        () -> ReadinessProbe.await(channel, hosts, direct, 2, Duration.ofMillis(200)));

    String m = e.getMessage();
    assertTrue(m.startsWith("sfdb: 1 of the 2 required gateway instances were READY and SERVING after PT0.2S"), m);
    assertTrue(m.contains(name + "-b:1 NOT_SERVING"), m);
    assertTrue(m.contains(name + "-c:2 no health service (UNIMPLEMENTED)"), m);
    assertTrue(m.contains(name + "-missing:3 unreachable (UNAVAILABLE"), m);
    assertEquals(3, opened.size());
    assertTrue(opened.stream().allMatch(ManagedChannel::isShutdown), "every direct probe channel is shut down");
  }

  @Test
  void asksForAtLeastOneInstance() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ReadinessProbe.await(rotation(), List.of(), NO_DIRECT, 0, Duration.ofSeconds(1)));
    assertEquals("minServing must be at least 1, got 0", e.getMessage());
  }
}
