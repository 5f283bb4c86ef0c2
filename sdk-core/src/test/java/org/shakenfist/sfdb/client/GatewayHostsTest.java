package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.testsupport.LogCapture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayHostsTest {
  private static List<GatewayHost> parse(String v) {
    return GatewayHosts.parse(v, 13005);
  }

  @Test
  void parsesTheDocumentedForms() {
    assertEquals(List.of(GatewayHost.of("10.0.0.20", 13005), GatewayHost.of("10.0.0.21", 13005)),
        parse("10.0.0.20,10.0.0.21"));
    assertEquals(List.of(GatewayHost.of("10.0.0.20", 13007)), parse("10.0.0.20:13007"));
    assertEquals(List.of(GatewayHost.of("db1.example.com", 13005)), parse("DB1.Example.com"));
    assertEquals(List.of(GatewayHost.of("fd00::1", 13005)), parse("[fd00::1]"));
    assertEquals(List.of(GatewayHost.of("fd00::1", 99)), parse("[fd00:0::1]:99"));
    assertEquals(List.of(GatewayHost.of("::1", 13005)), parse("::1"));
    assertEquals(List.of(GatewayHost.of("fe80::1:8080", 13005)), parse("fe80::1:8080"), "bare v6 never has a port");
  }

  @Test
  void trimsDropsEmptyItemsAndKeepsOrder() {
    assertEquals(List.of(GatewayHost.of("b", 13005), GatewayHost.of("a", 13005), GatewayHost.of("c", 1)),
        parse("  b , a,, ,c:1,"));
  }

  @Test
  void duplicatesAreKeptOnceWithAWarning() {
    try (LogCapture warnings = LogCapture.of(GatewayHosts.class, Level.WARNING)) {
      assertEquals(List.of(GatewayHost.of("10.0.0.1", 13005), GatewayHost.of("10.0.0.2", 13005)),
          parse("10.0.0.1,10.0.0.2,10.0.0.1:13005"));
      assertEquals(1, warnings.count("item 3 \"10.0.0.1:13005\" repeats item 1"), warnings.messages().toString());
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''| 0 | lists no hosts",
      "' , ,'| 0 | lists no hosts",
      "a,10.0.0.1:0| 2 | port 0 is not in 1..65535",
      "a,10.0.0.1:65536| 2 | port 65536 is not in 1..65535",
      "10.0.0.1:http| 1 | port \"http\" is not a number",
      "[fd00::1| 1 | unbalanced brackets",
      "fd00::1]| 1 | unbalanced brackets",
      "[[fd00::1]]| 1 | unbalanced brackets",
      "[10.0.0.1]| 1 | inside brackets is not an IPv6 address",
      "[fd00::1]x| 1 | unexpected characters after ']'",
      "x,host name| 2 | not a valid host name",
      "db$1| 1 | not a valid host name",
      "999.0.0.1| 1 | not a valid IPv4 address",
      "fd00::1::2| 1 | not a valid IPv6 address",
      "a,:13005| 2 | host is empty",
      "-a.example.com| 1 | not a valid host name",
  })
  void badInputNamesVariableItemAndPosition(String value, int position, String problem) {
    DatabaseConfigException e = assertThrows(DatabaseConfigException.class, () -> parse(value));
    assertTrue(e.getMessage().startsWith("SHAKENFIST_MARIADB_GATEWAY_HOSTS"), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
    assertEquals(position, e.position(), e.getMessage());
    if (position > 0) {
      assertTrue(e.getMessage().contains("item " + position + " \""), e.getMessage());
    }
  }

  @Test
  void unsetIsAnError() {
    DatabaseConfigException e = assertThrows(DatabaseConfigException.class, () -> GatewayHosts.parse(null, 13005));
    assertTrue(e.getMessage().contains("SHAKENFIST_MARIADB_GATEWAY_HOSTS") && e.getMessage().contains("not set"));
  }

  @Test
  void renderIsCanonicalAndHasNoTrailingComma() {
    assertEquals("10.0.0.20:13005", GatewayHosts.render(parse("10.0.0.20")));
    assertEquals("10.0.0.20:13005,[fd00::1]:7,db.example:13005",
        GatewayHosts.render(parse("10.0.0.20, [FD00:0:0::1]:7 ,db.example,")));
  }
}
