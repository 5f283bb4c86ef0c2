package org.shakenfist.sfdb.client.internal.balance;

import io.grpc.ConnectivityState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.shakenfist.sfdb.client.CallCounts;
import org.shakenfist.sfdb.client.EndpointState;
import org.shakenfist.sfdb.client.EndpointState.Health;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.internal.count.EndpointAccounting;

/**
 * One channel's view of its configured instances, fed by the SDK's load-balancing policy (one update per
 * subchannel state or health change): backs {@code DatabaseChannel.endpoints()}, the
 * {@code sfdb.client.endpoint.*} gauges, and an INFO log line whenever an instance enters or leaves the
 * rotation. Reaches the policy in the channel's {@link TierPolicy}.
 */
public final class EndpointStates {
  private static final Logger log = Logger.getLogger(EndpointStates.class.getName());
  private static final List<ConnectivityState> STATES = List.of(ConnectivityState.IDLE, ConnectivityState.CONNECTING,
      ConnectivityState.READY, ConnectivityState.TRANSIENT_FAILURE);

  private final Map<GatewayHost, Host> hosts = new LinkedHashMap<>();
  private final Health initialHealth;
  private final EndpointAccounting accounting;
  private final Clock clock;
  private final List<Meter> meters = new ArrayList<>();
  private final MeterRegistry registry;
  private volatile boolean shuttingDown;

  /**
   * @param initialHealth what health is before a check answered: UNKNOWN when checked, UNCHECKED when off
   * @param accounting per-endpoint attempts, or null when counting is off
   */
  public EndpointStates(List<GatewayHost> configured, Health initialHealth, EndpointAccounting accounting,
      MeterRegistry registry, Clock clock) {
    this.initialHealth = initialHealth;
    this.accounting = accounting;
    this.clock = clock;
    this.registry = registry;
    Instant now = clock.instant();
    for (GatewayHost h : configured) {
      Host host = new Host(now);
      hosts.put(h, host);
      String endpoint = h.toString();
      meters.add(Gauge.builder("sfdb.client.endpoint.in.rotation", host, x -> x.inRotation ? 1 : 0)
          .description("1 while calls are sent to the gateway instance").tag("endpoint", endpoint)
          .strongReference(true).register(registry));
      for (ConnectivityState s : STATES) {
        meters.add(Gauge.builder("sfdb.client.endpoint.state", host, x -> x.connectivity == s ? 1 : 0)
            .description("1 for the connection state the gateway instance is in").tag("endpoint", endpoint)
            .tag("state", s.name()).strongReference(true).register(registry));
      }
      for (Health health : Health.values()) {
        meters.add(Gauge.builder("sfdb.client.endpoint.health", host, x -> x.health == health ? 1 : 0)
            .description("1 for the gateway instance's last health result").tag("endpoint", endpoint)
            .tag("health", health.name()).strongReference(true).register(registry));
      }
    }
  }

  /** Called by the policy (from the channel's synchronization context). */
  synchronized void update(GatewayHost gatewayHost, SocketAddress address, ConnectivityState connectivity,
      Health health, boolean inRotation, String problem) {
    Host host = hosts.get(gatewayHost);
    if (host == null) {
      return;
    }
    host.addresses.put(address, new AddressState(connectivity, health, inRotation, problem));
    host.recompute(gatewayHost, clock.instant());
    notifyAll();
  }

  /** The address is gone (subchannel shut down). */
  synchronized void remove(GatewayHost gatewayHost, SocketAddress address) {
    Host host = hosts.get(gatewayHost);
    if (host != null && host.addresses.remove(address) != null) {
      host.recompute(gatewayHost, clock.instant());
      notifyAll();
    }
  }

  /**
   * Blocks until a snapshot satisfies {@code condition} (checked now and at every change); returns it.
   *
   * @throws java.util.concurrent.TimeoutException with the last snapshot when {@code timeout} passes first
   */
  public synchronized List<EndpointState> await(java.util.function.Predicate<List<EndpointState>> condition,
      java.time.Duration timeout) throws java.util.concurrent.TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<EndpointState> now = snapshot();
    while (!condition.test(now)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new java.util.concurrent.TimeoutException("sfdb: the endpoint view did not reach the condition within "
            + timeout + "; now: " + now);
      }
      java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
      now = snapshot();
    }
    return now;
  }

  /** A snapshot, in configuration order. */
  public synchronized List<EndpointState> snapshot() {
    CallCounts counts = accounting == null ? CallCounts.empty() : accounting.snapshot();
    List<EndpointState> out = new ArrayList<>();
    hosts.forEach((h, host) -> {
      List<String> names = host.addresses.keySet().stream().map(EndpointAccounting::endpointName).toList();
      long attempts = names.stream().mapToLong(counts::get).sum();
      out.add(new EndpointState(h, names, host.connectivity, host.health, host.inRotation, host.since, attempts,
          host.problem));
    });
    return out;
  }

  /** The channel is shutting down: its instances leave the rotation without a log line each. */
  public void shuttingDown() {
    shuttingDown = true;
  }

  /** Removes the gauges (the channel is closed). */
  public void close() {
    meters.forEach(registry::remove);
  }

  private record AddressState(ConnectivityState connectivity, Health health, boolean inRotation, String problem) {}

  private final class Host {
    final Map<SocketAddress, AddressState> addresses = new LinkedHashMap<>();
    volatile ConnectivityState connectivity = ConnectivityState.IDLE;
    volatile Health health = initialHealth;
    volatile boolean inRotation;
    Instant since;
    String problem = "";

    Host(Instant created) {
      this.since = created;
    }

    void recompute(GatewayHost name, Instant now) {
      AddressState best = null;
      for (AddressState a : addresses.values()) {
        if (best == null || rank(a) > rank(best)) {
          best = a;
        }
      }
      ConnectivityState c = best == null ? ConnectivityState.IDLE : best.connectivity();
      Health h = best == null ? initialHealth : best.health();
      boolean in = best != null && best.inRotation();
      String p = best == null ? "no address" : best.problem();
      if (c != connectivity || h != health || in != inRotation) {
        since = now;
      }
      if (in != inRotation && !shuttingDown) {
        log.info(in ? "sfdb: gateway instance " + name + " entered the rotation (" + c + ", health " + h + ")"
            : "sfdb: gateway instance " + name + " left the rotation (" + c + ", health " + h
                + (p.isEmpty() ? "" : ": " + p) + ")");
      }
      connectivity = c;
      health = h;
      inRotation = in;
      problem = in ? "" : p;
    }

    private int rank(AddressState a) {
      int r = switch (a.connectivity()) {
        case READY -> 4;
        case CONNECTING -> 3;
        case IDLE -> 2;
        case TRANSIENT_FAILURE -> 1;
        case SHUTDOWN -> 0;
      };
      return r * 2 + (a.inRotation() ? 1 : 0);
    }
  }
}
