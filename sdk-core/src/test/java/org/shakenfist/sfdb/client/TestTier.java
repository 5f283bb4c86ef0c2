package org.shakenfist.sfdb.client;

import static org.awaitility.Awaitility.await;

import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/** Minimal tier of SimpleService servers with health, for sdk-core's own tests (the real fake is sdk-testkit). */
final class TestTier implements AutoCloseable {
  final List<Instance> instances = new ArrayList<>();
  final boolean netty;

  private TestTier(boolean netty) {
    this.netty = netty;
  }

  static TestTier inProcess(int n) throws IOException {
    return inProcess(n, true);
  }

  /** {@code withHealth=false}: servers without a grpc.health.v1 service. */
  static TestTier inProcess(int n, boolean withHealth) throws IOException {
    TestTier tier = new TestTier(false);
    String prefix = "core-test-" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < n; i++) {
      tier.instances.add(new Instance(prefix + "-" + i, InProcessServerBuilder.forName(prefix + "-" + i), withHealth));
    }
    return tier;
  }

  static TestTier netty(int n) throws IOException {
    TestTier tier = new TestTier(true);
    for (int i = 0; i < n; i++) {
      ServerBuilder<?> b = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create());
      tier.instances.add(new Instance("netty-" + i, b, true));
    }
    return tier;
  }

  /** Hosts string: in-process names, or 127.0.0.1:port. */
  String hosts() {
    return instances.stream().map(Instance::endpoint).collect(Collectors.joining(","));
  }

  DatabaseChannelConfigBuilder config() {
    return DatabaseChannelConfig.builder()
        .hosts(hosts())
        .transport(netty ? Transport.NETTY : Transport.IN_PROCESS);
  }

  Map<String, Integer> received() {
    return instances.stream().collect(Collectors.toMap(Instance::endpoint, i -> i.received.get()));
  }

  int totalReceived() {
    return instances.stream().mapToInt(i -> i.received.get()).sum();
  }

  static SimpleResponse call(io.grpc.Channel channel) {
    return SimpleServiceGrpc.newBlockingStub(channel).unaryRpc(SimpleRequest.newBuilder().setRequestMessage("hi").build());
  }

  /** Calls until every instance has served at least one call, so all subchannels are READY. */
  void warmUp(io.grpc.Channel channel) {
    waitFor(() -> {
      call(channel);
      return instances.stream().filter(i -> i.serving).allMatch(i -> i.received.get() > 0);
    }, "every serving instance served a call");
  }

  /** The core tests' one way to wait (Awaitility; conditions that make calls are polled back to back). */
  static void waitFor(BooleanSupplier condition, String what) {
    await(what).atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
        .until(condition::getAsBoolean);
  }

  @Override
  public void close() throws InterruptedException {
    for (Instance i : instances) {
      i.server.shutdownNow();
    }
    for (Instance i : instances) {
      i.server.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static final class Instance {
    final String name;
    final Server server;
    final HealthStatusManager health = new HealthStatusManager();
    final AtomicInteger received = new AtomicInteger();
    final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();
    volatile Status failWith;
    volatile long delayMillis;
    volatile boolean serving = true;
    /** Health calls wait this long (to simulate a health service that does not answer). */
    volatile long healthDelayMillis;

    Instance(String name, ServerBuilder<?> builder, boolean withHealth) throws IOException {
      this.name = name;
      BindableService service = new SimpleServiceGrpc.SimpleServiceImplBase() {
        @Override
        public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> observer) {
          if (delayMillis > 0) {
            try {
              Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          Status fail = failWith;
          if (fail != null) {
            observer.onError(fail.asRuntimeException());
            return;
          }
          observer.onNext(SimpleResponse.newBuilder().setResponseMessage(Instance.this.name).build());
          observer.onCompleted();
        }
      };
      ServerInterceptor counting = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
          received.incrementAndGet();
          lastHeaders.set(headers);
          return next.startCall(call, headers);
        }
      };
      ServerInterceptor slowHealth = new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
          long d = healthDelayMillis;
          if (d > 0) {
            try {
              Thread.sleep(d);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return next.startCall(call, headers);
        }
      };
      builder.addService(ServerInterceptors.intercept(service, counting));
      if (withHealth) {
        builder.addService(ServerInterceptors.intercept(health.getHealthService(), slowHealth));
      }
      this.server = builder.build().start();
    }

    String endpoint() {
      if (server.getListenSockets().isEmpty() || !(server.getListenSockets().get(0) instanceof InetSocketAddress)) {
        return name;
      }
      return "127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    void setServing(boolean on) {
      serving = on;
      health.setStatus("", on ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
  }
}
