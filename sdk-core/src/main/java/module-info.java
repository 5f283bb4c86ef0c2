/**
 * sfdb-client: one gRPC channel over every instance of a tier of sf-database gateways. The module exports only
 * its API package; the implementation's step packages ({@code internal.*}) stay inside, except the balancing
 * package, opened to the testkit's simulator, which drives the SDK's own policy objects.
 */
module org.shakenfist.sfdb.client {
  requires transitive io.grpc;
  requires transitive micrometer.core;
  requires io.grpc.inprocess;
  requires io.grpc.netty;
  requires io.grpc.services;
  requires io.grpc.stub;
  requires io.grpc.util;
  requires com.google.common;
  requires dev.failsafe.core;
  requires io.netty.common;
  requires io.netty.transport;
  requires java.logging;

  exports org.shakenfist.sfdb.client;
  exports org.shakenfist.sfdb.client.internal.balance to org.shakenfist.sfdb.testkit;

  provides io.grpc.LoadBalancerProvider
      with org.shakenfist.sfdb.client.internal.balance.TierLoadBalancerProvider;
  provides io.grpc.NameResolverProvider
      with org.shakenfist.sfdb.client.internal.resolve.SfdbNameResolverProvider,
          org.shakenfist.sfdb.client.internal.resolve.SfdbInProcessNameResolverProvider;
}
