package org.shakenfist.sfdb.client.internal.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.grpc.Uri;
import io.grpc.inprocess.InProcessSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.GatewayHosts;
import org.shakenfist.sfdb.client.Transport;

class SfdbNameResolverProviderTest {
  private final LinkedBlockingQueue<NameResolver.ResolutionResult> results = new LinkedBlockingQueue<>();
  private final SynchronizationContext sync = new SynchronizationContext((t, e) -> {
    throw new AssertionError(e);
  });
  private final NameResolver.Args args = NameResolver.Args.newBuilder()
      .setDefaultPort(443)
      .setProxyDetector(addr -> null)
      .setSynchronizationContext(sync)
      .setServiceConfigParser(new NameResolver.ServiceConfigParser() {
        @Override
        public NameResolver.ConfigOrError parseServiceConfig(Map<String, ?> raw) {
          return NameResolver.ConfigOrError.fromConfig(raw);
        }
      })
      .build();
  private final NameResolver.Listener2 listener = new NameResolver.Listener2() {
    @Override
    public void onResult(NameResolver.ResolutionResult r) {
      results.add(r);
    }

    @Override
    public void onError(Status error) {
      throw new AssertionError(error);
    }

    @Override
    public Status onResult2(NameResolver.ResolutionResult r) {
      results.add(r);
      return Status.OK;
    }
  };

  private NameResolver.ResolutionResult resolve(NameResolver r) throws InterruptedException {
    sync.execute(() -> r.start(listener));
    NameResolver.ResolutionResult result = results.poll(10, TimeUnit.SECONDS);
    assertTrue(result != null, "no resolution result");
    return result;
  }

  private static List<SocketAddress> addresses(NameResolver.ResolutionResult r) {
    List<EquivalentAddressGroup> groups = r.getAddressesOrError().getValue();
    groups.forEach(g -> assertEquals(1, g.getAddresses().size(), "one address per group: " + g));
    return groups.stream().map(g -> g.getAddresses().get(0)).toList();
  }

  @Test
  void bothUriFlavoursGiveOneGroupPerInstanceAndTheServiceConfig() throws Exception {
    String target = SfdbTargets.target(Transport.NETTY, GatewayHosts.parse("10.0.0.20,[fd00::1]:7,10.0.0.21:13006", 13005));
    assertEquals("sfdb:///10.0.0.20:13005,%5Bfd00::1%5D:7,10.0.0.21:13006", target);
    SfdbNameResolverProvider provider = new SfdbNameResolverProvider();
    List<SocketAddress> expected = List.of(new InetSocketAddress("10.0.0.20", 13005),
        new InetSocketAddress("fd00::1", 7), new InetSocketAddress("10.0.0.21", 13006));

    NameResolver.ResolutionResult viaUri = resolve(provider.newNameResolver(Uri.create(target), args));
    assertEquals(expected, addresses(viaUri));
    Map<?, ?> sc = (Map<?, ?>) viaUri.getServiceConfig().getConfig();
    assertEquals(List.of(Map.of("sfdb_tier", Map.of())), sc.get("loadBalancingConfig"));
    assertTrue(!sc.containsKey("healthCheckConfig"), "no Watch streams by default: " + sc);

    NameResolver.ResolutionResult viaJavaUri = resolve(provider.newNameResolver(new URI(target), args));
    assertEquals(expected, addresses(viaJavaUri));
    assertEquals("10.0.0.20:13005", provider.newNameResolver(new URI(target), args).getServiceAuthority());
  }

  @Test
  void otherSchemesAreNotOurs() throws Exception {
    assertNull(new SfdbNameResolverProvider().newNameResolver(new URI("dns:///localhost:1"), args));
    assertNull(new SfdbInProcessNameResolverProvider().newNameResolver(Uri.create("sfdb:///a"), args));
  }

  @Test
  void inProcessNamesBecomeInProcessAddresses() throws Exception {
    NameResolver r = new SfdbInProcessNameResolverProvider().newNameResolver(
        Uri.create("sfdb-inprocess:///alpha:13005,beta:13005"), args);
    assertEquals(List.of(new InProcessSocketAddress("alpha"), new InProcessSocketAddress("beta")), addresses(resolve(r)));
  }

  @Test
  void dnsNamesExpandAndAreResolvedAgainOnRefresh() throws Exception {
    NameResolver r = new SfdbNameResolverProvider().newNameResolver(Uri.create("sfdb:///localhost:9,10.0.0.1:9"), args);
    List<SocketAddress> first = addresses(resolve(r));
    assertTrue(first.size() >= 2, first.toString());
    assertTrue(first.stream().allMatch(a -> ((InetSocketAddress) a).getPort() == 9), first.toString());
    assertEquals(new InetSocketAddress("10.0.0.1", 9), first.get(first.size() - 1));
    sync.execute(r::refresh);
    NameResolver.ResolutionResult again = results.poll(10, TimeUnit.SECONDS);
    assertTrue(again != null, "refresh resolves again");
    assertEquals(first, addresses(again));
    r.shutdown();
  }
}
