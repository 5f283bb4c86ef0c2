package org.shakenfist.sfdb.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.shakenfist.sfdb.client.internal.channel.CoarseTimer;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannelConfigBuilder;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.FakeDatabaseInstance;
import org.shakenfist.sfdb.proto.ClusterConfigReply;
import org.shakenfist.sfdb.proto.ClusterConfigRequest;
import org.shakenfist.sfdb.proto.DatabaseServiceGrpc;
import io.grpc.stub.StreamObserver;

/**
 * The gateway instances a benchmark talks to: a testkit tier in this JVM ({@code inprocess}, {@code netty};
 * {@code direct}: a minimal in-process GetClusterConfig server on the caller's thread, for a client on
 * {@code directExecutor()} too; {@code minimal}: the same server on grpc's default executors) or
 * in a child JVM ({@code remote}: {@link RemoteTier} on 127.0.0.1, so client and server share no JIT, GC or
 * thread pools).
 */
final class BenchTier implements AutoCloseable {
  private final DatabaseTier local;
  private final Process remote;
  private final String hosts;
  private final Transport transport;
  private final List<Server> minimal;
  private final ScheduledExecutorService serverTimer;

  private BenchTier(DatabaseTier local, Process remote, String hosts, Transport transport) {
    this(local, remote, hosts, transport, List.of(), null);
  }

  private BenchTier(DatabaseTier local, Process remote, String hosts, Transport transport, List<Server> minimal,
      ScheduledExecutorService serverTimer) {
    this.minimal = minimal;
    this.serverTimer = serverTimer;
    this.local = local;
    this.remote = remote;
    this.hosts = hosts;
    this.transport = transport;
  }

  static BenchTier start(String kind, int instances) throws IOException {
    return start(kind, instances, -1, 0);
  }

  /**
   * {@code instances} instances of {@code kind}; instance {@code slowIndex} (if not -1; {@code netty} or
   * {@code remote}) answers every call {@code slowMillis} late.
   */
  static BenchTier start(String kind, int instances, int slowIndex, int slowMillis) throws IOException {
    if (slowIndex >= 0 && !kind.equals("netty") && !kind.equals("remote")) {
      throw new IllegalArgumentException("a slow instance needs a netty or remote tier, not " + kind);
    }
    switch (kind) {
      case "inprocess", "netty" -> {
        Transport t = kind.equals("netty") ? Transport.NETTY : Transport.IN_PROCESS;
        DatabaseTier tier = DatabaseTier.builder().instances(instances).transport(t).metricsHttp(false).recordLimit(0)
            .start();
        if (slowIndex >= 0) {
          tier.instance(slowIndex).delay(java.time.Duration.ofMillis(slowMillis));
        }
        return new BenchTier(tier, null, tier.hostsString(), t);
      }
      case "direct", "minimal" -> {
        // the cheapest server there is (no fake's counters, recorder or fault interceptors), serving on the
        // caller's thread, its per-call deadline tasks on a timer wheel (grpc's default timer wakes its thread
        // for every call that carries a deadline): what is left of a call's cost is the client's
        ScheduledExecutorService serverTimer = CoarseTimer.lease();
        List<Server> servers = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
          String name = InProcessServerBuilder.generateName();
          HealthStatusManager health = new HealthStatusManager();
          InProcessServerBuilder b = InProcessServerBuilder.forName(name).scheduledExecutorService(serverTimer);
          if (kind.equals("direct")) {
            b.directExecutor();
          }
          servers.add(b.addService(new MinimalGateway()).addService(health.getHealthService()).build().start());
          names.add(name);
        }
        return new BenchTier(null, null, String.join(",", names), Transport.IN_PROCESS, servers, serverTimer);
      }
      case "remote" -> {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
            RemoteTier.class.getName(), String.valueOf(instances), String.valueOf(slowIndex), String.valueOf(slowMillis))
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("hosts ")) {
          p.destroyForcibly();
          throw new IOException("remote tier did not start: " + line);
        }
        return new BenchTier(null, p, line.substring("hosts ".length()).strip(), Transport.NETTY);
      }
      default -> throw new IllegalArgumentException("transport " + kind);
    }
  }

  /** The instances' addresses as the channel's endpoints name them ({@code host:port}), in order. */
  List<String> hostList() {
    return List.of(hosts.split(","));
  }

  Transport transport() {
    return transport;
  }

  /** Answers GetClusterConfig with one prebuilt reply; nothing else. */
  private static final class MinimalGateway extends DatabaseServiceGrpc.DatabaseServiceImplBase {
    private static final ClusterConfigReply REPLY = ClusterConfigReply.getDefaultInstance();

    @Override
    public void getClusterConfig(ClusterConfigRequest request, StreamObserver<ClusterConfigReply> out) {
      out.onNext(REPLY);
      out.onCompleted();
    }
  }

  /** A local instance, for faults; null for a remote or a direct tier. */
  FakeDatabaseInstance instance(int i) {
    return local == null ? null : local.instance(i);
  }

  DatabaseChannelConfigBuilder config() {
    return local != null ? local.channelConfigBuilder()
        : DatabaseChannelConfig.builder().hosts(hosts).transport(transport);
  }

  @Override
  public void close() throws InterruptedException, IOException {
    if (local != null) {
      local.close();
    }
    minimal.forEach(Server::shutdownNow);
    if (serverTimer != null) {
      serverTimer.shutdown();
    }
    if (remote != null) {
      OutputStream in = remote.getOutputStream();
      in.close(); // RemoteTier stops at end of input
      if (!remote.waitFor(10, TimeUnit.SECONDS)) {
        remote.destroyForcibly();
      }
    }
  }
}
