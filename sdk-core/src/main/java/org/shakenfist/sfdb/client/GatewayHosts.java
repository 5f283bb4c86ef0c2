package org.shakenfist.sfdb.client;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Parses and renders the gateway host list ({@code SHAKENFIST_MARIADB_GATEWAY_HOSTS}).
 *
 * <p>The value is comma-separated; each item is trimmed, empty items are dropped and order is kept.
 * Item forms: {@code 10.0.0.20}, {@code 10.0.0.20:13006}, {@code db1.example.com},
 * {@code db1.example.com:13006}, {@code [fd00::1]}, {@code [fd00::1]:13006} and a bare IPv6 literal
 * {@code fd00::1} (a bare IPv6 literal never carries a port: use brackets for that). Items without a port
 * get the default port. A repeated instance is kept once, with a warning.
 *
 * <pre>{@code
 * List<GatewayHost> hosts = GatewayHosts.parse("10.0.0.20, 10.0.0.21:13006,", 13005);
 * String canonical = GatewayHosts.render(hosts); // "10.0.0.20:13005,10.0.0.21:13006"
 * }</pre>
 *
 * <p>Any input either parses or throws {@link DatabaseConfigException} naming the variable, the item and
 * its position.
 */
public final class GatewayHosts {
  /** The environment variable this parser is named after in error messages by default. */
  public static final String VARIABLE = "SHAKENFIST_MARIADB_GATEWAY_HOSTS";

  private static final Logger log = Logger.getLogger(GatewayHosts.class.getName());
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  private GatewayHosts() {}

  /** Parses {@code value} naming {@link #VARIABLE} in errors. */
  public static List<GatewayHost> parse(String value, int defaultPort) {
    return parse(value, defaultPort, VARIABLE);
  }

  /**
   * Parses a comma-separated host list.
   *
   * @param value the raw value
   * @param defaultPort port for items that do not name one
   * @param variable the variable name used in error messages
   * @return the instances, in order, without duplicates; never empty
   * @throws DatabaseConfigException for an empty list or any bad item
   */
  public static List<GatewayHost> parse(String value, int defaultPort, String variable) {
    if (value == null) {
      throw new DatabaseConfigException(variable, null, "is not set; expected a comma-separated list of "
          + "gateway hosts such as \"10.0.0.20,10.0.0.21\"");
    }
    Map<GatewayHost, Integer> seen = new LinkedHashMap<>();
    CommaList.forEachItem(value, (item, position) -> {
      GatewayHost host = parseItem(item, position, defaultPort, variable);
      Integer first = seen.putIfAbsent(host, position);
      if (first != null) {
        log.warning(variable + ": item " + position + " \"" + item + "\" repeats item " + first + " (" + host
            + "); keeping one");
      }
    });
    if (seen.isEmpty()) {
      throw new DatabaseConfigException(variable, value, "lists no hosts (the value is empty after trimming)");
    }
    return List.copyOf(seen.keySet());
  }

  /** Renders the canonical form: comma-joined {@link GatewayHost#toString()}, no trailing comma. */
  public static String render(List<GatewayHost> hosts) {
    return hosts.stream().map(GatewayHost::toString).collect(Collectors.joining(","));
  }

  private static GatewayHost parseItem(String item, int position, int defaultPort, String variable) {
    String host;
    String port = null;
    int open = item.indexOf('[');
    int close = item.indexOf(']');
    if (open >= 0 || close >= 0) {
      if (open != 0 || close < 0 || item.indexOf('[', 1) >= 0 || item.indexOf(']', close + 1) >= 0) {
        throw new DatabaseConfigException(variable, item, position,
            "unbalanced brackets; write IPv6 addresses as [addr] or [addr]:port");
      }
      host = item.substring(1, close);
      String rest = item.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new DatabaseConfigException(variable, item, position,
              "unexpected characters after ']'; expected [addr]:port");
        }
        port = rest.substring(1);
      }
      if (!GatewayHost.isIpv6(host)) {
        throw new DatabaseConfigException(variable, item, position,
            "\"" + host + "\" inside brackets is not an IPv6 address");
      }
    } else {
      int colons = (int) item.chars().filter(c -> c == ':').count();
      if (colons > 1) {
        if (!GatewayHost.isIpv6(item)) {
          throw new DatabaseConfigException(variable, item, position,
              "not a valid IPv6 address (to give an IPv6 address a port, write [addr]:port)");
        }
        host = item;
      } else if (colons == 1) {
        int c = item.indexOf(':');
        host = item.substring(0, c);
        port = item.substring(c + 1);
      } else {
        host = item;
      }
    }
    int portNumber = defaultPort;
    if (port != null) {
      if (!PORT.matcher(port).matches()) {
        throw new DatabaseConfigException(variable, item, position,
            "port \"" + port + "\" is not a number in 1..65535");
      }
      portNumber = Integer.parseInt(port);
      if (portNumber < 1 || portNumber > 65535) {
        throw new DatabaseConfigException(variable, item, position, "port " + portNumber + " is not in 1..65535");
      }
    }
    try {
      return new GatewayHost(host, portNumber); // validates and normalizes, once
    } catch (DatabaseConfigException e) {
      throw new DatabaseConfigException(variable, item, position, e.problem());
    }
  }
}
