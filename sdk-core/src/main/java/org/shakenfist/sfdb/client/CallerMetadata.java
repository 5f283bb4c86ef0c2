package org.shakenfist.sfdb.client;

import io.grpc.Metadata;

/**
 * The metadata every {@link DatabaseChannel} call carries, for a gateway (or a test server) to read:
 *
 * <pre>{@code
 * String daemon = headers.get(CallerMetadata.CALLER_DAEMON); // e.g. "sf-network", "unknown" when unset
 * }</pre>
 */
public final class CallerMetadata {
  /** {@code caller-daemon}: the calling daemon ({@code SHAKENFIST_CALLER_DAEMON} or the builder). */
  public static final Metadata.Key<String> CALLER_DAEMON =
      Metadata.Key.of("caller-daemon", Metadata.ASCII_STRING_MARSHALLER);
  /** {@code caller-node}: the calling node ({@code SHAKENFIST_NODE_NAME} or the builder). */
  public static final Metadata.Key<String> CALLER_NODE =
      Metadata.Key.of("caller-node", Metadata.ASCII_STRING_MARSHALLER);

  private CallerMetadata() {}
}
