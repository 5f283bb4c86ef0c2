package org.shakenfist.sfdb.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SimulateTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Simulate.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void jsonHasTheCountsTheLatencyAndEachInstancesShare() {
    assertEquals(0, run("--scenario", "steady", "--policy", "least_request", "--instances", "3", "--seed", "4",
        "--json"), err.toString(StandardCharsets.UTF_8));
    JsonObject j = JsonParser.parseString(out.toString(StandardCharsets.UTF_8)).getAsJsonObject();
    assertTrue(j.get("calls").getAsLong() > 17_000 && j.get("failed").getAsLong() == 0, j.toString());
    for (String p : new String[] {"p50", "p99", "p999", "max"}) {
      assertTrue(j.getAsJsonObject("latency_us").get(p).getAsLong() > 0, p);
    }
    assertEquals(3, j.getAsJsonArray("instances").size());
    double sum = 0;
    for (var i : j.getAsJsonArray("instances")) {
      sum += i.getAsJsonObject().get("share").getAsDouble();
    }
    assertEquals(1.0, sum, 0.001);
  }

  @Test
  void aBadScenarioPolicyOrNumberIsOneLineAndExitTwo() {
    for (String[] bad : new String[][] {{"--scenario", "sideways"}, {"--policy", "fastest"},
        {"--instances", "many"}, {"--seed", "x"}, {"--speed", "1"}}) {
      err.reset();
      assertEquals(2, run(bad), String.join(" ", bad));
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(1, e.lines().count(), e);
      assertTrue(e.contains(bad[1]) || e.contains(bad[0]), e);
    }
  }
}
