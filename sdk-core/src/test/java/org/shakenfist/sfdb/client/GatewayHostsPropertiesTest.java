package org.shakenfist.sfdb.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class GatewayHostsPropertiesTest {

  @Property(tries = 500)
  void renderThenParseGivesTheSameList(@ForAll("hostLists") List<GatewayHost> hosts) {
    List<GatewayHost> unique = new ArrayList<>(new LinkedHashSet<>(hosts));
    String rendered = GatewayHosts.render(unique);
    assertFalse(rendered.endsWith(","));
    assertEquals(unique, GatewayHosts.parse(rendered, 1));
    assertEquals(rendered, GatewayHosts.render(GatewayHosts.parse(rendered, 1)));
  }

  @Property(tries = 2000)
  void anyStringParsesOrThrowsTheDocumentedException(@ForAll("noisy") String value) {
    try {
      List<GatewayHost> hosts = GatewayHosts.parse(value, 13005);
      assertFalse(hosts.isEmpty());
      assertEquals(hosts, GatewayHosts.parse(GatewayHosts.render(hosts), 13005));
    } catch (DatabaseConfigException e) {
      assertNotNull(e.getMessage());
      assertEquals(GatewayHosts.VARIABLE, e.variable());
    }
  }

  @Property(tries = 1000)
  void anyUnicodeStringParsesOrThrows(@ForAll String value) {
    try {
      GatewayHosts.parse(value, 13005);
    } catch (DatabaseConfigException e) {
      assertEquals(GatewayHosts.VARIABLE, e.variable());
    }
  }

  @Provide
  Arbitrary<String> noisy() {
    return Arbitraries.strings().withChars("0123456789abcdefABCDEF:.,[] -_%$").ofMaxLength(40);
  }

  @Provide
  Arbitrary<List<GatewayHost>> hostLists() {
    return host().list().ofMinSize(1).ofMaxSize(6);
  }

  private Arbitrary<GatewayHost> host() {
    Arbitrary<Integer> ports = Arbitraries.integers().between(1, 65535);
    Arbitrary<String> v4 = Arbitraries.integers().between(0, 255).list().ofSize(4)
        .map(l -> l.get(0) + "." + l.get(1) + "." + l.get(2) + "." + l.get(3));
    Arbitrary<String> v6 = Arbitraries.integers().between(0, 0xffff).list().ofSize(8)
        .map(l -> String.join(":", l.stream().map(Integer::toHexString).toList()));
    Arbitrary<String> label = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789").ofMinLength(1)
        .ofMaxLength(12).filter(s -> !s.chars().allMatch(Character::isDigit));
    Arbitrary<String> dns = label.list().ofMinSize(1).ofMaxSize(4).map(l -> String.join(".", l));
    return Combinators.combine(Arbitraries.oneOf(v4, v6, dns), ports).as(GatewayHost::of);
  }
}
