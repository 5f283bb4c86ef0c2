package org.shakenfist.sfdb.client;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Immutable snapshot of call attempts per endpoint, taken with {@link DatabaseChannel#callCounts()}.
 * Endpoints are {@code host:port} ({@code [v6]:port} for IPv6) for TCP, the server name for in-process
 * instances, and {@link #NO_ENDPOINT} for attempts that failed before reaching any instance.
 *
 * <pre>{@code
 * CallCounts before = channel.callCounts();
 * runLoad();
 * CallCounts delta = channel.callCounts().minus(before);
 * delta.byEndpoint().forEach((endpoint, n) -> System.out.println(endpoint + " " + n));
 * }</pre>
 */
public final class CallCounts {
  /** Bucket for attempts that failed before a stream to any instance existed. */
  public static final String NO_ENDPOINT = "none";

  private static final CallCounts EMPTY = new CallCounts(Map.of());

  private final Map<String, Long> byEndpoint;

  private CallCounts(Map<String, Long> byEndpoint) {
    this.byEndpoint = Collections.unmodifiableMap(new TreeMap<>(byEndpoint));
  }

  /** A snapshot of the given counts (copied). */
  public static CallCounts of(Map<String, Long> byEndpoint) {
    return byEndpoint.isEmpty() ? EMPTY : new CallCounts(byEndpoint);
  }

  /** An empty snapshot. */
  public static CallCounts empty() {
    return EMPTY;
  }

  /** Endpoint to attempts, sorted by endpoint, including {@link #NO_ENDPOINT} when non-zero. */
  public Map<String, Long> byEndpoint() {
    return byEndpoint;
  }

  /** Attempts counted for one endpoint (0 when never seen). */
  public long get(String endpoint) {
    return byEndpoint.getOrDefault(endpoint, 0L);
  }

  /** Attempts that reached no endpoint. */
  public long noEndpoint() {
    return get(NO_ENDPOINT);
  }

  /** Sum over all endpoints, {@link #NO_ENDPOINT} included. */
  public long total() {
    return byEndpoint.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Per-endpoint difference {@code this - before}; endpoints only in one side are kept. */
  public CallCounts minus(CallCounts before) {
    Map<String, Long> out = new LinkedHashMap<>();
    TreeSet<String> keys = new TreeSet<>(byEndpoint.keySet());
    keys.addAll(before.byEndpoint.keySet());
    for (String k : keys) {
      out.put(k, get(k) - before.get(k));
    }
    return new CallCounts(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CallCounts c && c.byEndpoint.equals(byEndpoint);
  }

  @Override
  public int hashCode() {
    return byEndpoint.hashCode();
  }

  @Override
  public String toString() {
    return byEndpoint.toString();
  }
}
