package org.shakenfist.sfdb.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts as Linux network namespaces on one bridge: host i is namespace {@code <prefix>-h<i>} with
 * {@code eth0} = 10.200.0.(10+i)/24, all wired through a bridge that lives in its own namespace
 * {@code <prefix>-sw}, so nothing is added to the machine's own network namespace. Everything is removed
 * by {@link #close()}, also after a failed set-up.
 */
final class NetnsTopology implements AutoCloseable {
  final String prefix = "sfdb" + UUID.randomUUID().toString().substring(0, 6);
  private final int hosts;
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();

  private NetnsTopology(int hosts) {
    this.hosts = hosts;
  }

  /** Why this machine cannot build the topology, or null when it can. */
  static String unavailableReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "network-namespace topology test needs root (running as " + System.getProperty("user.name") + ")";
    }
    try {
      Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return "`ip netns` does not work here: " + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      return "`ip` (iproute2) is not installed: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    return null;
  }

  static NetnsTopology create(int hosts) throws IOException, InterruptedException {
    NetnsTopology t = new NetnsTopology(hosts);
    try {
      t.build();
      return t;
    } catch (IOException | RuntimeException | InterruptedException e) {
      t.close();
      throw e;
    }
  }

  private void build() throws IOException, InterruptedException {
    String sw = prefix + "-sw";
    addNamespace(sw);
    ip("netns", "exec", sw, "ip", "link", "add", "br0", "type", "bridge");
    ip("netns", "exec", sw, "ip", "link", "set", "br0", "up");
    for (int i = 0; i < hosts; i++) {
      String ns = host(i);
      addNamespace(ns);
      String inner = prefix + "i" + i;
      String outer = prefix + "o" + i;
      // create the pair inside the switch namespace, then move one end into the host
      ip("netns", "exec", sw, "ip", "link", "add", inner, "type", "veth", "peer", "name", outer);
      ip("netns", "exec", sw, "ip", "link", "set", inner, "netns", ns);
      ip("netns", "exec", sw, "ip", "link", "set", outer, "master", "br0");
      ip("netns", "exec", sw, "ip", "link", "set", outer, "up");
      ip("netns", "exec", ns, "ip", "link", "set", inner, "name", "eth0");
      ip("netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", "eth0");
      ip("netns", "exec", ns, "ip", "link", "set", "eth0", "up");
      ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
    }
  }

  String host(int i) {
    return prefix + "-h" + i;
  }

  static String address(int i) {
    return "10.200.0." + (10 + i);
  }

  /** Takes host i off the network (its eth0 down). */
  void cutLink(int i) throws IOException, InterruptedException {
    ip("netns", "exec", host(i), "ip", "link", "set", "eth0", "down");
  }

  /** Starts {@code command} inside host i; the process is stopped by {@link #close()}. */
  Process start(int i, List<String> env, List<String> command) throws IOException {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", host(i), "env"));
    argv.addAll(env);
    argv.addAll(command);
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    processes.add(p);
    return p;
  }

  /** A command line running {@code mainClass} of this test's class path on this test's JVM. */
  static List<String> java(String mainClass, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Starts {@code command} inside host i with its output collected; stopped by {@link #close()}. */
  ProcessLog startLogged(String name, int i, List<String> env, List<String> command) throws IOException {
    return new ProcessLog(name, start(i, env, command));
  }

  /** Runs {@code command} inside host i and waits for it: its output, or IOException when it fails. */
  String exec(int i, String... command) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("netns", "exec", host(i)));
    argv.addAll(List.of(command));
    return ip(argv.toArray(String[]::new));
  }

  private void addNamespace(String ns) throws IOException, InterruptedException {
    ip("netns", "add", ns);
    namespaces.add(ns);
  }

  private static String ip(String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>();
    argv.add("ip");
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", argv) + " failed: " + out);
    }
    return out;
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    for (int i = namespaces.size() - 1; i >= 0; i--) {
      try {
        ip("netns", "del", namespaces.get(i));
      } catch (IOException | InterruptedException e) {
        System.err.println("cleanup: " + e.getMessage());
      }
    }
  }
}
