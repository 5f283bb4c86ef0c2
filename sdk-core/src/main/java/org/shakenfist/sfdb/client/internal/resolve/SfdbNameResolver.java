package org.shakenfist.sfdb.client.internal.resolve;

import com.google.common.net.InetAddresses;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.grpc.ChannelLogger.ChannelLogLevel;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.inprocess.InProcessSocketAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.GatewayHosts;

/**
 * Resolves the configured gateway hosts to ONE {@link EquivalentAddressGroup} per instance, so round_robin
 * sees every instance as its own endpoint. IP literals and in-process names resolve inline; DNS names are
 * looked up off the synchronization context on every {@link #refresh()} (grpc calls it when a connection
 * fails or a health state flips), so a changed DNS answer is picked up then.
 */
public final class SfdbNameResolver extends NameResolver {
  /** On every address group: the configured instance it belongs to. */
  public static final Attributes.Key<GatewayHost> GATEWAY_HOST = Attributes.Key.create("sfdb-gateway-host");

  private static final ExecutorService DNS_EXECUTOR = Executors.newCachedThreadPool(
      new ThreadFactoryBuilder().setNameFormat("sfdb-dns-%d").setDaemon(true).build());

  private final List<GatewayHost> hosts;
  private final boolean inProcess;
  private final boolean needsLookup;
  private final Args args;
  private final ConfigOrError serviceConfig;
  private final Executor executor;
  private Listener2 listener;
  private boolean resolving;
  private boolean shutdown;

  SfdbNameResolver(List<GatewayHost> hosts, boolean inProcess, ResolverServiceConfig serviceConfig, Args args) {
    this.hosts = hosts;
    this.inProcess = inProcess;
    this.needsLookup = !inProcess && !hosts.stream().allMatch(GatewayHost::isIpLiteral);
    this.args = args;
    this.serviceConfig = args.getServiceConfigParser().parseServiceConfig(serviceConfig.serviceConfig());
    Executor offload = args.getOffloadExecutor();
    this.executor = offload != null ? offload : DNS_EXECUTOR;
  }

  @Override
  public String getServiceAuthority() {
    return hosts.get(0).toString();
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    resolve();
  }

  @Override
  public void refresh() {
    resolve();
  }

  @Override
  public void shutdown() {
    shutdown = true;
  }

  private void resolve() {
    if (resolving || shutdown) {
      return;
    }
    if (!needsLookup) {
      deliver(lookup());
      return;
    }
    resolving = true;
    executor.execute(() -> {
      StatusOr<List<EquivalentAddressGroup>> result = lookup();
      args.getSynchronizationContext().execute(() -> {
        resolving = false;
        if (!shutdown) {
          deliver(result);
        }
      });
    });
  }

  private void deliver(StatusOr<List<EquivalentAddressGroup>> addresses) {
    listener.onResult2(ResolutionResult.newBuilder()
        .setAddressesOrError(addresses)
        .setServiceConfig(serviceConfig)
        .build());
  }

  private StatusOr<List<EquivalentAddressGroup>> lookup() {
    // each address with the instance it belongs to: with TLS, an instance's certificate is checked against
    // its own host, not the first one of the tier
    Map<SocketAddress, GatewayHost> addresses = new LinkedHashMap<>();
    List<String> failures = new ArrayList<>();
    for (GatewayHost host : hosts) {
      if (inProcess) {
        addresses.putIfAbsent(new InProcessSocketAddress(host.host()), host);
      } else if (host.isIpLiteral()) {
        addresses.putIfAbsent(new InetSocketAddress(InetAddresses.forString(host.host()), host.port()), host);
      } else {
        try {
          for (InetAddress a : InetAddress.getAllByName(host.host())) {
            addresses.putIfAbsent(new InetSocketAddress(a, host.port()), host);
          }
        } catch (UnknownHostException | SecurityException e) {
          failures.add(host + " (" + e.getMessage() + ")");
        }
      }
    }
    if (!failures.isEmpty()) {
      args.getChannelLogger().log(ChannelLogLevel.WARNING, "sfdb: could not resolve {0}", failures);
    }
    if (addresses.isEmpty()) {
      return StatusOr.fromStatus(Status.UNAVAILABLE.withDescription(
          "sfdb: could not resolve any gateway host of " + GatewayHosts.render(hosts) + ": " + failures));
    }
    List<EquivalentAddressGroup> groups = new ArrayList<>(addresses.size());
    addresses.forEach((address, host) -> {
      Attributes.Builder attrs = Attributes.newBuilder().set(GATEWAY_HOST, host);
      if (!inProcess) {
        attrs.set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, host.toString());
      }
      groups.add(new EquivalentAddressGroup(address, attrs.build()));
    });
    return StatusOr.fromValue(groups);
  }
}
