package org.shakenfist.sfdb.testkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.grpc.Status;
import io.grpc.StatusException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Programmed answers for the {@code shakenfist.protos.DatabaseService} methods the testkit does not implement
 * itself (the real service has 234; a daemon's own stubs may call any of them). Shared by every instance of a
 * tier; thread-safe. A call to a method nobody programmed fails with UNIMPLEMENTED naming the method and how
 * to program it. Such calls are counted in {@code database_<op>_total} and {@code database_requests_total} and
 * recorded like any other.
 *
 * <pre>{@code
 * tier.responses()
 *     .reply("GetInstance", GetInstanceReply.newBuilder().setFound(true).build())        // a fixed reply
 *     .answer("GetNetwork", GetNetworkRequest.parser(),                                 // a function of the request
 *         req -> GetNetworkReply.newBuilder().setUuid(req.getUuid()).build())
 *     .fail("DeleteInstance", Status.UNAVAILABLE.withDescription("MariaDB unreachable")); // a gRPC error
 * }</pre>
 *
 * <p>Methods are named by their RPC name ({@code GetInstance}) or full name
 * ({@code shakenfist.protos.DatabaseService/GetInstance}).
 */
public final class Responses {
  /** The service whose unknown methods are served. */
  public static final String SERVICE = "shakenfist.protos.DatabaseService";
  private static final Pattern RPC = Pattern.compile("[A-Z][A-Za-z0-9_]*");

  private final Map<String, Function<byte[], byte[]>> answers = new ConcurrentHashMap<>();

  Responses() {}

  /** Every call of {@code method} is answered with {@code reply}. */
  public Responses reply(String method, MessageLite reply) {
    Objects.requireNonNull(reply, "reply");
    byte[] bytes = reply.toByteArray();
    answers.put(rpc(method), request -> bytes);
    return this;
  }

  /** Every call of {@code method} is answered by {@code answer} applied to the request, parsed with {@code parser}. */
  public <Q> Responses answer(String method, Parser<Q> parser, Function<? super Q, ? extends MessageLite> answer) {
    Objects.requireNonNull(parser, "parser");
    Objects.requireNonNull(answer, "answer");
    String rpc = rpc(method);
    answers.put(rpc, request -> {
      try {
        return answer.apply(parser.parseFrom(request)).toByteArray();
      } catch (InvalidProtocolBufferException e) {
        throw new ProgrammedFailure(Status.INTERNAL.withDescription("sfdb testkit: the request of " + rpc
            + " does not parse with the programmed parser: " + e.getMessage()));
      }
    });
    return this;
  }

  /** Every call of {@code method} fails with {@code status} (a gRPC error, not a reply). */
  public Responses fail(String method, Status status) {
    Objects.requireNonNull(status, "status");
    if (status.isOk()) {
      throw new IllegalArgumentException("fail(" + method + ", OK): OK is not a failure; use reply()");
    }
    answers.put(rpc(method), request -> {
      throw new ProgrammedFailure(status);
    });
    return this;
  }

  /** Forgets every programmed method. */
  public Responses clear() {
    answers.clear();
    return this;
  }

  /** The RPC names programmed now. */
  public Set<String> programmed() {
    return new TreeSet<>(answers.keySet());
  }

  /** The reply bytes for one call, or a StatusException (UNIMPLEMENTED when nothing is programmed). */
  byte[] respond(String rpc, byte[] request) throws StatusException {
    Function<byte[], byte[]> answer = answers.get(rpc);
    if (answer == null) {
      throw Status.UNIMPLEMENTED.withDescription("sfdb testkit: " + SERVICE + "/" + rpc + " is not programmed; "
          + "program it with tier.responses().reply(\"" + rpc + "\", reply), .answer(\"" + rpc
          + "\", parser, function) or .fail(\"" + rpc + "\", status)").asException();
    }
    try {
      return answer.apply(request);
    } catch (ProgrammedFailure f) {
      throw f.status.asException();
    }
  }

  /** Bytes of a request as recorded, for {@link RecordedCall}. */
  static ByteString copy(byte[] request) {
    return ByteString.copyFrom(request);
  }

  private static String rpc(String method) {
    Objects.requireNonNull(method, "method");
    String name = method.startsWith(SERVICE + "/") ? method.substring(SERVICE.length() + 1) : method;
    if (!RPC.matcher(name).matches()) {
      throw new IllegalArgumentException("\"" + method + "\" is not a DatabaseService method name such as "
          + "GetInstance or " + SERVICE + "/GetInstance");
    }
    return name;
  }

  private static final class ProgrammedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Status status;

    ProgrammedFailure(Status status) {
      super(status.toString(), null, false, false);
      this.status = status;
    }
  }
}
