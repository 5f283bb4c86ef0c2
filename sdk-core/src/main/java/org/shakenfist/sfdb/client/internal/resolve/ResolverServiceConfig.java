package org.shakenfist.sfdb.client.internal.resolve;

import io.grpc.NameResolver;
import java.util.Map;

/**
 * The service config a channel's sfdb resolver returns with every result, handed to it through
 * {@code ManagedChannelBuilder.setNameResolverArg(ResolverServiceConfig.KEY, ...)}.
 *
 * @param serviceConfig the service config as grpc's JSON-like map (numbers are Doubles)
 */
public record ResolverServiceConfig(Map<String, ?> serviceConfig) {
  /** Name-resolver argument key. */
  public static final NameResolver.Args.Key<ResolverServiceConfig> KEY = NameResolver.Args.Key.create("sfdb-service-config");
}
