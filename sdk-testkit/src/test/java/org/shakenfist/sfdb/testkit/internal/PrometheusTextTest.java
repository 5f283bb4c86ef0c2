package org.shakenfist.sfdb.testkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  private static final String SAMPLE = """
      # HELP database_get_cluster_config_total DatabaseService.get_cluster_config calls
      # TYPE database_get_cluster_config_total counter
      database_get_cluster_config_total 42.0
      database_get_object_state_total 8
      database_requests_total{operation="get_cluster_config",caller_daemon="sf-api"} 40.0
      database_requests_total{caller_daemon="we\\"ird, one",operation="get_cluster_config"} 2.0 1712345678000
      process_cpu_seconds_total 3.5
      grpc_latency{le="+Inf"} +Inf
      up NaN
      """;

  @Test
  void parsesSamplesLabelsEscapesAndSpecialValues() {
    Map<String, Double> all = PrometheusText.parse(SAMPLE);
    assertEquals(42.0, all.get("database_get_cluster_config_total"));
    assertEquals(8.0, all.get("database_get_object_state_total"));
    assertEquals(40.0, all.get("database_requests_total{caller_daemon=\"sf-api\",operation=\"get_cluster_config\"}"));
    assertEquals(2.0, all.get("database_requests_total{caller_daemon=\"we\\\"ird, one\",operation=\"get_cluster_config\"}"));
    assertEquals(Double.POSITIVE_INFINITY, all.get("grpc_latency{le=\"+Inf\"}"));
    assertTrue(Double.isNaN(all.get("up")));
    assertEquals(7, all.size());
  }

  @Test
  void databaseCountersAndOperationSum() {
    Map<String, Double> db = PrometheusText.databaseCounters(PrometheusText.parse(SAMPLE));
    assertEquals(4, db.size(), db.toString());
    assertEquals(50.0, PrometheusText.sumOperations(db), "requests_total must not be counted twice");
  }

  @Test
  void malformedLinesNameTheLine() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PrometheusText.parse("ok 1\nbad{x=\"1\" 2\n"));
    assertTrue(e.getMessage().startsWith("metrics line 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("x one"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("9x 1"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("x{a=b} 1"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("x 1 2 3"));
  }
}
