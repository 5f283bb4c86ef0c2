package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The settings table ({@link Setting}) is the one source: of env parsing, equality, toBuilder, the guide's table. */
class ConfigTableTest {
  private static final Path GUIDE = Path.of("..", "docs", "operator-guide.md");

  @Test
  void theOperatorGuidesVariableTableIsTheCodes() throws Exception {
    List<String> lines = Files.readAllLines(GUIDE);
    int header = lines.indexOf("| variable | default | meaning |");
    assertTrue(header >= 0, "the guide has its variable table");
    List<String> documented = new ArrayList<>();
    for (int i = header + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
      documented.add(lines.get(i));
    }
    assertEquals(String.join("\n", Setting.guideRows()), String.join("\n", documented),
        "docs/operator-guide.md's table must be the code's; paste the expected rows");
    String builderOnly = lines.stream().filter(l -> l.startsWith("Builder-only settings:")).findFirst().orElse("");
    assertEquals("Builder-only settings: `" + String.join("`, `", Setting.builderOnlyNames()) + "`.", builderOnly);
  }

  @Test
  void everyVariableIsReadAndEverySettingHasABuilderAccessor() {
    for (Setting<?> s : Setting.all()) {
      boolean setter = java.util.Arrays.stream(DatabaseChannelConfigBuilder.class.getMethods())
          .anyMatch(m -> m.getName().equals(s.name));
      boolean getter = java.util.Arrays.stream(DatabaseChannelConfig.class.getMethods())
          .anyMatch(m -> m.getName().equals(s.name) && m.getParameterCount() == 0);
      assertTrue(setter && getter, s.name + ": a builder setter and an accessor of that name");
    }
  }

  @Test
  void aDerivedConfigKeepsThePortAndTheFirstIsNeverChanged() {
    DatabaseChannelConfigBuilder b = DatabaseChannelConfig.builder().port(2000).hosts("a");
    DatabaseChannelConfig first = b.build();
    assertEquals(List.of(GatewayHost.of("b", 2000)), first.toBuilder().hosts("b").build().hosts(),
        "the port is a setting of the config, not only of the builder");
    b.deadline(Duration.ofSeconds(1)).hosts("z");
    assertEquals(Duration.ofSeconds(30), first.deadline(), "a built config never changes");
    assertEquals(List.of(GatewayHost.of("a", 2000)), first.hosts());
    assertEquals(first, first.toBuilder().build());
    assertEquals(first.hashCode(), first.toBuilder().build().hashCode());
    assertNotEquals(first, first.toBuilder().deadline(Duration.ofSeconds(2)).build());
    assertTrue(first.toString().contains("port=2000") && !first.toString().contains("deadline="), first.toString());
  }

  @Test
  void healthCheckTakesTheBooleanSpellingsTheBooleanVariablesTake() {
    Map<String, HealthCheckMode> expected = Map.of("yes", HealthCheckMode.POLL, "1", HealthCheckMode.POLL,
        "no", HealthCheckMode.OFF, "0", HealthCheckMode.OFF, "TRUE", HealthCheckMode.POLL);
    expected.forEach((text, mode) -> assertEquals(mode, DatabaseChannelConfig.fromEnv(Map.of(
        DatabaseChannelConfig.ENV_HOSTS, "a", Setting.HEALTH_CHECK.variable, text)).healthCheck(), text));
  }

  /** Any valid environment: toBuilder() round-trips every setting, and each value is what its variable said. */
  @Property(tries = 300)
  void toBuilderRoundTripsEverySetting(@ForAll("environments") Map<String, String> env) {
    DatabaseChannelConfig c = DatabaseChannelConfig.fromEnv(env);
    DatabaseChannelConfig again = c.toBuilder().build();
    assertEquals(c, again);
    assertEquals(c.toString(), again.toString());
    assertEquals(c, DatabaseChannelConfig.fromEnv(env), "the same environment, the same config");
    if (env.containsKey(Setting.DEADLINE.variable)) {
      assertEquals(Parsers.parseDuration("x", env.get(Setting.DEADLINE.variable)), c.deadline());
    }
    if (env.containsKey(Setting.PORT.variable)) {
      assertEquals(Integer.parseInt(env.get(Setting.PORT.variable)), c.hosts().get(0).port());
    }
  }

  @Provide
  Arbitrary<Map<String, String>> environments() {
    Map<Setting<?>, Arbitrary<String>> values = new HashMap<>();
    values.put(Setting.PORT, Arbitraries.integers().between(1, 65535).map(String::valueOf));
    values.put(Setting.METRICS_PORT, Arbitraries.integers().between(1, 65535).map(String::valueOf));
    values.put(Setting.HEALTH_CHECK, Arbitraries.of("poll", "on", "watch", "off", "yes", "0"));
    values.put(Setting.HEALTH_POLL_INTERVAL, durations());
    values.put(Setting.HEALTH_POLL_TIMEOUT, durations());
    values.put(Setting.HEALTH_POLL_FAILURES, Arbitraries.integers().between(1, 100).map(String::valueOf));
    values.put(Setting.OUTLIER_DETECTION, Arbitraries.of("true", "off", "YES", "0"));
    values.put(Setting.LB_POLICY, Arbitraries.of("round_robin", "least_request", "peak_ewma", "pick_first"));
    values.put(Setting.EWMA_DECAY, durations());
    values.put(Setting.KEEPALIVE_WITHOUT_CALLS, Arbitraries.of("true", "false"));
    values.put(Setting.MAX_RECEIVE_MESSAGE_BYTES, Arbitraries.integers().between(1, 1 << 30).map(String::valueOf));
    values.put(Setting.RECONNECT_BACKOFF_MAX, durations());
    values.put(Setting.DEADLINE, durations());
    values.put(Setting.RETRY_METHODS, Arbitraries.of("p.S/M", "p.S,q.T/U", " a.B , c.D/E "));
    values.put(Setting.RETRY_MAX_ATTEMPTS, Arbitraries.integers().between(2, 10).map(String::valueOf));
    values.put(Setting.RETRY_STATUS_CODES, Arbitraries.of("UNAVAILABLE", "unavailable,UNKNOWN", "CANCELLED"));
    values.put(Setting.RETRY_BUDGET_TOKENS, Arbitraries.integers().between(0, 1000).map(String::valueOf));
    values.put(Setting.RETRY_BUDGET_RATIO, Arbitraries.integers().between(1, 1000).map(n -> String.valueOf(n / 1000.0)));
    values.put(Setting.CALLER_DAEMON, Arbitraries.of("net", "api", "sf-x"));
    values.put(Setting.CALLER_NODE, Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8));
    List<Arbitrary<Map.Entry<String, String>>> entries = new ArrayList<>();
    values.forEach((s, v) -> entries.add(Combinators.combine(Arbitraries.of(true, false), v)
        .as((present, text) -> present ? Map.entry(s.variable, text) : null)));
    return Combinators.combine(entries).as(list -> {
      Map<String, String> env = new HashMap<>();
      env.put(DatabaseChannelConfig.ENV_HOSTS, "10.0.0.20,db.example:7");
      list.stream().filter(e -> e != null).forEach(e -> env.put(e.getKey(), e.getValue()));
      // keep the cross-setting rule (keepalive timeout <= time) by leaving both at their defaults
      return env;
    });
  }

  private static Arbitrary<String> durations() {
    return Arbitraries.oneOf(Arbitraries.integers().between(1, 100_000).map(n -> n + "ms"),
        Arbitraries.integers().between(1, 3600).map(n -> n + "s"), Arbitraries.integers().between(1, 60).map(n -> n + "m"));
  }
}
