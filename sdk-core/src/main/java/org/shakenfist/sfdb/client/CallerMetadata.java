package org.shakenfist.sfdb.client;

import io.grpc.Metadata;
import java.util.Set;

/**
 * The metadata every {@link DatabaseChannel} call carries, for a gateway (or a test server) to read:
 *
 * <pre>{@code
 * String daemon = headers.get(CallerMetadata.CALLER_DAEMON); // e.g. "net", "unknown" when unset
 * boolean counted = CallerMetadata.KNOWN_DAEMONS.contains(daemon);
 * }</pre>
 */
public final class CallerMetadata {
  /** {@code caller-daemon}: the calling daemon ({@code SHAKENFIST_CALLER_DAEMON} or the builder). */
  public static final Metadata.Key<String> CALLER_DAEMON =
      Metadata.Key.of("caller-daemon", Metadata.ASCII_STRING_MARSHALLER);
  /** {@code caller-node}: the calling node ({@code SHAKENFIST_NODE_NAME} or the builder). */
  public static final Metadata.Key<String> CALLER_NODE =
      Metadata.Key.of("caller-node", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * The {@code caller_daemon} values the real gateway counts under their own name in
   * {@code database_requests_total}; it counts any other value as {@code unknown}. A channel whose caller
   * daemon is not listed logs one warning when it is built.
   */
  public static final Set<String> KNOWN_DAEMONS = Set.of("api", "checksums", "cleaner", "cluster", "ctl",
      "database", "main", "net", "nodelock", "privexec", "queues", "resources", "sentinel-first", "sentinel-last",
      "sidechannel", "transfers", "unknown");

  /** How the gateway labels a caller: the name itself when allow-listed, else {@code unknown}. */
  public static String countedAs(String callerDaemon) {
    return callerDaemon != null && KNOWN_DAEMONS.contains(callerDaemon) ? callerDaemon : "unknown";
  }

  private CallerMetadata() {}
}
