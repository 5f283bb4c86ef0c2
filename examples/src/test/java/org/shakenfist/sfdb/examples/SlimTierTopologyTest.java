package org.shakenfist.sfdb.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The seed's slim-tier CI shape over real TCP: three hosts as network namespaces on one bridge, the example
 * gateway on two of them (binding 0.0.0.0), tier-check and a retrying client on the third.
 */
@Tag("netns")
class SlimTierTopologyTest {
  private static final String HOSTS = NetnsTopology.address(0) + "," + NetnsTopology.address(1);

  @Test
  void tierCheckAcrossARealNetworkPassesThenFailsWhenAGatewayIsCutOff() throws Exception {
    String why = NetnsTopology.unavailableReason();
    Assumptions.assumeTrue(why == null, why);
    try (NetnsTopology net = NetnsTopology.create(3)) {
      List<Process> gateways = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        gateways.add(net.start(i, List.of(), java("org.shakenfist.sfdb.examples.GatewayServer",
            "--bind", "0.0.0.0", "--grace", "1")));
      }
      awaitListening(net, NetnsTopology.address(0), 13005, gateways.get(0));
      awaitListening(net, NetnsTopology.address(1), 13005, gateways.get(1));

      Result pass = run(net, List.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS=" + HOSTS),
          java("org.shakenfist.sfdb.examples.TierCheck", "--calls", "100", "--timeout", "30s"));
      System.out.println("tier-check, both gateways up:\n" + pass.output);
      assertEquals(0, pass.exit, pass.output);
      assertTrue(pass.output.contains("fan-out check PASSED"), pass.output);
      assertTrue(pass.output.contains("10.200.0.10:13005") && pass.output.contains("10.200.0.11:13005"), pass.output);

      net.cutLink(1);
      Result fail = run(net, List.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS=" + HOSTS),
          java("org.shakenfist.sfdb.examples.TierCheck", "--calls", "100", "--timeout", "5s"));
      System.out.println("tier-check, 10.200.0.11 cut off:\n" + fail.output);
      assertNotEquals(0, fail.exit, fail.output);
      assertTrue(fail.output.contains("10.200.0.11:13005 unreachable"), fail.output);

      Result client = run(net, List.of("SHAKENFIST_MARIADB_GATEWAY_HOSTS=" + HOSTS,
              "SHAKENFIST_MARIADB_GATEWAY_RETRY_METHODS=shakenfist.protos.DatabaseService",
              "SHAKENFIST_CALLER_DAEMON=topology-test"),
          java("org.shakenfist.sfdb.examples.DaemonExample"));
      System.out.println("retrying client, 10.200.0.11 cut off:\n" + client.output);
      assertEquals(0, client.exit, client.output);
      assertTrue(client.output.contains("call 9:"), client.output);
      assertTrue(client.output.contains("calls per gateway endpoint: {10.200.0.10:13005=20}"), client.output);
    }
  }

  private record Result(int exit, String output) {}

  private static Result run(NetnsTopology net, List<String> env, List<String> command) throws Exception {
    Process p = net.start(2, env, command);
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** Waits until the gateway in another namespace accepts TCP, probing from host 2. */
  private static void awaitListening(NetnsTopology net, String address, int port, Process gateway) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!gateway.isAlive()) {
        throw new AssertionError("gateway on " + address + " exited: "
            + new String(gateway.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
      Process probe = net.start(2, List.of(), List.of("bash", "-c", "exec 3<>/dev/tcp/" + address + "/" + port));
      if (probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("gateway " + address + ":" + port + " never listened");
  }

  private static List<String> java(String mainClass, String... args) {
    return NetnsTopology.java(mainClass, args);
  }
}
