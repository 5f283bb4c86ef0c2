package org.shakenfist.sfdb.client.internal.resolve;

import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Uri;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import org.shakenfist.sfdb.client.DatabaseChannelConfig;
import org.shakenfist.sfdb.client.GatewayHost;
import org.shakenfist.sfdb.client.internal.channel.ServiceConfigs;

/**
 * Resolver provider for {@code sfdb:///h1:p1,h2:p2}: one address group per gateway instance (a DNS name
 * expands to one group per address), plus the service config (round_robin with health checking by
 * default). Registered through {@code META-INF/services/io.grpc.NameResolverProvider}.
 */
public class SfdbNameResolverProvider extends NameResolverProvider {

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }

  @Override
  public String getDefaultScheme() {
    return SfdbTargets.SCHEME;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!getDefaultScheme().equals(targetUri.getScheme())) {
      return null;
    }
    return create(targetUri.getPath(), args);
  }

  @Override
  public NameResolver newNameResolver(Uri targetUri, NameResolver.Args args) {
    if (!getDefaultScheme().equals(targetUri.getScheme())) {
      return null;
    }
    return create(targetUri.getPath(), args);
  }

  private NameResolver create(String path, NameResolver.Args args) {
    List<GatewayHost> hosts = SfdbTargets.hostsOfPath(path);
    ResolverServiceConfig serviceConfig = args.getArg(ResolverServiceConfig.KEY);
    if (serviceConfig == null) {
      // Used without the SDK (plain Grpc.newChannelBuilder("sfdb:///...")): default settings.
      serviceConfig = new ResolverServiceConfig(
          ServiceConfigs.forConfig(DatabaseChannelConfig.builder().hosts(hosts).build()));
    }
    return new SfdbNameResolver(hosts, inProcess(), serviceConfig, args);
  }

  /** Whether host names are in-process server names rather than network hosts. */
  boolean inProcess() {
    return false;
  }
}
