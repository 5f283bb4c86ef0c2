package org.shakenfist.sfdb.client.internal;

import io.grpc.NameResolver;
import java.util.Map;

/**
 * Per-channel options handed to the sfdb resolver through
 * {@code ManagedChannelBuilder.setNameResolverArg(ResolverOptions.KEY, ...)}.
 *
 * @param serviceConfig the service config map the resolver returns with every result
 */
public record ResolverOptions(Map<String, ?> serviceConfig) {
  /** Name-resolver argument key. */
  public static final NameResolver.Args.Key<ResolverOptions> KEY = NameResolver.Args.Key.create("sfdb-options");
}
