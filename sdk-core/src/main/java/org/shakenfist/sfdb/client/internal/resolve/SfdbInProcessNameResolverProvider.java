package org.shakenfist.sfdb.client.internal.resolve;

import io.grpc.inprocess.InProcessSocketAddress;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.List;

/**
 * Resolver provider for {@code sfdb-inprocess:///name1:p,name2:p}: each host is the name of an in-process
 * server in this JVM. Same service config and accounting as {@code sfdb:}; registered through
 * {@code META-INF/services/io.grpc.NameResolverProvider}.
 */
public final class SfdbInProcessNameResolverProvider extends SfdbNameResolverProvider {
  @Override
  public String getDefaultScheme() {
    return SfdbTargets.IN_PROCESS_SCHEME;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InProcessSocketAddress.class);
  }

  @Override
  boolean inProcess() {
    return true;
  }
}
