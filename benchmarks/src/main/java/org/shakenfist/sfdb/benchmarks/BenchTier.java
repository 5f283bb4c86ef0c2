package org.shakenfist.sfdb.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.DatabaseChannelConfigBuilder;
import org.shakenfist.sfdb.client.Transport;
import org.shakenfist.sfdb.testkit.DatabaseTier;
import org.shakenfist.sfdb.testkit.FakeDatabaseInstance;

/**
 * The gateway instances a benchmark talks to: a testkit tier in this JVM ({@code inprocess}, {@code netty}) or
 * in a child JVM ({@code remote}: {@link RemoteTier} on 127.0.0.1, so client and server share no JIT, GC or
 * thread pools).
 */
final class BenchTier implements AutoCloseable {
  private final DatabaseTier local;
  private final Process remote;
  private final String hosts;
  private final Transport transport;

  private BenchTier(DatabaseTier local, Process remote, String hosts, Transport transport) {
    this.local = local;
    this.remote = remote;
    this.hosts = hosts;
    this.transport = transport;
  }

  static BenchTier start(String kind, int instances) throws IOException {
    switch (kind) {
      case "inprocess", "netty" -> {
        Transport t = kind.equals("netty") ? Transport.NETTY : Transport.IN_PROCESS;
        DatabaseTier tier = DatabaseTier.builder().instances(instances).transport(t).metricsHttp(false).start();
        return new BenchTier(tier, null, tier.hostsString(), t);
      }
      case "remote" -> {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
            RemoteTier.class.getName(), String.valueOf(instances))
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

  Transport transport() {
    return transport;
  }

  /** A local instance, for faults; null for a remote tier. */
  FakeDatabaseInstance instance(int i) {
    return local == null ? null : local.instance(i);
  }

  DatabaseChannelConfigBuilder config() {
    return local != null ? local.channelConfigBuilder()
        : DatabaseChannelConfig.builder().hosts(hosts).transport(Transport.NETTY);
  }

  @Override
  public void close() throws InterruptedException, IOException {
    if (local != null) {
      local.close();
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
