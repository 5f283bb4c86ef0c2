package org.shakenfist.sfdb.testkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import java.time.Instant;
import java.util.Optional;

/**
 * One call a fake instance received: what, from whom, with which request.
 *
 * <pre>{@code
 * RecordedCall c = tier.awaitRecordedCall(r -> r.rpc().equals("GetInstance"), Duration.ofSeconds(5));
 * GetInstanceRequest req = c.requestAs(GetInstanceRequest.parser());
 * assertEquals("net", c.callerDaemon());
 * }</pre>
 *
 * @param instance the instance's name
 * @param method full method name, e.g. {@code shakenfist.protos.DatabaseService/GetInstance}
 * @param callerDaemon the {@code caller-daemon} metadata as sent (null when absent)
 * @param callerNode the {@code caller-node} metadata as sent (null when absent)
 * @param at when the request arrived
 * @param request the request's bytes as sent
 * @param known the parsed request for methods the testkit implements (null for the others)
 */
public record RecordedCall(String instance, String method, String callerDaemon, String callerNode, Instant at,
    ByteString request, Message known) {

  /** The RPC name: {@code GetInstance}. */
  public String rpc() {
    return method.substring(method.lastIndexOf('/') + 1);
  }

  /** The parsed request, for the methods the testkit implements. */
  public Optional<Message> knownRequest() {
    return Optional.ofNullable(known);
  }

  /** The request parsed with the daemon's own message type. */
  public <T> T requestAs(Parser<T> parser) {
    try {
      return parser.parseFrom(request);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(method + ": the recorded request does not parse: " + e.getMessage(), e);
    }
  }
}
